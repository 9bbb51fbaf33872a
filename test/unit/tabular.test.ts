/**
 * A form as a table (domain/tabular.ts): every catalog table's answers survive cell formatting and reading back (code
 * and label styles); the cell readers accept what spreadsheets produce; header detection; row mapping; stable row ids.
 */
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../functions/domain/catalog/index';
import type { Field } from '../../functions/domain/forms';
import { generateSample } from '../../functions/domain/samples';
import {
  cellText,
  columnOfPath,
  exportColumns,
  formatCell,
  headerLabel,
  lineToWkt,
  mapRow,
  parseCell,
  polygonToWkt,
  readLayout,
  templateColumns,
  wktToLine,
  wktToPolygon,
} from '../../functions/domain/tabular';
import { validate } from '../../functions/domain/validate';
import { importRowId, nameUuid } from '../../functions/app/import-rows';
import { isUuid } from '../../functions/domain/identifiers';

describe.each(CATALOG.map((e) => [e.definition.id, e] as const))('%s as a table', (_id, entry) => {
  const def = entry.definition;
  const data = validate(def, generateSample(def, entry.sample), { mode: 'submit' }).data;

  it.each(['code', 'label'] as const)('every importable answer survives formatCell (%s style) → parseCell', (style) => {
    for (const col of templateColumns(def)) {
      if (col.kind !== 'field' || data[col.code] === undefined) continue;
      const f = col.field!;
      const cell = formatCell(f, data[col.code], style, 'zh');
      const back = parseCell(f, cell);
      expect(back, `${def.id}.${f.name} from ${JSON.stringify(cell)}`).toEqual({ ok: true, value: data[col.code] });
    }
  });

  it('template columns are _id, _region and every field but calculations, photos, files and notes', () => {
    const cols = templateColumns(def).map((c) => c.code);
    expect(cols.slice(0, 2)).toEqual(['_id', '_region']);
    expect(cols.slice(2)).toEqual(def.fields.filter((f) => !['calculate', 'photo', 'file', 'note'].includes(f.type)).map((f) => f.name));
    expect(exportColumns(def).map((c) => c.code).slice(5)).toEqual(def.fields.filter((f) => f.type !== 'note').map((f) => f.name));
  });

  it('a template-shaped sheet maps back to the same answers', () => {
    const cols = templateColumns(def);
    const rows = [
      cols.map((c) => headerLabel(c)),
      cols.map((c) => c.code),
      cols.map((c) => (c.code === '_region' ? '420999001001 青山社区' : c.code === '_id' ? 'K-1' : c.field ? formatCell(c.field, data[c.code], 'label') : null)),
    ];
    const layout = readLayout(def, rows);
    expect(layout.errors).toEqual([]);
    expect(layout.codeRow).toBe(1);
    const m = mapRow(layout, rows[2]!, 3);
    expect(m.errors).toEqual([]);
    expect(m.key).toBe('K-1');
    expect(m.regionCode).toBe('420999001001');
    const expected = Object.fromEntries(Object.entries(data).filter(([k]) => cols.some((c) => c.code === k)));
    expect(validate(def, m.data, { mode: 'submit' }).data).toMatchObject(expected);
  });
});

const f = (x: object) => x as unknown as Field;
const text = f({ name: 't', label: { zh: '文本', en: 'Text' }, type: 'text', maxLength: 100, required: false, constraints: [] });
const int = f({ name: 'i', label: { zh: '整数', en: 'Int' }, type: 'integer', required: false, constraints: [] });
const dec = f({ name: 'd', label: { zh: '小数', en: 'Dec' }, type: 'decimal', precision: 2, required: false, constraints: [] });
const year = f({ name: 'y', label: { zh: '年份', en: 'Year' }, type: 'year', required: false, constraints: [] });
const date = f({ name: 'dt', label: { zh: '日期', en: 'Date' }, type: 'date', required: false, constraints: [] });
const bool = f({ name: 'b', label: { zh: '是否', en: 'Bool' }, type: 'boolean', required: false, constraints: [] });
const one = f({
  name: 'o',
  label: { zh: '单选', en: 'One' },
  type: 'select_one',
  required: false,
  constraints: [],
  choices: [
    { value: 'flood', label: { zh: '洪水', en: 'Flood' } },
    { value: 'fire', label: { zh: '火灾(含森林火灾)', en: 'Fire' } },
  ],
});
const many = f({ ...(one as object), name: 'm', type: 'select_multiple' });
const point = f({ name: 'p', label: { zh: '位置', en: 'Point' }, type: 'geopoint', required: false, constraints: [] });
const shape = f({ name: 's', label: { zh: '面', en: 'Shape' }, type: 'geoshape', required: false, constraints: [], maxVertices: 100 });
const trace = f({ name: 'l', label: { zh: '线', en: 'Line' }, type: 'geotrace', required: false, constraints: [], maxVertices: 100 });
const note = f({ name: 'n', label: { zh: '说明', en: 'Note' }, type: 'note' });

