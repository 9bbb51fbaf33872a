import { describe, expect, it } from 'vitest';
import {
  cellDone,
  cellTarget,
  classifySector,
  percent,
  progressReport,
  rollupByRegion,
  rollupBySector,
  sumCells,
  type Cell,
  type Counts,
  type FormRef,
} from '../../functions/domain/progress';
import { levelOf, parentCode, RegionTree, type Region } from '../../functions/domain/regions';

const C = '420102000000';
const T1 = '420102001000';
const V11 = '420102001001';
const V12 = '420102001002';
const T2 = '420102002000';
const V21 = '420102002001';
const T3 = '420102003000';
const OTHER_COUNTY_V = '420103001001';

const r = (code: string, zh: string): Region => ({ code, name: { zh, en: zh }, level: levelOf(code)!, parent: parentCode(code) });
const tree = new RegionTree([r(C, '江岸区'), r(T1, '甲街道'), r(V11, '甲一村'), r(V12, '甲二村'), r(T2, '乙街道'), r(V21, '乙一村'), r(T3, '丙街道')]);

const cell = (formId: string, regionCode: string, target: number, approved = 0, more: Partial<Cell> = {}): Cell => ({
  formId,
  regionCode,
  target,
  draft: 0,
  submitted: 0,
  returned: 0,
  approved,
  ...more,
});

/** Exact reference: round half up of 1000·d/t, in BigInt. */
const exact = (d: number, t: number) => Number((BigInt(2000 * d + t) / BigInt(2 * t))) / 10;

describe('percent: round(100 × done / target, 1), half up, exact', () => {
  it.each([
    [1, 2000, 0.1],
    [3, 2000, 0.2],
    [1, 3, 33.3],
    [2, 3, 66.7],
    [1, 8, 12.5],
    [1, 16, 6.3],
    [3, 16, 18.8],
    [1, 6, 16.7],
    [201, 400, 50.3],
    [1, 20001, 0],
    [0, 7, 0],
    [7, 7, 100],
    [1999, 2000, 100],
    [1998, 2000, 99.9],
  ])('%i / %i → %d', (d, t, want) => {
    expect(percent(d, t)).toBe(want);
  });

  it('matches an exact integer reference for every done/target up to 1500', () => {
    const wrong: string[] = [];
    for (let t = 1; t <= 1500; t++) for (let d = 0; d <= t; d++) if (percent(d, t) !== exact(d, t)) wrong.push(`${d}/${t}`);
    expect(wrong).toEqual([]);
  });

  it('is exact for large counts too', () => {
    expect(percent(1, 2_000_000_000)).toBe(0);
    expect(percent(1_000_000, 2_000_000_000)).toBe(0.1);
    expect(percent(999_999_999, 1_000_000_000)).toBe(100);
    expect(percent(333_333_333, 1_000_000_000)).toBe(33.3);
  });

  it('is null without a target and never above 100', () => {
    expect(percent(0, 0)).toBeNull();
    expect(percent(5, 0)).toBeNull();
    expect(percent(12, 10)).toBe(100);
  });
});

