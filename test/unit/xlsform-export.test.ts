/**
 * XLSForm export and the round trip (API.md "Forms at run time"): every catalog table, exported and imported back —
 * as sheets and through real .xlsx bytes — is the same definition, with no error and no warning. A hand-built form
 * covers what the catalog does not use: sections met twice, sections without fields or in another order, several
 * constraints, choice columns named like reserved headers, explicit `false` flags, every field type.
 */
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { readWorkbook, writeWorkbook } from '../../functions/app/xlsform-io';
import { CATALOG } from '../../functions/domain/catalog/index';
import { CHINA_EXTENT, defineForm, type FormDefinition } from '../../functions/domain/forms';
import { exportXlsform, importXlsform, type Sheet } from '../../functions/domain/xlsform/index';

const v1 = (def: FormDefinition): FormDefinition => ({ ...def, version: 1 });

async function throughBytes(sheets: Sheet[]): Promise<Sheet[]> {
  const read = await readWorkbook(await writeWorkbook(sheets));
  if ('errors' in read) throw new Error(JSON.stringify(read.errors));
  return read.sheets;
}

const sheet = (sheets: Sheet[], name: string) => sheets.find((s) => s.name === name)!;
const head = (s: Sheet) => s.rows[0] as string[];
/** The survey rows as objects keyed by header. */
const records = (s: Sheet) => s.rows.slice(1).map((r) => Object.fromEntries(head(s).map((h, i) => [h, r[i] ?? null])));

describe('round trip over the catalog', () => {
  for (const entry of CATALOG) {
    const def = v1(entry.definition);
    it(`${def.id}: export → import gives the same definition`, () => {
      const r = importXlsform(exportXlsform(def), {});
      expect(r.errors).toEqual([]);
      expect(r.warnings).toEqual([]);
      expect(r.definition).toEqual(def);
    });
    it(`${def.id}: export → .xlsx → read → import gives the same definition`, async () => {
      const r = importXlsform(await throughBytes(exportXlsform(def)), {});
      expect(r.errors).toEqual([]);
      expect(r.warnings).toEqual([]);
      expect(r.definition).toEqual(def);
    });
  }
});