describe('parseCell reads what spreadsheets hold', () => {
  it.each([
    [int, '1,234', 1234],
    [int, '１２３', 123],
    [int, 42, 42],
    [int, "'-5", -5],
    [dec, '3.50', 3.5],
    [dec, ' 12 ', 12],
    [dec, 1e-2, 0.01],
    [year, '2015年', 2015],
    [year, 2015, 2015],
    [date, '2021/3/5', '2021-03-05'],
    [date, '2021年3月5日', '2021-03-05'],
    [date, '2021.03.05', '2021-03-05'],
    [date, '20210305', '2021-03-05'],
    [date, 44260, '2021-03-05'],
    [date, new Date(Date.UTC(2021, 2, 5)), '2021-03-05'],
    [bool, '是', true],
    [bool, '否', false],
    [bool, 'TRUE', true],
    [bool, '0', false],
    [bool, true, true],
    [one, 'flood', 'flood'],
    [one, '洪水', 'flood'],
    [one, 'FLOOD', 'flood'],
    [one, '火灾(含森林火灾)', 'fire'],
    [many, '洪水；火灾(含森林火灾)', ['flood', 'fire']],
    [many, 'flood;fire', ['flood', 'fire']],
    [many, '洪水、fire', ['flood', 'fire']],
    [point, '30.5,114.3', { lat: 30.5, lng: 114.3 }],
    [point, '30.5，114.3', { lat: 30.5, lng: 114.3 }],
    [point, "'-30.5,114.3,5", { lat: -30.5, lng: 114.3, accuracy: 5 }],
    [trace, 'LINESTRING (114.3 30.5, 114.31 30.52)', { type: 'LineString', coordinates: [[114.3, 30.5], [114.31, 30.52]] }],
    [trace, '{"type":"LineString","coordinates":[[1,2],[3,4]]}', { type: 'LineString', coordinates: [[1, 2], [3, 4]] }],
    [note, 'anything', undefined],
    [text, 13800138000, '13800138000'],
    [text, "'=1+1", '=1+1'],
    [text, '', undefined],
    [int, null, undefined],
  ])('%#: %j', (field, raw, value) => {
    expect(parseCell(field as Field, raw as never)).toEqual({ ok: true, value });
  });

  it.each([
    [int, '1.5', 'format-integer'],
    [int, 'many', 'format-integer'],
    [dec, '3,5', 'format-number'],
    [year, '二〇一五', 'format-year'],
    [date, '5 March', 'format-date'],
    [bool, 'maybe', 'format-boolean'],
    [one, '地震', 'choice'],
    [many, '洪水;地震', 'choice'],
    [point, '30.5', 'format-geopoint'],
    [shape, 'POLYGON ((1 2, 3 4) junk)', 'format-geoshape'],
    [trace, 'LINESTRING (1 2, 3)', 'format-geotrace'],
    [trace, 'POLYGON ((1 2, 3 4, 5 6, 1 2))', 'format-geotrace'],
  ])('%#: %j is a problem', (field, raw, code) => {
    const r = parseCell(field as Field, raw as never);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problem.code).toBe(code);
      expect(r.problem.message.zh).toBeTruthy();
      expect(r.problem.message.en).toBeTruthy();
    }
  });

  it('reads WKT and GeoJSON polygons, with holes', () => {
    const poly = { type: 'Polygon', coordinates: [[[114.3, 30.5], [114.31, 30.5], [114.31, 30.51], [114.3, 30.5]], [[114.302, 30.502], [114.303, 30.502], [114.303, 30.503], [114.302, 30.502]]] };
    expect(polygonToWkt(poly)).toBe('POLYGON ((114.3 30.5, 114.31 30.5, 114.31 30.51, 114.3 30.5), (114.302 30.502, 114.303 30.502, 114.303 30.503, 114.302 30.502))');
    expect(wktToPolygon(polygonToWkt(poly))).toEqual(poly);
    expect(parseCell(shape, JSON.stringify(poly))).toEqual({ ok: true, value: poly });
    expect(wktToPolygon('polygon((1 2,3 4,5 6,1 2))')).toEqual({ type: 'Polygon', coordinates: [[[1, 2], [3, 4], [5, 6], [1, 2]]] });
    expect(wktToPolygon('POINT (1 2)')).toBeUndefined();
  });

  it('writes and reads WKT lines', () => {
    const l = { type: 'LineString', coordinates: [[114.3, 30.5], [114.31, 30.52], [114.32, 30.5]] };
    expect(lineToWkt(l)).toBe('LINESTRING (114.3 30.5, 114.31 30.52, 114.32 30.5)');
    expect(wktToLine(lineToWkt(l))).toEqual(l);
    expect(formatCell(trace, l)).toBe(lineToWkt(l));
    expect(wktToLine('POINT (1 2)')).toBeUndefined();
  });

  it('cellText turns spreadsheet values into text', () => {
    expect(cellText(420999001001)).toBe('420999001001');
    expect(cellText(0.1)).toBe('0.1');
    expect(cellText(new Date(Date.UTC(2021, 10, 29)))).toBe('2021-11-29');
    expect(cellText("'+x ")).toBe('+x');
    expect(cellText("  '+x")).toBe("'+x"); // only a leading apostrophe is ours
  });
});