describe('sumCells', () => {
  it('caps approved at the target per cell but reports approved uncapped', () => {
    const total = sumCells([cell('f', V11, 5, 8), cell('f', V12, 10, 0)]);
    expect(total).toEqual({ target: 15, draft: 0, submitted: 0, returned: 0, approved: 8, pct: 33.3, remaining: 10, listed: 0, surveyed: 0, surveyedApproved: 0, notRequired: 0 });
    expect(cellDone(cell('f', V11, 5, 8))).toBe(5);
  });

  it('sums capped numerators, not an average of percentages', () => {
    // averaging the cell percentages would give (100 + 0) / 2 = 50
    const total = sumCells([cell('f', V11, 1, 1), cell('f', V12, 99, 0)]);
    expect(total.pct).toBe(1);
    expect(total.remaining).toBe(99);
  });

  it('an over-approved cell cannot make up for another one', () => {
    const total = sumCells([cell('f', V11, 10, 30), cell('f', V12, 10, 0)]);
    expect(total.pct).toBe(50);
    expect(total.approved).toBe(30);
  });

  it('zero targets give pct null; no cells give zeros and null', () => {
    expect(sumCells([cell('f', V11, 0, 3)])).toMatchObject({ target: 0, approved: 3, pct: null, remaining: 0 });
    expect(sumCells([])).toEqual({ target: 0, draft: 0, submitted: 0, returned: 0, approved: 0, pct: null, remaining: 0, listed: 0, surveyed: 0, surveyedApproved: 0, notRequired: 0 });
  });

  it('keeps draft, submitted and returned separate from done', () => {
    const total = sumCells([cell('f', V11, 10, 2, { draft: 3, submitted: 4, returned: 1 }), cell('f', V12, 4, 0, { submitted: 2 })]);
    expect(total).toEqual({ target: 14, draft: 3, submitted: 6, returned: 1, approved: 2, pct: 14.3, remaining: 12, listed: 0, surveyed: 0, surveyedApproved: 0, notRequired: 0 });
  });

  it('clamps negative or broken stored counts to 0', () => {
    const total = sumCells([
      cell('f', V11, 10, -3, { draft: -1, submitted: Number.NaN, returned: -2 }),
      cell('f', V12, -5, 4),
      cell('f', V21, 4, 2.7),
    ]);
    expect(total).toEqual({ target: 14, draft: 0, submitted: 0, returned: 0, approved: 6, pct: 14.3, remaining: 12, listed: 0, surveyed: 0, surveyedApproved: 0, notRequired: 0 });
  });

  it('attestedNone counts as target 0: finished, adds nothing to Σtarget or Σdone', () => {
    const attested = cell('f', V12, 10, 0, { attestedNone: true, draft: 1 });
    expect(sumCells([cell('f', V11, 10, 5), attested])).toMatchObject({ target: 10, pct: 50, remaining: 5, draft: 1 });
    expect(sumCells([attested])).toMatchObject({ target: 0, pct: null, remaining: 0 });
    expect(sumCells([cell('f', V11, 4, 4), cell('f', V12, 3, 9, { attestedNone: true })])).toMatchObject({ target: 4, pct: 100, approved: 13, remaining: 0 });
  });

  it('a cell with listed objects takes its target from the list: not-required and approved objects are done, duplicates and plain records do not count', () => {
    // 12 objects: 2 duplicates → 10 listed; 3 not required, 4 surveyed of which 2 approved → done 5 of 10.
    const listed = cell('f', V11, 99, 7, { objects: 12, listed: 10, notRequired: 3, surveyed: 4, surveyedApproved: 2 });
    expect(cellTarget(listed)).toBe(10);
    expect(cellDone(listed)).toBe(5);
    expect(sumCells([listed])).toMatchObject({ target: 10, approved: 7, pct: 50, remaining: 5, listed: 10, surveyed: 4, notRequired: 3 });
    // The typed target applies where nothing is listed; attesting none still makes it 0.
    expect(sumCells([listed, cell('f', V12, 10, 4)])).toMatchObject({ target: 20, pct: 45, remaining: 11 });
    expect(cellTarget({ ...listed, attestedNone: true })).toBe(0);
    // Only duplicates: nothing to survey, the cell is finished.
    const dupes = cell('f', V11, 5, 0, { objects: 2, listed: 0 });
    expect([cellTarget(dupes), cellDone(dupes)]).toEqual([0, 0]);
    // Done never exceeds the list (counters briefly out of step must not show more than 100%).
    expect(cellDone(cell('f', V11, 0, 0, { objects: 3, listed: 3, notRequired: 2, surveyedApproved: 2 }))).toBe(3);
  });

  it('never exceeds 100', () => {
    const cells = [cell('f', V11, 1, 1000), cell('f', V12, 2, 2), cell('f', V21, 3, 7)];
    expect(sumCells(cells).pct).toBe(100);
  });
});

const FORMS: FormRef[] = [
  { id: 'housing.rural-house', sector: 'housing', part: 'rural' },
  { id: 'emergency.shelter', sector: 'emergency', part: 'facilities' },
  { id: 'housing.urban-house', sector: 'housing', part: 'urban' },
  { id: 'emergency.enterprise', sector: 'emergency', part: 'enterprises' },
  { id: 'emergency.school', sector: 'emergency', part: 'facilities' },
  { id: 'forestry.fuel-plot', sector: 'forestry', part: 'fuel' },
];

