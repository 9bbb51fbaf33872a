import { describe, expect, it } from 'vitest';
import { checkDefinition } from '../../functions/domain/form-check';
import { CHINA_EXTENT, defineForm } from '../../functions/domain/forms';
import { generateSample } from '../../functions/domain/samples';
import { validate } from '../../functions/domain/validate';
import { isValidIdCard, isValidUscc, usccCheckChar, idCheckChar } from '../../functions/domain/identifiers';

const L = (zh: string, en = zh) => ({ zh, en });
const UUID = '3f2b8c1e-1a2b-4c3d-8e4f-5a6b7c8d9e0f';

/** A form with one field of every type, relevance, required-if, other → text, a repeat group, a calculation and rules. */
const form = defineForm({
  id: 'emergency.test-everything',
  version: 1,
  sector: 'emergency',
  part: 'facilities',
  title: L('测试表', 'Test form'),
  unit: 'object',
  regionLevel: 'village',
  sections: [{ id: 'main', title: L('基本信息', 'Basics') }],
  fields: [
    { name: 'name', type: 'text', label: L('名称'), required: true, maxLength: 20, section: 'main', constraints: [{ expr: "not(. = '不详')", message: L('名称不能为不详', 'Name cannot be unknown') }] },
    { name: 'credit_code', type: 'text', label: L('统一社会信用代码'), format: 'uscc' },
    { name: 'kind', type: 'select_one', label: L('类型'), required: true, choices: [{ value: 'a', label: L('甲') }, { value: 'b', label: L('乙') }, { value: 'other', label: L('其他') }], other: { value: 'other', field: 'kind_other' } },
    { name: 'kind_other', type: 'text', label: L('其他类型') },
    { name: 'uses', type: 'select_multiple', label: L('用途'), choices: [{ value: 'school', label: L('学校') }, { value: 'office', label: L('办公') }], maxSelected: 2 },
    { name: 'floors', type: 'integer', label: L('层数'), required: true, min: 1, max: 200 },
    { name: 'area', type: 'decimal', label: L('面积'), required: true, min: 0, exclusiveMin: true, precision: 2, unit: L('平方米', 'm²') },
    { name: 'used_area', type: 'decimal', label: L('使用面积'), precision: 2, constraints: [{ expr: '. <= ${area}', message: L('使用面积不能大于面积', 'Used area cannot exceed area') }] },
    { name: 'built', type: 'year', label: L('建成年份'), required: true, max: 2020 },
    { name: 'surveyed_on', type: 'date', label: L('调查日期'), max: '2020-12-31' },
    { name: 'has_basement', type: 'boolean', label: L('有无地下室'), required: true },
    { name: 'basement_floors', type: 'integer', label: L('地下层数'), relevant: '${has_basement} = true()', required: true, min: 1 },
    { name: 'note', type: 'text', label: L('备注'), required: "selected(${uses}, 'school')" },
    { name: 'location', type: 'geopoint', label: L('位置'), required: true, bounds: CHINA_EXTENT },
    { name: 'footprint', type: 'geoshape', label: L('面位置') },
    { name: 'photo', type: 'photo', label: L('照片'), accept: ['image/jpeg'], maxSize: 10_000_000 },
    { name: 'village', type: 'region', label: L('所在村'), level: 'village' },
    { name: 'density', type: 'calculate', label: L('每层面积'), calculate: '${area} div ${floors}', precision: 1 },
    {
      name: 'materials', type: 'repeat', label: L('物资'), minRows: 1, maxRows: 3,
      fields: [
        { name: 'material', type: 'text', label: L('物资名称'), required: true },
        { name: 'qty', type: 'integer', label: L('数量'), required: true, min: 0 },
        { name: 'spare', type: 'integer', label: L('备用数量'), constraints: [{ expr: '. <= ${qty}', message: L('备用不能超过数量', 'Spare cannot exceed quantity') }] },
      ],
    },
  ],
  rules: [
    { id: 'basement-lt-floors', expr: '${basement_floors} < ${floors} + 5', path: 'basement_floors', message: L('地下层数过多', 'Too many basement floors') },
    { id: 'area-per-floor', expr: '${area} div ${floors} >= 5', path: 'area', message: L('每层面积过小', 'Area per floor is small'), severity: 'warning' },
  ],
});

const valid = {
  name: '示范学校',
  kind: 'a',
  floors: 3,
  area: 1200.5,
  built: 1998,
  has_basement: false,
  location: { lat: 30.1, lng: 114.2 },
  materials: [{ material: '帐篷', qty: 10 }],
};

const submit = (data: unknown) => validate(form, data, { mode: 'submit', today: '2026-11-29' });
const draft = (data: unknown) => validate(form, data, { mode: 'draft', today: '2026-11-29' });
const codesAt = (r: ReturnType<typeof submit>, path: string) => r.errors.filter((e) => e.path === path).map((e) => e.code);