/** Everything the schema allows that the catalog tables do not use. */
const EDGES = defineForm({
  id: 'forestry.edge-cases',
  version: 3,
  sector: 'forestry',
  part: 'fuel',
  code: 'edge',
  title: { zh: '边界用例', en: 'Edge cases' },
  description: { zh: '说明', en: 'About' },
  unit: 'region',
  regionLevel: 'township',
  // Declared in an order the groups alone would not give; `spare` has no fields; `9lives` is no group name.
  sections: [
    { id: 'b', title: { zh: '乙', en: 'B' } },
    { id: 'a', title: { zh: '甲', en: 'A' } },
    { id: 'spare', title: { zh: '备用', en: 'Spare' } },
    { id: '9lives', title: { zh: '九', en: 'Nine' } },
  ],
  fields: [
    { name: 'intro', label: { zh: '说明 ${kind}', en: 'About ${kind}' }, type: 'note', section: 'a' },
    {
      name: 'kind',
      label: { zh: '类型', en: 'Kind' },
      type: 'select_one',
      required: true,
      section: 'a',
      choices: [
        { value: '1', label: { zh: '一', en: 'One' }, columns: { group: 'x', image: 'not-media', label: 'y', readonly: 'z' } },
        { value: 'zz', label: { zh: '别的', en: 'Else' } },
      ],
      other: { value: 'zz', field: 'kind_else' },
    },
    { name: 'kind_else', label: { zh: '其他类型', en: 'Other kind' }, type: 'text', maxLength: 30, multiline: false, section: 'a' },
    {
      name: 'count',
      label: { zh: '数量', en: 'Count' },
      type: 'integer',
      min: -5,
      max: 1e6,
      exclusiveMin: false,
      unit: { zh: '个', en: 'units' },
      readonly: false,
      constraints: [
        { expr: '. != 3', message: { zh: '不能为 3', en: 'Not 3' } },
        { expr: '. != 4', message: { zh: '不能为 4', en: 'Not 4' } },
        { expr: 'int(.) = .', message: { zh: '整数', en: 'Whole' } },
      ],
      section: 'b',
    },
    { name: 'flag', label: { zh: '是否', en: 'Flag' }, type: 'boolean', relevant: '${count} > 1', section: 'b' },
    // Back in section a: not contiguous with its first run.
    { name: 'when', label: { zh: '日期', en: 'When' }, type: 'date', min: '2020-01-01', max: '2020-12-31', section: 'a' },
    { name: 'built', label: { zh: '年份', en: 'Year' }, type: 'year', min: 1900, max: 2020 },
    { name: 'where', label: { zh: '区划', en: 'Region' }, type: 'region', level: 'village', section: '9lives' },
    { name: 'line', label: { zh: '线', en: 'Line' }, type: 'geotrace', bounds: CHINA_EXTENT, maxVertices: 50 },
    { name: 'shape', label: { zh: '面', en: 'Shape' }, type: 'geoshape', maxVertices: 4 },
    { name: 'point', label: { zh: '点', en: 'Point' }, type: 'geopoint', bounds: { minLat: -1.5, maxLat: 2, minLng: 100, maxLng: 101.25 } },
    { name: 'doc', label: { zh: '文件', en: 'Document' }, type: 'file', accept: ['application/pdf'], maxSize: 1234, multiple: false },
    { name: 'pic', label: { zh: '照片', en: 'Photo' }, type: 'photo', accept: ['image/heic'], maxSize: 99, multiple: true, maxFiles: 3, required: '${flag} = true()' },
    {
      name: 'tags',
      label: { zh: '标签', en: 'Tags' },
      type: 'select_multiple',
      minSelected: 1,
      maxSelected: 2,
      choices: [
        { value: 'p', label: { zh: 'P', en: 'P' }, columns: { grp: 'g1' } },
        { value: 'q', label: { zh: 'Q', en: 'Q' }, columns: { grp: 'g2' } },
      ],
      choiceFilter: "grp = 'g1' or ${count} > 2",
    },
    { name: 'total', label: { zh: '合计', en: 'Total' }, type: 'calculate', calculate: '${count} * 2', unit: { zh: '个', en: 'units' }, precision: 0 },
    { name: 'ratio', label: { zh: '比例', en: 'Ratio' }, type: 'decimal', precision: 4 },
    { name: 'memo', label: { zh: '备注', en: 'Memo' }, type: 'text', multiline: true, minLength: 2, format: 'phone', hint: { zh: '提示', en: 'Hint' } },
    {
      name: 'items',
      label: { zh: '明细', en: 'Items' },
      type: 'repeat',
      section: 'b',
      minRows: 1,
      maxRows: 7,
      relevant: '${count} > 0',
      fields: [
        { name: 'item', label: { zh: '名称', en: 'Item' }, type: 'text', required: true, section: 'spare' },
        { name: 'qty', label: { zh: '数量', en: 'Qty' }, type: 'decimal', min: 0, constraints: [{ expr: '. < 10', message: { zh: '小于 10', en: 'Below 10' } }] },
      ],
    },
    { name: 'rc_boolean', label: { zh: '名称冲突', en: 'Name clash' }, type: 'boolean' },
  ],
  rules: [
    { id: 'count-vs-ratio', expr: '${count} >= ${ratio}', path: 'count', message: { zh: '数量不小于比例', en: 'Count at least ratio' }, severity: 'warning' },
    { id: 'plain', expr: '${count} != 7', path: 'count', message: { zh: '不是 7', en: 'Not 7' } },
  ],
});

describe('round trip of a form using everything the schema allows', () => {
  it('exports and imports back to the same definition, with no warning', async () => {
    const def = v1(EDGES);
    for (const sheets of [exportXlsform(def), await throughBytes(exportXlsform(def))]) {
      const r = importXlsform(sheets, {});
      expect(r.errors).toEqual([]);
      expect(r.warnings).toEqual([]);
      expect(r.definition).toEqual(def);
    }
  });

  it('writes sections as groups, with rc::section where a group name cannot carry the section', () => {
    const rows = records(sheet(exportXlsform(EDGES), 'survey'));
    const groups = rows.filter((r) => r.type === 'begin group').map((r) => [r.name, r['rc::section']]);
    expect(groups).toEqual([
      ['a', null],
      ['b', null],
      ['section_1', 'a'], // a again, after b
      ['section_2', '9lives'], // not a usable XLSForm name
      ['section_3', 'b'], // b again, around the repeat
      ['spare', null], // no top-level field: an empty group
    ]);
    const settings = records(sheet(exportXlsform(EDGES), 'settings'))[0]!;
    expect(settings['rc::section_order']).toBe('b a spare 9lives');
  });
});