describe('finding the header and mapping rows', () => {
  const def = CATALOG.find((e) => e.definition.id === 'emergency.shelter')!.definition;

  it('finds a `label（code）` header, ignores unknown and non-importable columns, and reports the missing region column', () => {
    const layout = readLayout(def, [['说明：本表…'], ['避难场所名称（name）', '场所类型 [shelter_type]', 'extra', 'photos', '_status']]);
    expect(layout.codeRow).toBe(1);
    expect(layout.columns.map((c) => c?.code)).toEqual(['name', 'shelter_type', undefined, undefined, undefined]);
    expect(layout.ignored).toEqual(['extra', 'photos']);
    expect(layout.errors.map((e) => e.code)).toEqual(['missing-column']);
  });

  it('reports duplicated columns and a sheet without any header', () => {
    expect(readLayout(def, [['_region', 'name', 'name']]).errors.map((e) => [e.column, e.code])).toEqual([['name', 'duplicate-column']]);
    expect(readLayout(def, [['a', 'b'], ['1', '2']]).errors.map((e) => e.code)).toEqual(['no-header']);
  });

  it('maps a row: region code from "code name", key, problems per column; empty rows are empty', () => {
    const layout = readLayout(def, [['_id', '_region', 'name', 'capacity']]);
    const m = mapRow(layout, ['k1', '420999001001 青山社区', '体育场', 'lots'], 2);
    expect(m).toMatchObject({ key: 'k1', regionCode: '420999001001', data: { name: '体育场' }, empty: false });
    expect(m.errors).toEqual([{ row: 2, column: 'capacity', code: 'format-integer', message: { zh: '应为整数', en: 'Expected a whole number' } }]);
    expect(mapRow(layout, ['', null, '  '], 3).empty).toBe(true);
    expect(mapRow(layout, ['', '12345', 'x'], 4).errors[0]).toMatchObject({ column: '_region', code: 'region' });
  });

  it('puts validator paths in their column', () => {
    expect(columnOfPath('data.effective_area')).toBe('effective_area');
    expect(columnOfPath('data.materials[0].qty')).toBe('materials');
    expect(columnOfPath('regionCode')).toBeNull();
  });
});

describe('stable row ids', () => {
  it('are name-based UUIDs (or the record id an export wrote): the same form and key give the same id, anything else another', () => {
    const a = importRowId('emergency.shelter', 'name:a.csv', 'K-1', 3);
    expect(isUuid(a)).toBe(true);
    expect(a[14]).toBe('5');
    expect(importRowId('emergency.shelter', 'name:b.csv', 'K-1', 9)).toBe(a); // a row key is global to the form
    expect(importRowId('emergency.school', 'name:a.csv', 'K-1', 3)).not.toBe(a);
    const byRow = importRowId('emergency.shelter', 'name:a.csv', undefined, 3);
    expect(importRowId('emergency.shelter', 'name:a.csv', undefined, 3)).toBe(byRow);
    expect(importRowId('emergency.shelter', 'name:a.csv', undefined, 4)).not.toBe(byRow);
    expect(importRowId('emergency.shelter', 'name:c.csv', undefined, 3)).not.toBe(byRow);
    // An export's record id is kept as it is.
    const exported = '3f736698-3ef0-49b6-b840-63b5718c3cd7';
    expect(importRowId('emergency.shelter', 'name:a.csv', exported, 3)).toBe(exported);
    expect(importRowId('emergency.shelter', 'name:a.csv', exported.toUpperCase(), 3)).toBe(exported);
    expect(nameUuid('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