describe('rollupBySector', () => {
  const cells = [
    cell('emergency.shelter', V11, 2, 2),
    cell('emergency.shelter', V12, 2, 1),
    cell('emergency.school', V21, 10, 12),
    cell('emergency.enterprise', V11, 3, 0, { draft: 2 }),
    cell('housing.rural-house', V11, 100, 40, { submitted: 7 }),
    cell('unknown.form', V11, 50, 0),
  ];
  const out = rollupBySector(cells, FORMS);

  it('orders sectors and parts as SECTORS does, forms as given, and omits sectors without forms', () => {
    expect(out.map((s) => s.sector)).toEqual(['emergency', 'forestry', 'housing']);
    expect(out[0]!.parts.map((p) => p.part)).toEqual(['facilities', 'enterprises']);
    expect(out[0]!.parts[0]!.forms.map((f) => f.formId)).toEqual(['emergency.shelter', 'emergency.school']);
    expect(out[2]!.parts.map((p) => p.part)).toEqual(['urban', 'rural']);
  });

  it('sums capped cells at every level', () => {
    const facilities = out[0]!.parts[0]!;
    expect(facilities.forms[0]!.total).toMatchObject({ target: 4, approved: 3, pct: 75 });
    expect(facilities.forms[1]!.total).toMatchObject({ target: 10, approved: 12, pct: 100 });
    // (2 + 1 + 10) / 14, not the average of 75 and 100
    expect(facilities.total).toMatchObject({ target: 14, approved: 15, pct: 92.9, remaining: 1 });
    expect(out[0]!.total).toMatchObject({ target: 17, approved: 15, draft: 2, pct: 76.5 });
    expect(out[2]!.total).toMatchObject({ target: 100, approved: 40, submitted: 7, pct: 40 });
  });

  it('includes forms without cells with target 0 and pct null', () => {
    expect(out[1]).toEqual({
      sector: 'forestry',
      total: { target: 0, draft: 0, submitted: 0, returned: 0, approved: 0, pct: null, remaining: 0, listed: 0, surveyed: 0, surveyedApproved: 0, notRequired: 0 },
      parts: [{ part: 'fuel', total: expect.objectContaining({ pct: null }), forms: [{ formId: 'forestry.fuel-plot', total: expect.objectContaining({ target: 0, pct: null }) }] }],
    });
    expect(out[2]!.parts[0]!.forms[0]).toMatchObject({ formId: 'housing.urban-house', total: { target: 0, pct: null } });
  });

  it('ignores cells of forms it was not given, and takes a duplicated form once', () => {
    const total = out.reduce((s, x) => s + x.total.target, 0);
    expect(total).toBe(117);
    const twice = rollupBySector([cell('forestry.fuel-plot', V11, 4, 1)], [FORMS[5]!, FORMS[5]!]);
    expect(twice[0]!.parts[0]!.forms).toHaveLength(1);
    expect(twice[0]!.total.target).toBe(4);
  });

  it('puts a part the sector does not declare after the declared ones', () => {
    const res = rollupBySector([], [{ id: 'x', sector: 'agriculture', part: 'extra' }, { id: 'y', sector: 'agriculture', part: 'water-drought' }]);
    expect(res[0]!.parts.map((p) => p.part)).toEqual(['water-drought', 'extra']);
  });
});

describe('rollupByRegion', () => {
  const cells = [
    cell('f', C, 5, 5), // at the county itself
    cell('f', T1, 2, 1), // at the township itself
    cell('f', V11, 10, 10),
    cell('f', V12, 10, 0),
    cell('f', V21, 4, 1),
    cell('f', OTHER_COUNTY_V, 100, 0), // outside
  ];

  it('lists every child, sums their subtrees, and counts cells at the region only in the total', () => {
    const res = rollupByRegion(cells, tree, C);
    expect(res.total).toMatchObject({ target: 31, approved: 17, pct: 54.8 });
    expect(res.children.map((c) => [c.code, c.name.zh, c.total.target, c.total.pct])).toEqual([
      [T1, '甲街道', 22, 50],
      [T2, '乙街道', 4, 25],
      [T3, '丙街道', 0, null],
    ]);
    const childTargets = res.children.reduce((s, c) => s + c.total.target, 0);
    expect(res.total.target - childTargets).toBe(5);
  });

  it('drills down to a township', () => {
    const res = rollupByRegion(cells, tree, T1);
    expect(res.total).toMatchObject({ target: 22, approved: 11, pct: 50 });
    expect(res.children.map((c) => [c.code, c.total.pct])).toEqual([
      [V11, 100],
      [V12, 0],
    ]);
  });

  it('a village has no children', () => {
    expect(rollupByRegion(cells, tree, V21)).toMatchObject({ total: { target: 4, pct: 25 }, children: [] });
  });
});