describe('the exported workbook', () => {
  const def = v1(CATALOG.find((e) => e.definition.id === 'emergency.school')!.definition);
  const sheets = exportXlsform(def);

  it('has the XLSForm sheets and headers ODK and Kobo read', () => {
    expect(sheets.map((s) => s.name)).toEqual(['survey', 'choices', 'settings', 'rc_rules']);
    expect(head(sheet(sheets, 'survey')).slice(0, 15)).toEqual([
      'type',
      'name',
      'label::Chinese (zh)',
      'label::English (en)',
      'hint::Chinese (zh)',
      'hint::English (en)',
      'required',
      'relevant',
      'constraint',
      'constraint_message::Chinese (zh)',
      'constraint_message::English (en)',
      'calculation',
      'choice_filter',
      'appearance',
      'read_only',
    ]);
    expect(head(sheet(sheets, 'survey')).slice(15).every((h) => h.startsWith('rc::'))).toBe(true);
    expect(head(sheet(sheets, 'choices'))).toEqual(['list_name', 'name', 'label::Chinese (zh)', 'label::English (en)']);
    const settings = records(sheet(sheets, 'settings'))[0]!;
    expect(settings).toMatchObject({ form_title: '学校调查表', 'rc::form_title::en': 'School survey', form_id: 'emergency.school', default_language: 'Chinese (zh)', 'rc::sector': 'emergency' });
  });

  it('writes our types as their nearest XLSForm type, the rest in rc:: columns, each fact once', () => {
    const rows = records(sheet(sheets, 'survey'));
    const row = (name: string) => rows.find((r) => r.name === name)!;
    expect(row('newest_building_year')).toMatchObject({ type: 'integer', 'rc::type': 'year', 'rc::min': 1900, 'rc::max': 2020, constraint: null });
    expect(row('is_shelter')).toMatchObject({ type: 'select_one rc_boolean', 'rc::type': 'boolean', required: 'yes' });
    expect(row('school_type')).toMatchObject({ type: 'select_one school_type', 'rc::other': 'school_type_other' });
    expect(row('photos')).toMatchObject({ type: 'image', 'rc::accept': 'image/jpeg image/png', 'rc::multiple': 'yes', 'rc::max_files': 10 });
    expect(row('location')).toMatchObject({ type: 'geopoint', 'rc::bounds': 'min_lat=3.8 max_lat=53.6 min_lng=73.4 max_lng=135.1' });
    expect(row('land_area')).toMatchObject({ type: 'decimal', 'rc::min': 0, 'rc::exclusive_min': 'yes', 'rc::unit::zh': '平方米', constraint: null });
    expect(row('school_code')).toMatchObject({ constraint: "regex(., '^[0-9]{10}$')", 'constraint_message::English (en)': 'The school identification code is 10 digits' });
    const choices = records(sheet(sheets, 'choices'));
    expect(choices.filter((c) => c.list_name === 'rc_boolean').map((c) => c.name)).toEqual(['yes', 'no']);
  });

  it('names the boolean list so it cannot clash with a field, and writes reserved choice columns as rc::column::<key>', () => {
    const s = exportXlsform(EDGES);
    expect(records(sheet(s, 'survey')).find((r) => r.name === 'flag')!.type).toBe('select_one rc_boolean_2');
    expect(head(sheet(s, 'choices'))).toEqual(['list_name', 'name', 'label::Chinese (zh)', 'label::English (en)', 'group', 'rc::column::image', 'rc::column::label', 'rc::column::readonly', 'grp']);
  });

  it('is a real .xlsx: bold, frozen header row, opened by exceljs', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await writeWorkbook(sheets)) as never);
    const ws = wb.getWorksheet('survey')!;
    expect(ws.getRow(1).font?.bold).toBe(true);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(ws.getCell('A2').value).toBe('begin group');
  });
});