describe('validate', () => {
  it('the test form itself passes the definition check', () => {
    expect(checkDefinition(form).issues).toEqual([]);
  });

  it('accepts a complete valid record and computes calculations', () => {
    const r = submit(valid);
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.data.density).toBe(400.2);
  });

  it('rounds calculations half away from zero in decimal, like round()', () => {
    // Binary toFixed would give 0.1 for 0.15; decimal rounding gives 0.2.
    expect(submit({ ...valid, area: 14.1, floors: 4 }).data.density).toBe(3.5);
    expect(submit({ ...valid, area: 0.15, floors: 1 }).data.density).toBe(0.2); // (0.15).toFixed(1) is '0.1'
  });

  it('replaces a client-sent value of a calculated field', () => {
    expect(submit({ ...valid, density: 1 }).data.density).toBe(400.2);
  });

  it('draft mode accepts partial answers but still checks types', () => {
    expect(draft({ name: '半成品' }).ok).toBe(true);
    const r = draft({ floors: 'three' });
    expect(codesAt(r, 'data.floors')).toEqual(['type']);
  });

  it('draft mode does not check ranges or rules, submit does', () => {
    expect(draft({ floors: 0 }).ok).toBe(true);
    expect(codesAt(submit({ ...valid, floors: 0 }), 'data.floors')).toEqual(['min']);
  });

  it('reports every missing required field on submit', () => {
    const r = submit({});
    for (const f of ['name', 'kind', 'floors', 'area', 'built', 'has_basement', 'location']) {
      expect(codesAt(r, `data.${f}`), f).toEqual(['required']);
    }
    expect(codesAt(r, 'data.materials')).toEqual(['min-rows']);
  });

  it.each([
    ['name', 42, 'type'],
    ['floors', 2.5, 'type'],
    ['floors', '3', 'type'],
    ['floors', Number.MAX_SAFE_INTEGER + 2, 'type'],
    ['area', 10.123, 'precision'],
    ['area', 0, 'min-exclusive'],
    ['built', 2021, 'max'],
    ['built', '1998', 'type'],
    ['surveyed_on', '2020-02-30', 'date'],
    ['surveyed_on', '2021-01-01', 'max'],
    ['surveyed_on', 20200101, 'type'],
    ['has_basement', 'yes', 'type'],
    ['kind', 'c', 'choice'],
    ['kind', ['a'], 'type'],
    ['uses', 'school', 'type'],
    ['name', 'x'.repeat(21), 'too-long'],
    ['credit_code', '91110105MA01ABCD0X', 'format'],
    ['location', { lat: 91, lng: 10 }, 'out-of-bounds'],
    ['location', { lat: 40, lng: -74 }, 'out-of-bounds'],
    ['location', [30, 114], 'type'],
    ['footprint', { type: 'Polygon', coordinates: [[[114, 30], [114.1, 30], [114.1, 30.1]]] }, 'geoshape'],
    ['footprint', { type: 'Point', coordinates: [114, 30] }, 'geoshape'],
    ['photo', 'not-a-uuid', 'attachment'],
    ['village', '42010200100', 'region'],
    ['village', '420102001000', 'region-level'],
    ['materials', { material: 'x' }, 'type'],
    ['materials', [{ material: 'a', qty: 1 }, { material: 'b', qty: 1 }, { material: 'c', qty: 1 }, { material: 'd', qty: 1 }], 'max-rows'],
  ])('%s = %j → %s', (field, value, code) => {
    const r = submit({ ...valid, [field]: value });
    expect(r.ok).toBe(false);
    expect(codesAt(r, `data.${field}`)).toContain(code);
  });

  it('reports wrong types inside geopoints and repeat rows with exact paths', () => {
    expect(codesAt(submit({ ...valid, location: { lat: 'x', lng: 114 } }), 'data.location.lat')).toEqual(['type']);
    expect(codesAt(submit({ ...valid, location: { lat: 30, lng: 114, extra: 1 } }), 'data.location.extra')).toEqual(['unknown-key']);
    const r = submit({ ...valid, materials: [{ material: '帐篷', qty: 10 }, { material: '棉被', qty: -1, spare: 2 }] });
    expect(codesAt(r, 'data.materials[1].qty')).toEqual(['min']);
    expect(codesAt(submit({ ...valid, materials: [{ material: '帐篷', qty: 1, spare: 2 }] }), 'data.materials[0].spare')).toEqual(['constraint']);
    expect(codesAt(submit({ ...valid, materials: [{ qty: 1 }] }), 'data.materials[0].material')).toEqual(['required']);
    expect(codesAt(submit({ ...valid, materials: [{ material: 'x', qty: 1, bogus: 1 }] }), 'data.materials[0].bogus')).toEqual(['unknown-key']);
  });

  it('rejects unknown keys and prototype keys', () => {
    expect(codesAt(submit({ ...valid, status: 'approved' }), 'data.status')).toEqual(['unknown-key']);
    const proto = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "name": "x"}');
    const r = draft(proto);
    expect(codesAt(r, 'data.__proto__')).toEqual(['forbidden-key']);
    expect(codesAt(r, 'data.constructor')).toEqual(['forbidden-key']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects bodies that are not objects', () => {
    for (const bad of [null, [], 'x', 3, new Date()]) expect(codesAt(draft(bad), 'data'), String(bad)).toEqual(['type']);
  });

  it('normalises strings to NFC and trims them; empty strings and null mean no answer', () => {
    const decomposed = 'e\u0301cole';
    const r = submit({ ...valid, name: `  ${decomposed} `, note: '', surveyed_on: null });
    expect(r.data.name).toBe('\u00e9cole');
    expect('note' in r.data).toBe(false);
    expect('surveyed_on' in r.data).toBe(false);
  });

  it('counts text length in characters, not UTF-16 units', () => {
    expect(submit({ ...valid, name: '𠀀'.repeat(20) }).ok).toBe(true);
  });

  it('drops answers to irrelevant fields and requires relevant ones', () => {
    const r = submit({ ...valid, basement_floors: 2 });
    expect(r.ok).toBe(true);
    expect('basement_floors' in r.data).toBe(false);
    expect(codesAt(submit({ ...valid, has_basement: true }), 'data.basement_floors')).toEqual(['required']);
    expect(submit({ ...valid, has_basement: true, basement_floors: 2 }).data.basement_floors).toBe(2);
  });

  it('makes the "other" text relevant and required only when other is chosen', () => {
    expect(codesAt(submit({ ...valid, kind: 'other' }), 'data.kind_other')).toEqual(['required']);
    expect(submit({ ...valid, kind: 'other', kind_other: '仓库' }).ok).toBe(true);
    const r = submit({ ...valid, kind: 'a', kind_other: '仓库' });
    expect('kind_other' in r.data).toBe(false);
  });

  it('applies required-if expressions', () => {
    expect(codesAt(submit({ ...valid, uses: ['school'] }), 'data.note')).toEqual(['required']);
    expect(submit({ ...valid, uses: ['office'] }).ok).toBe(true);
  });

  it('applies constraints with the localized message, skipping them when inputs are missing', () => {
    const r = submit({ ...valid, name: '不详' });
    expect(r.errors[0]).toMatchObject({ path: 'data.name', code: 'constraint', message: { zh: '名称不能为不详' } });
    expect(codesAt(submit({ ...valid, used_area: 2000 }), 'data.used_area')).toEqual(['constraint']);
    expect(submit({ ...valid, used_area: 1000 }).ok).toBe(true);
  });

  it('applies cross-field rules as errors and warnings', () => {
    const r = submit({ ...valid, has_basement: true, basement_floors: 9, floors: 3 });
    expect(codesAt(r, 'data.basement_floors')).toEqual(['rule']);
    const w = submit({ ...valid, area: 10, floors: 3 });
    expect(w.ok).toBe(true);
    expect(w.warnings.map((x) => x.path)).toEqual(['data.area']);
  });

  it('rejects duplicate and over-limit multiple choices', () => {
    expect(codesAt(submit({ ...valid, uses: ['office', 'office'] }), 'data.uses[1]')).toEqual(['duplicate-choice']);
    expect(codesAt(submit({ ...valid, uses: ['office', 7] }), 'data.uses[1]')).toEqual(['type']);
  });

  it('gives every error a zh and en message', () => {
    const r = submit({ floors: 'x', kind: 'zz' });
    expect(r.errors.length).toBeGreaterThan(3);
    for (const e of r.errors) {
      expect(e.message.zh.length).toBeGreaterThan(0);
      expect(e.message.en.length).toBeGreaterThan(0);
    }
  });

  it('generates samples that pass with overrides for cross-field needs', () => {
    const s = generateSample(form, { used_area: undefined });
    expect(submit(s).errors).toEqual([]);
  });
});

describe('identifier checks', () => {
  it('USCC check character', () => {
    const body = '91350100M000100Y4';
    expect(isValidUscc(body + usccCheckChar(body))).toBe(true);
    expect(isValidUscc('91350100M000100Y43')).toBe(usccCheckChar(body) === '3');
    expect(isValidUscc('91110105MA01ABCDOX')).toBe(false);
  });
  it('ID card check digit and birth date', () => {
    expect(isValidIdCard('11010519491231002X')).toBe(true);
    expect(isValidIdCard('110105194912310021')).toBe(false);
    const body = '11010519990230123';
    expect(isValidIdCard(body + idCheckChar(body))).toBe(false);
  });
});
