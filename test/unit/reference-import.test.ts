/** Planning region and target imports (domain/reference-import.ts): headers, per-row errors, previews. */
import { describe, expect, it } from 'vitest';
import { planRegionImport, planTargetImport } from '../../functions/domain/reference-import';
import type { Region } from '../../functions/domain/regions';

const C = '420999000000';
const EXISTING: Region[] = [
  { code: C, name: { zh: '江滨区', en: 'Jiangbin District' }, level: 'county', parent: null },
  { code: '420999001000', name: { zh: '青山街道', en: 'Qingshan Subdistrict' }, level: 'township', parent: C },
  { code: '420999001001', name: { zh: '青山社区', en: 'Qingshan Community' }, level: 'village', parent: '420999001000' },
];

describe('planRegionImport', () => {
  it('infers levels and parents from codes, in any column order and with Chinese headers', () => {
    const plan = planRegionImport(
      [
        ['名称', '区划代码', '英文名称'],
        ['新区街道', '420999005000', 'Xinqu'],
        ['新区社区', '420999005001', ''],
        ['青山社区', '420999001001', 'Qingshan Community'],
        ['青山老社区', '420999001002', ''],
        ['', '', ''],
      ],
      EXISTING,
    );
    expect(plan.errors).toEqual([]);
    expect(plan.total).toBe(4);
    expect(plan.changes.map((c) => [c.region.code, c.region.level, c.region.parent, c.change])).toEqual([
      ['420999005000', 'township', C, 'new'],
      ['420999005001', 'village', '420999005000', 'new'],
      ['420999001001', 'village', '420999001000', 'unchanged'],
      ['420999001002', 'village', '420999001000', 'new'],
    ]);
    expect(plan.changes[0]!.region.name).toEqual({ zh: '新区街道', en: 'Xinqu' });
    expect(plan.changes[1]!.region.name).toEqual({ zh: '新区社区', en: '新区社区' });
    expect(plan.writes.map((r) => r.code)).toEqual(['420999005000', '420999005001', '420999001002']);
  });

  it('reads a file without a header in the documented column order, and sees renames', () => {
    const plan = planRegionImport([['420999001001', '青山新社区', '420999001000']], EXISTING);
    expect(plan.errors).toEqual([]);
    expect(plan.changes[0]).toMatchObject({ row: 1, change: 'renamed', region: { name: { zh: '青山新社区', en: 'Qingshan Community' } } });
  });

  it('reports every kind of row error and writes nothing then', () => {
    const plan = planRegionImport(
      [
        ['code', 'name', 'parent'],
        ['4209990050001', '太长', ''],
        ['420999000001', '坏村', ''],
        ['420999005000', '', ''],
        ['420999006001', '孤儿村', ''],
        ['420999001003', '错上级', '420999002000'],
        ['420888001000', '外区', ''],
        ['420999001001', '青山社区', ''],
        ['420999001001', '再一次', ''],
        ['420999001004', '名'.repeat(61), ''],
      ],
      EXISTING,
    );
    expect(plan.errors.map((e) => [e.row, e.column, e.code])).toEqual([
      [2, 'code', 'code'],
      [3, 'code', 'code'],
      [4, 'name', 'required'],
      [5, 'parent', 'parent-missing'],
      [6, 'parent', 'parent-mismatch'],
      [7, 'code', 'other-district'],
      [9, 'code', 'duplicate'],
      [10, 'name', 'too-long'],
    ]);
    for (const e of plan.errors) expect(e.message.zh && e.message.en).toBeTruthy();
    expect(plan.writes).toEqual([]);
  });

  it('a district without regions takes its county from the file, and only one', () => {
    const ok = planRegionImport([['code', 'name'], ['420999000000', '江滨区'], ['420999001000', '青山街道']], []);
    expect(ok.errors).toEqual([]);
    expect(ok.writes.map((r) => r.level)).toEqual(['county', 'township']);
    const two = planRegionImport([['code', 'name'], ['420999000000', '甲区'], ['420998000000', '乙区']], []);
    expect(two.errors.map((e) => e.code)).toEqual(['second-county']);
    const none = planRegionImport([['code', 'name'], ['420999001000', '青山街道']], []);
    expect(none.errors.map((e) => e.code)).toContain('no-county');
  });

  it('needs code and name columns', () => {
    expect(planRegionImport([['代码', '上级'], ['420999001000', C]], EXISTING).errors.map((e) => e.code)).toEqual(['missing-column']);
  });
});

describe('planTargetImport', () => {
  const forms = [
    { id: 'emergency.shelter', regionLevel: 'village' as const },
    { id: 'emergency.annual-disaster', regionLevel: 'county' as const },
  ];
  const current = new Map([['emergency.shelter#420999001001', 3]]);

  it('previews changes with the target before, English or Chinese headers, thousands separators', () => {
    const plan = planTargetImport(
      [
        ['任务数', '调查表', '区划代码'],
        ['5', 'emergency.shelter', '420999001001 青山社区'],
        ['1,043', 'emergency.annual-disaster', C],
        ['3', 'emergency.shelter', '420999001001'],
      ],
      forms,
      EXISTING,
      current,
    );
    expect(plan.errors.map((e) => e.code)).toEqual(['duplicate']);
    expect(plan.changes).toEqual([
      { row: 2, formId: 'emergency.shelter', regionCode: '420999001001', before: 3, target: 5, changed: true },
      { row: 3, formId: 'emergency.annual-disaster', regionCode: C, before: null, target: 1043, changed: true },
    ]);
    const same = planTargetImport([['formId', 'regionCode', 'target'], ['emergency.shelter', '420999001001', '3']], forms, EXISTING, current);
    expect(same.changes[0]!.changed).toBe(false);
  });

  it('reports unknown forms and regions, wrong levels and bad numbers per row and column', () => {
    const plan = planTargetImport(
      [
        ['formId', 'regionCode', 'target'],
        ['x.none', C, '1'],
        ['emergency.shelter', '420999009009', '1'],
        ['emergency.shelter', C, '1'],
        ['emergency.shelter', '420999001001', '2.5'],
        ['emergency.shelter', '420999001001', '1000001'],
        ['emergency.shelter', '420999001001', ''],
      ],
      forms,
      EXISTING,
      current,
    );
    expect(plan.total).toBe(6);
    expect(plan.errors.map((e) => [e.row, e.column, e.code])).toEqual([
      [2, 'formId', 'unknown-form'],
      [3, 'regionCode', 'unknown-region'],
      [4, 'regionCode', 'region-level'],
      [5, 'target', 'target'],
      [6, 'target', 'target'],
      [7, 'target', 'target'],
    ]);
    expect(plan.changes).toEqual([]);
  });
});