describe('progressReport', () => {
  const cells = [
    cell('emergency.shelter', V11, 4, 4),
    cell('emergency.shelter', V21, 4, 0, { submitted: 3 }),
    cell('housing.rural-house', V11, 10, 5),
    cell('housing.rural-house', V21, 10, 10),
    cell('housing.rural-house', OTHER_COUNTY_V, 10, 0),
    cell('unknown.form', V11, 99, 0),
  ];

  it('has exactly the /api/progress shape', () => {
    const rep = progressReport(cells, FORMS, tree, C);
    expect(Object.keys(rep).sort()).toEqual(['children', 'region', 'sectors', 'total']);
    expect(rep.region).toEqual({ code: C, name: { zh: '江岸区', en: '江岸区' } });
    expect(rep.total).toEqual({ target: 28, draft: 0, submitted: 3, returned: 0, approved: 19, pct: 67.9, remaining: 9, listed: 0, surveyed: 0, surveyedApproved: 0, notRequired: 0 });
    const keys = (c: Counts) => Object.keys(c).sort();
    for (const s of rep.sectors) {
      expect(Object.keys(s).sort()).toEqual(['parts', 'sector', 'total']);
      expect(keys(s.total)).toEqual(['approved', 'draft', 'listed', 'notRequired', 'pct', 'remaining', 'returned', 'submitted', 'surveyed', 'surveyedApproved', 'target']);
      for (const p of s.parts) {
        expect(Object.keys(p).sort()).toEqual(['forms', 'part', 'total']);
        for (const f of p.forms) expect(Object.keys(f).sort()).toEqual(['formId', 'total']);
      }
    }
    for (const c of rep.children) expect(Object.keys(c).sort()).toEqual(['code', 'name', 'total']);
  });

  it('total equals the sum of the sectors and of the children, using only cells inside the region of known forms', () => {
    const rep = progressReport(cells, FORMS, tree, C);
    expect(rep.sectors.reduce((s, x) => s + x.total.target, 0)).toBe(rep.total.target);
    expect(rep.children.reduce((s, x) => s + x.total.target, 0)).toBe(rep.total.target);
    expect(rep.sectors.map((s) => [s.sector, s.total.pct])).toEqual([
      ['emergency', 50],
      ['forestry', null],
      ['housing', 75],
    ]);
  });

  it('filters by region', () => {
    const rep = progressReport(cells, FORMS, tree, T2);
    expect(rep.total).toMatchObject({ target: 14, approved: 10, pct: 71.4 });
    expect(rep.children).toEqual([{ code: V21, name: { zh: '乙一村', en: '乙一村' }, total: expect.objectContaining({ target: 14 }) }]);
  });

  it('filters by sector', () => {
    const rep = progressReport(cells, FORMS, tree, C, 'housing');
    expect(rep.sectors.map((s) => s.sector)).toEqual(['housing']);
    expect(rep.total).toMatchObject({ target: 20, approved: 15, pct: 75 });
    expect(rep.children.map((c) => c.total.target)).toEqual([10, 10, 0]);
  });

  it('rejects a region not in the tree', () => {
    expect(() => progressReport(cells, FORMS, tree, '420102009000')).toThrow(expect.objectContaining({ code: 'resource.not-found' }));
  });
});

describe('classifySector', () => {
  const counts = (over: Partial<Cell>[]): Counts => sumCells(over.map((o, i) => ({ ...cell('f', V11, 0), regionCode: `42010200100${i + 1}`, ...o })));

  it('complete: a target and nothing remaining', () => {
    expect(classifySector(counts([{ target: 3, approved: 3 }, { target: 2, approved: 5 }]))).toBe('complete');
  });
  it('in-progress: some done, not all — even when pct rounds to 100.0', () => {
    expect(classifySector(counts([{ target: 10, approved: 4, submitted: 3 }]))).toBe('in-progress');
    const almost = counts([{ target: 2000, approved: 1999 }]);
    expect(almost.pct).toBe(100);
    expect(classifySector(almost)).toBe('in-progress');
  });
  it('started: drafted, submitted or returned, nothing approved', () => {
    expect(classifySector(counts([{ target: 10, draft: 1 }]))).toBe('started');
    expect(classifySector(counts([{ target: 10, submitted: 2 }]))).toBe('started');
    expect(classifySector(counts([{ target: 10, returned: 1 }]))).toBe('started');
  });
  it('not-started: nothing at all (with or without a target)', () => {
    expect(classifySector(counts([{ target: 10 }]))).toBe('not-started');
    expect(classifySector(counts([]))).toBe('not-started');
  });
});
