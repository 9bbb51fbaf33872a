/**
 * XLSForm import (API.md "Forms at run time"): the real XLSForms of the pyxform test suite
 * (../shared/fixtures/xlsform, BSD licence beside them), each imported or refused for exactly the located reasons it
 * should be; located 422-style errors for the mistakes an office makes; messy cells as real files have them; the
 * limits; and the mapping of XLSForm constructs onto our definitions.
 */
import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { readWorkbook, unpackedSize } from '../../functions/app/xlsform-io';
import { importXlsform, type Cell, type Sheet, type XlsformDefaults, type XlsformIssue } from '../../functions/domain/xlsform/index';
import { languageOf, markColumns, parseHeader, parseType, suggestName } from '../../functions/domain/xlsform/format';

const FIXTURES = '/work/shared/fixtures/xlsform';
const QUERY: XlsformDefaults = { sector: 'emergency', part: 'facilities', regionLevel: 'village' };
const CJK = /[\u4e00-\u9fff]/;

async function fixture(name: string): Promise<Sheet[]> {
  const read = await readWorkbook(readFileSync(`${FIXTURES}/${name}`));
  if ('errors' in read) throw new Error(JSON.stringify(read.errors));
  return read.sheets;
}

async function bytesOf(build: (wb: ExcelJS.Workbook) => void): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  build(wb);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

async function sheetsOf(build: (wb: ExcelJS.Workbook) => void): Promise<Sheet[]> {
  const read = await readWorkbook(await bytesOf(build));
  if ('errors' in read) throw new Error(JSON.stringify(read.errors));
  return read.sheets;
}

/** [sheet, row, column, what the English message must say]. */
type Expected = [string, number | undefined, string | undefined, RegExp];

/** The issues are exactly the expected ones (any order), each with a Chinese and an English message. */
function expectIssues(actual: XlsformIssue[], expected: Expected[]) {
  const left = [...actual];
  for (const [sheet, row, column, en] of expected) {
    const i = left.findIndex((a) => a.sheet === sheet && a.row === row && a.column === column && en.test(a.message.en));
    expect(i, `no issue ${sheet}/${row}/${column} ${en} among ${JSON.stringify(left.map((a) => [a.sheet, a.row, a.column, a.message.en]), null, 1)}`).toBeGreaterThanOrEqual(0);
    const [a] = left.splice(i, 1);
    expect(a!.message.zh).toMatch(CJK);
  }
  expect(left.map((a) => [a.sheet, a.row, a.column, a.message.en])).toEqual([]);
}

const MEDIA = /images, audio and video/;
const nameRefused = (from: string, to: string) => new RegExp(`Field name ${from} is not snake_case .*try ${to}$`);
const typeRefused = (t: string) => new RegExp(`^Type ${t} is not supported`);
const metadataRef = (m: string) => new RegExp(`refers to \\$\\{${m}\\}, metadata that is not imported`);

/** Each fixture: imported, or refused for exactly these reasons (with the upload's sector, part and region level). */
const TABLE: { file: string; errors: Expected[] }[] = [
  { file: 'extra_columns.xlsx', errors: [] },
  { file: 'field-list.xlsx', errors: [] },
  { file: 'group.xlsx', errors: [] },
  { file: 'specify_other.xlsx', errors: [] },
  { file: 'text_and_integer.xlsx', errors: [] },
  { file: 'yes_or_no_question.xlsx', errors: [] },
  {
    file: 'case_insensitivity.xlsx',
    errors: [
      ['ENTITIES', undefined, undefined, /entities sheet .* not supported/],
      ['SURVEY', 3, 'TYPE', typeRefused('select_one_external')],
      ['SURVEY', 4, 'TYPE', typeRefused('osm')],
    ],
  },
  // allow_choice_duplicates: `king` is a county of two states; our choice values are unique within a list.
  { file: 'choice_filter_test.xlsx', errors: [['choices', 6, 'name', /king appears twice in list counties \(also row 4\).*allow_choice_duplicates/]] },
  // `pastel=yes`: in XPath too, `yes` is a (missing) child element, not the text 'yes'.
  { file: 'or_other.xlsx', errors: [['survey', 3, 'choice_filter', /yes is not a column of list colors .*write 'yes'/]] },
  { file: 'loop.xlsx', errors: [['survey', 3, 'type', /begin loop is not supported: use begin repeat/]] },
  {
    file: 'xlsform_spec_test.xlsx',
    errors: [
      ['survey', 3, 'relevant', /selected\(\) needs list, got string \(for a single choice write/],
      ['survey', 9, 'image', MEDIA],
      ['survey', 9, 'audio', MEDIA],
      ['survey', 9, 'image::english', MEDIA],
      ['survey', 9, 'media::audio::chinese', MEDIA],
      ['survey', 9, 'media::video', MEDIA],
      ['survey', 10, 'image', MEDIA],
      ['survey', 10, 'label::english', /display_image_test has no label/],
      ['survey', 15, 'repeat_count', /repeat_count is not supported/],
      ['survey', 21, 'name', nameRefused('label-test', 'label_test')],
      ['survey', 22, 'name', nameRefused('list-nolabel-test', 'list_nolabel_test')],
      ['survey', 27, 'name', nameRefused('compact-test', 'compact_test')],
      ['survey', 28, 'name', nameRefused('compact-2-test', 'compact_2_test')],
      ['survey', 30, 'type', typeRefused('acknowledge')],
      ['survey', 32, 'type', typeRefused('time')],
      ['survey', 33, 'type', typeRefused('datetime')],
      ['survey', 35, 'type', typeRefused('barcode')],
      ['survey', 37, 'type', typeRefused('audio')],
      ['survey', 38, 'type', typeRefused('video')],
      ['survey', 43, 'label::chinese', metadataRef('start')],
      ['survey', 45, 'label::chinese', metadataRef('end')],
      ['survey', 47, 'label::chinese', /refers to \$\{today\}: use today\(\) instead/],
      ['survey', 49, 'label::chinese', metadataRef('deviceid')],
      ['survey', 51, 'label::chinese', metadataRef('uri_deviceid')],
      ['survey', 53, 'label::chinese', metadataRef('phonenumber')],
      ['survey', 54, 'name', nameRefused('_1', 'f_1')],
      ['survey', 55, 'name', /^B55: The formula =FALSE\(\) has no saved result/],
      ['choices', 4, 'image', MEDIA],
      ['choices', 5, 'image', MEDIA],
      ['choices', 4, 'label', /Choice a of list a_b has no label/],
      ['choices', 5, 'label', /Choice b of list a_b has no label/],
    ],
  },
  {
    file: 'flat_xlsform_test.xlsx',
    errors: [
      ['survey', 5, 'relevant', /selected\(\) needs list, got string/],
      ['survey', 9, 'image', MEDIA],
      ['survey', 9, 'audio', MEDIA],
      ['survey', 9, 'image::english', MEDIA],
      ['survey', 9, 'media::audio::chinese', MEDIA],
      ['survey', 9, 'media::video', MEDIA],
      ['survey', 10, 'image', MEDIA],
      ['survey', 10, 'label::english', /display_image_test has no label/],
      ['survey', 16, 'type', /Groups inside groups are not supported \(the outer group begins on row 5\)/],
      ['survey', 20, 'type', /Groups inside groups are not supported/],
      ['survey', 24, 'type', /Groups inside groups are not supported/],
      ['survey', 21, 'name', nameRefused('label-test', 'label_test')],
      ['survey', 22, 'name', nameRefused('list-nolabel-test', 'list_nolabel_test')],
      ['survey', 27, 'name', nameRefused('compact-test', 'compact_test')],
      ['survey', 28, 'name', nameRefused('compact-2-test', 'compact_2_test')],
      ['survey', 30, 'type', typeRefused('acknowledge')],
      ['survey', 32, 'type', typeRefused('time')],
      ['survey', 33, 'type', typeRefused('datetime')],
      ['survey', 35, 'type', typeRefused('barcode')],
      ['survey', 37, 'type', typeRefused('audio')],
      ['survey', 38, 'type', typeRefused('video')],
      ['survey', 43, 'label::chinese', metadataRef('start')],
      ['survey', 45, 'label::chinese', metadataRef('end')],
      ['survey', 47, 'label::chinese', /use today\(\) instead/],
      ['survey', 49, 'label::chinese', metadataRef('deviceid')],
      ['survey', 51, 'label::chinese', metadataRef('uri_deviceid')],
      ['survey', 53, 'label::chinese', metadataRef('simserial')],
      ['survey', 55, 'label::chinese', metadataRef('phonenumber')],
      ['survey', 56, 'name', nameRefused('_1', 'f_1')],
      ['survey', 57, 'name', /^B57: The formula =FALSE\(\) has no saved result/],
      ['choices', 4, 'image', MEDIA],
      ['choices', 5, 'image', MEDIA],
      ['choices', 4, 'label', /Choice a of list a_b has no label/],
      ['choices', 5, 'label', /Choice b of list a_b has no label/],
    ],
  },
];

describe('the pyxform fixtures', () => {
  it('covers every fixture', async () => {
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(FIXTURES).filter((f) => f.endsWith('.xlsx')).sort()).toEqual(TABLE.map((t) => t.file).sort());
  });

  for (const { file, errors } of TABLE) {
    it(`${file}: ${errors.length ? 'refused, for exactly its located reasons' : 'imported'}`, async () => {
      const r = importXlsform(await fixture(file), { ...QUERY, formId: 'emergency.fixture' });
      expectIssues(r.errors, errors);
      if (errors.length) expect(r.definition).toBeUndefined();
      else expect(r.definition?.id).toBe('emergency.fixture');
    });
  }

  it('group.xlsx: a group is a section; label:English (en) is English, copied to Chinese with a located warning', async () => {
    const r = importXlsform(await fixture('group.xlsx'), { ...QUERY, formId: 'emergency.group' });
    const d = r.definition!;
    expect(d.sections).toEqual([{ id: 'father', title: { zh: 'Father', en: 'Father' } }]);
    expect(d.fields.map((f) => [f.name, f.type, f.section, 'format' in f ? f.format : undefined])).toEqual([
      ['family_name', 'text', undefined, undefined],
      ['phone_number', 'text', 'father', 'phone'], // pyxform's "phone number"
      ['age', 'integer', 'father', undefined],
    ]);
    expect(r.warnings).toContainEqual({
      sheet: 'survey',
      row: 2,
      column: 'label:English (en)',
      message: expect.objectContaining({ en: 'label has no Chinese text on rows 2, 3, 4, 5: the English text is used for both' }),
    });
  });

  it('specify_other.xlsx / yes_or_no_question.xlsx: the legacy spellings, with "or specify other"', async () => {
    const s = importXlsform(await fixture('specify_other.xlsx'), { ...QUERY, formId: 'emergency.sex' }).definition!;
    expect(s.fields).toEqual([
      expect.objectContaining({
        name: 'sex',
        type: 'select_one',
        choices: [expect.objectContaining({ value: 'male' }), expect.objectContaining({ value: 'female' }), { value: 'other', label: { zh: '其他', en: 'Other' } }],
        other: { value: 'other', field: 'sex_other' },
      }),
      // The companion as the catalog writes it: a text beside the select, no relevant (choosing `other` makes it so).
      { name: 'sex_other', label: { zh: '其他(请注明)', en: 'Other (please specify)' }, type: 'text', maxLength: 100, required: false, constraints: [] },
    ]);
    const y = importXlsform(await fixture('yes_or_no_question.xlsx'), { ...QUERY, formId: 'emergency.yes-no' }).definition!;
    expect(y.fields[0]).toMatchObject({ name: 'good_day', type: 'select_one', choices: [{ value: 'yes' }, { value: 'no' }] });
  });

  it('field-list.xlsx: a plain label column next to label::chinese fills English; a group without label is titled by its name', async () => {
    const r = importXlsform(await fixture('field-list.xlsx'), { ...QUERY, formId: 'emergency.field-list' });
    expect(r.definition!.fields[0]).toMatchObject({
      name: 'table_list_question',
      section: 'name',
      choices: [
        { value: 'yes', label: { zh: '是', en: 'Yes' } },
        { value: 'no', label: { zh: '没有', en: 'No' } },
      ],
    });
    expect(r.warnings.some((w) => w.row === 2 && /Group name has no label/.test(w.message.en))).toBe(true);
  });

  it('extra_columns.xlsx: a dimension of thousands of styled empty columns reads as three cells', async () => {
    const sheets = await fixture('extra_columns.xlsx');
    expect(sheets[0]!.rows).toEqual([
      ['type', 'name', 'label'],
      ['text', 'a', 'A'],
    ]);
  });

  it('case_insensitivity.xlsx: UPPERCASE sheets and headers are understood (without the refused rows it imports)', async () => {
    const sheets = (await fixture('case_insensitivity.xlsx')).filter((s) => s.name !== 'ENTITIES');
    const survey = sheets.find((s) => s.name === 'SURVEY')!;
    survey.rows = survey.rows.slice(0, 2);
    const r = importXlsform(sheets, QUERY);
    expect(r.errors).toEqual([]);
    expect(r.definition).toMatchObject({ id: 'emergency.yesno', title: { en: 'Yes or no' }, fields: [{ name: 'q1', label: { en: 'Are you good?' }, choices: [{ value: 'n1-c' }, { value: 'n2-c' }] }] });
    expect(r.warnings.filter((w) => /not part of the form format/.test(w.message.en)).map((w) => w.sheet)).toEqual(['EXTERNAL_CHOICES', 'OSM']);
  });

  it('choice_filter_test.xlsx and or_other.xlsx import once their one refused cell is fixed: choice columns and filters', async () => {
    const cascade = await fixture('choice_filter_test.xlsx');
    cascade.find((s) => s.name === 'choices')!.rows.splice(5, 1); // the second `king`
    const c = importXlsform(cascade, QUERY);
    expect(c.errors).toEqual([]);
    expect(c.definition!.id).toBe('emergency.cascading-selects1');
    expect(c.definition!.fields[1]).toMatchObject({ name: 'county', choiceFilter: '${state}=cf', choices: expect.arrayContaining([{ value: 'pierce', label: { zh: 'Pierce', en: 'Pierce' }, columns: { cf: 'washington' } }]) });
    expect(c.definition!.fields[2]).toMatchObject({ name: 'city', choiceFilter: '${county}=cf' });

    const colours = await fixture('or_other.xlsx');
    colours.find((s) => s.name === 'survey')!.rows[2]![3] = "pastel='yes'";
    const o = importXlsform(colours, { ...QUERY, formId: 'emergency.colours' });
    expect(o.errors).toEqual([]);
    expect(o.definition!.fields.map((f) => f.name)).toEqual(['fav_color', 'fav_color_other', 'fav_pastel']);
    expect(o.definition!.fields[2]).toMatchObject({ choiceFilter: "pastel='yes'", choices: expect.arrayContaining([expect.objectContaining({ value: 'mauve', columns: { pastel: 'yes' } })]) });
  });

  it('xlsform_spec_test.xlsx: ignored columns, metadata and flattened groups are warnings, located', async () => {
    const r = importXlsform(await fixture('xlsform_spec_test.xlsx'), QUERY);
    const w = r.warnings.map((x) => [x.sheet, x.row, x.column, x.message.en]);
    expect(w).toContainEqual(['settings', 2, 'add_none_option', expect.stringMatching(/^F2: The formula =FALSE\(\) has no saved result/)]);
    expect(w).toContainEqual(['survey', 17, 'requiredMsg', expect.stringMatching(/no per-question required message/)]);
    expect(w).toContainEqual(['survey', 16, 'type', 'A group inside a repeat is flattened: it only grouped questions on screen']);
    expect(w).toContainEqual(['survey', 42, 'type', expect.stringMatching(/^Metadata start is ignored/)]);
    expect(w).toContainEqual(['survey', 40, 'label::english', 'Calculation calculate_test has no label: its name is used']);
    expect(w).toContainEqual(['survey', 11, 'appearance', 'appearance autocomplete is ignored (select_one)']);
  });

  it('imports the largest fixture quickly', async () => {
    const bytes = readFileSync(`${FIXTURES}/xlsform_spec_test.xlsx`);
    const t0 = performance.now();
    const read = await readWorkbook(bytes);
    importXlsform((read as { sheets: Sheet[] }).sheets, QUERY);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});

// ───────────────────────────── located errors ─────────────────────────────

type Row = (string | number | boolean | null)[];
const HEAD: Row = ['type', 'name', 'label::Chinese (zh)', 'label::English (en)', 'required', 'constraint', 'constraint_message::Chinese (zh)', 'constraint_message::English (en)', 'relevant'];
const BASE: Row[] = [
  ['text', 'building_name', '建筑名称', 'Building name', 'yes'],
  ['integer', 'floors', '层数', 'Floors', 'yes', '. >= 1', '层数至少为 1', 'At least one floor'],
  ['select_one kinds', 'kind', '结构类型', 'Structure', 'no'],
];
const CHOICES: Row[] = [
  ['list_name', 'name', 'label::Chinese (zh)', 'label::English (en)'],
  ['kinds', 'brick', '砖混', 'Brick'],
  ['kinds', 'frame', '框架', 'Frame'],
];
const SETTINGS: Row[] = [
  ['form_title', 'rc::form_title::en', 'form_id', 'rc::unit'],
  ['房屋快速核查', 'Quick check', 'housing.quick-check', 'object'],
];
const HOUSING: XlsformDefaults = { sector: 'housing', part: 'rural', regionLevel: 'village' };

const sheet = (name: string, rows: Row[]): Sheet => ({ name, rows: rows as Cell[][] });
const form = (extra: Row[] = [], settings = SETTINGS): Sheet[] => [sheet('survey', [HEAD, ...BASE, ...extra]), sheet('choices', CHOICES), sheet('settings', settings)];

describe('located errors (422 xlsform.invalid)', () => {
  it('a clean form imports with no error and no warning', () => {
    const r = importXlsform(form(), HOUSING);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.definition).toMatchObject({ id: 'housing.quick-check', version: 1, title: { zh: '房屋快速核查', en: 'Quick check' }, sector: 'housing' });
  });

  it.each<[string, Row, string, RegExp]>([
    ['a reference to a missing field', ['text', 'extra', '附加', 'Extra', 'no', null, null, null, '${nowhere} > 1'], 'relevant', /refers to \$\{nowhere\}, which is not a question of this form/],
    ['an expression that does not parse', ['integer', 'extra', '附加', 'Extra', 'no', '. >>= 2', '错', 'Wrong'], 'constraint', /^unexpected '>=', expected a value \(at 3\) — "\. >>= 2"$/],
    ['an expression that does not type-check', ['integer', 'extra', '附加', 'Extra', 'no', "regex(., 'x')", '错', 'Wrong'], 'constraint', /regex\(\) needs string or date, got number/],
    ['a duplicate name', ['text', 'floors', '层数2', 'Floors 2', 'no'], 'name', /^Field name floors is already used on row 3$/],
    ['a choice list that does not exist', ['select_one colours', 'colour', '颜色', 'Colour', 'no'], 'type', /^There is no choice list colours on the choices sheet$/],
    ['an unknown type', ['textarea', 'note_text', '备注', 'Note', 'no'], 'type', /^Unknown type textarea$/],
    ['a name that is not snake_case', ['text', 'Building Use', '用途', 'Use'], 'name', /Building Use is not snake_case .*try building_use$/],
  ])('%s: survey row 5, its column, zh and en', (_what, extra, column, en) => {
    const r = importXlsform(form([extra]), HOUSING);
    expect(r.definition).toBeUndefined();
    expectIssues(r.errors, [['survey', 5, column, en]]);
  });

  it('the same errors come located out of a real .xlsx', async () => {
    const bytes = await bytesOf((wb) => {
      const survey = wb.addWorksheet('survey');
      [HEAD, ...BASE, ['text', 'extra', '附加', 'Extra', 'no', null, null, null, '${nowhere} > 1']].forEach((r) => survey.addRow(r));
      const choices = wb.addWorksheet('choices');
      CHOICES.forEach((r) => choices.addRow(r));
      const settings = wb.addWorksheet('settings');
      SETTINGS.forEach((r) => settings.addRow(r));
    });
    const read = await readWorkbook(bytes);
    const r = importXlsform((read as { sheets: Sheet[] }).sheets, HOUSING);
    expectIssues(r.errors, [['survey', 5, 'relevant', /\$\{nowhere\}/]]);
  });

  it('a reference to a refused question is not reported again; one to dropped metadata is explained', () => {
    const r = importXlsform(form([['time', 'at', '时间', 'Time'], ['text', 'why', '原因', 'Why', '${at} != \'\''], ['start', 'began'], ['integer', 'took', '用时', 'Took', null, null, null, null, "${began} != ''"]]), HOUSING);
    expectIssues(r.errors, [
      ['survey', 5, 'type', typeRefused('time')],
      ['survey', 8, 'relevant', metadataRef('began')],
    ]);
  });

  it('settings: without the upload parameters, sector, part, region level and form id are errors on the settings sheet', () => {
    const r = importXlsform([sheet('survey', [HEAD, ...BASE]), sheet('choices', CHOICES), sheet('settings', [['form_title'], ['标题']])]);
    expectIssues(r.errors, [
      ['settings', 2, 'rc::sector', /^No sector/],
      ['settings', 2, 'rc::part', /^No part/],
      ['settings', 2, 'rc::region_level', /^No region level/],
      ['settings', 2, 'form_id', /^No form_id/],
    ]);
  });

  it('settings: an unknown part is placed on rc::part; a rule on a field that does not exist on its rc_rules row', () => {
    const settings: Row[] = [
      ['form_title', 'rc::form_title::en', 'form_id', 'rc::unit', 'rc::part'],
      ['标题', 'Title', 'housing.quick-check', 'object', 'fuel'],
    ];
    const rules = sheet('rc_rules', [
      ['id', 'expr', 'path', 'message::zh', 'message::en', 'severity'],
      ['floors-small', '${floors} < 100', 'floors', '层数过多', 'Too many floors', 'warning'],
      ['ghost', '${ghost} > 1', 'ghost', '幽灵', 'Ghost', 'error'],
    ]);
    const r = importXlsform([...form([], settings), rules], HOUSING);
    expectIssues(r.errors, [
      ['settings', 2, 'rc::part', /sector housing has no part fuel/],
      ['rc_rules', 3, 'expr', /refers to \$\{ghost\}|unknown field \$\{ghost\}/],
      ['rc_rules', 3, 'path', /rule path ghost is not a top-level field/],
    ]);
  });

  it('a choice value that is not a usable value, a choice without label, a duplicate choice: located on the choices sheet', () => {
    const choices = [...CHOICES, ['kinds', 'steel frame', '钢', 'Steel'], ['kinds', 'wood'], ['kinds', 'brick', '砖', 'Brick again']];
    const r = importXlsform([sheet('survey', [HEAD, ...BASE]), sheet('choices', choices), sheet('settings', SETTINGS)], HOUSING);
    expectIssues(r.errors, [
      ['choices', 4, 'name', /Choice value steel frame may hold letters, digits and _ \. - only/],
      ['choices', 5, 'label::Chinese (zh)', /Choice wood of list kinds has no label/],
      ['choices', 6, 'name', /brick appears twice in list kinds \(also row 2\)/],
    ]);
  });

  it('structure: an unclosed group, an end without begin, nested repeats', () => {
    const r = importXlsform(
      form([
        ['begin repeat', 'rooms', '房间', 'Rooms'],
        ['begin repeat', 'beds', '床', 'Beds'],
        ['integer', 'bed_no', '床号', 'Bed no.'],
        ['end repeat'],
        ['end repeat'],
        ['end group'],
        ['begin group', 'tail', '尾', 'Tail'],
        ['text', 'last', '最后', 'Last'],
      ]),
      HOUSING,
    );
    expectIssues(r.errors, [
      ['survey', 6, 'type', /Repeats inside repeats are not supported \(the outer one begins on row 5\)/],
      ['survey', 10, 'type', /^end group without a begin group$/],
      ['survey', 11, 'type', /The begin group on row 11 is never closed/],
    ]);
  });
});

// ───────────────────────────── messy cells ─────────────────────────────

describe('messy cells, as real files have them', () => {
  const messy = () =>
    sheetsOf((wb) => {
      const s = wb.addWorksheet('Survey ');
      s.addRow([' TYPE ', 'Name', 'LABEL::Chinese (ZH)', 'Label:English', 'Required', 'hint::中文', 'HINT::english', 'RC::Min', 'Calculation']);
      s.addRow(['text', { formula: 'LOWER("HOUSE_NAME")', result: 'house_name' }, { richText: [{ text: '房屋' }, { font: { bold: true }, text: '名称' }] }, 'House name', true]);
      s.addRow(['date', 'surveyed', '调查日期', { text: 'Survey date', hyperlink: 'https://example.org/help' }, null, '合并的提示', null, new Date(Date.UTC(2020, 0, 1))]);
      s.mergeCells('F3:G3'); // one hint spread over both languages: read once
      s.addRow(['integer  ', 'storeys ', '层数', 'Storeys', 'TRUE()']);
      // Styled empty cells far right and a styled empty row at the sheet's last row: a dimension of A1:XFD1048576.
      s.getCell('XFD2').fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFFF00' } };
      s.getCell('A1048576').fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFFF00' } };
      const t = wb.addWorksheet('SETTINGS');
      t.addRow(['Form_Title', 'rc::Form_Title::EN', 'FORM_ID', 'rc::unit']);
      t.addRow(['房屋', 'Houses', 'housing.houses', 'object']);
    });

  it('the reader gives cached formula results, joined rich text, hyperlink text, ISO dates, a merged value once; it stops at the last filled row and cell', async () => {
    const t0 = performance.now();
    const [survey] = await messy();
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(survey!.rows).toEqual([
      [' TYPE ', 'Name', 'LABEL::Chinese (ZH)', 'Label:English', 'Required', 'hint::中文', 'HINT::english', 'RC::Min', 'Calculation'],
      ['text', 'house_name', '房屋名称', 'House name', true],
      ['date', 'surveyed', '调查日期', 'Survey date', null, '合并的提示', null, '2020-01-01'],
      ['integer  ', 'storeys ', '层数', 'Storeys', 'TRUE()'],
    ]);
    expect(survey!.issues).toBeUndefined();
  });

  it('the importer understands the mixed-case, padded headers and cells', async () => {
    const r = importXlsform(await messy(), HOUSING);
    expect(r.errors).toEqual([]);
    expect(r.definition!.fields).toEqual([
      expect.objectContaining({ name: 'house_name', type: 'text', required: true, label: { zh: '房屋名称', en: 'House name' } }),
      expect.objectContaining({ name: 'surveyed', type: 'date', min: '2020-01-01', hint: { zh: '合并的提示', en: '合并的提示' } }),
      expect.objectContaining({ name: 'storeys', type: 'integer', required: true }),
    ]);
    expect(r.warnings).toEqual([expect.objectContaining({ sheet: 'Survey ', row: 3, column: 'hint::中文', message: expect.objectContaining({ en: 'hint has no English text on row 3: the Chinese text is used for both' }) })]);
  });

  it('a formula without a cached result and an error value are errors on their cells (and nothing more is said about them)', async () => {
    const sheets = await sheetsOf((wb) => {
      const s = wb.addWorksheet('survey');
      s.addRow(['type', 'name', 'label::zh', 'label::en']);
      s.addRow(['text', { formula: 'A1&"x"' }, '名称', 'Name']);
      s.addRow(['text', 'b', { error: '#N/A' }, 'B']);
      const t = wb.addWorksheet('settings');
      t.addRow(['form_id', 'rc::unit', 'public_key']);
      t.addRow(['housing.x', 'object', { formula: 'NOW()' }]);
    });
    expect(sheets[0]!.rows[1]).toEqual(['text', null, '名称', 'Name']);
    const r = importXlsform(sheets, HOUSING);
    expectIssues(r.errors, [
      ['survey', 2, 'name', /^B2: The formula =A1&"x" has no saved result/],
      ['survey', 3, 'label::zh', /^C3: The cell holds the error value #N\/A/],
    ]);
    // In a column we ignore anyway, it is a warning.
    expect(r.warnings.some((w) => w.sheet === 'settings' && w.column === 'public_key' && /^C2: The formula =NOW\(\)/.test(w.message.en))).toBe(true);
  });
});

// ───────────────────────────── the reader's refusals and the limits ─────────────────────────────

describe('refusals and limits', () => {
  const one = async (bytes: Uint8Array) => {
    const r = await readWorkbook(bytes);
    expect('errors' in r).toBe(true);
    const errors = (r as { errors: XlsformIssue[] }).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message.zh).toMatch(CJK);
    return errors[0]!.message.en;
  };

  it('refuses bytes that are not an xlsx, an old .xls, a damaged zip, more than 10 MB', async () => {
    expect(await one(new TextEncoder().encode('type,name\ntext,a\n'))).toMatch(/not an \.xlsx workbook/);
    expect(await one(new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]))).toMatch(/old Excel \(\.xls\) file/);
    expect(await one(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]))).toMatch(/damaged/);
    const big = new Uint8Array(10 * 1024 * 1024 + 1);
    big.set([0x50, 0x4b, 0x03, 0x04]);
    expect(await one(big)).toMatch(/at most 10 MB/);
  });

  it('refuses a small file that unpacks to more than 32 MB, before unpacking it', async () => {
    const bytes = await bytesOf((wb) => {
      const s = wb.addWorksheet('survey');
      s.addRow(['type', 'name', 'label']);
      s.addRow(['note', 'n', 'x'.repeat(33 * 1024 * 1024)]);
    });
    expect(bytes.length).toBeLessThan(1024 * 1024);
    expect(unpackedSize(bytes)).toBeGreaterThan(32 * 1024 * 1024);
    expect(await one(bytes)).toMatch(/unpacks to more than 32 MB/);
  });

  it('refuses more than 5,000 survey rows and 20,000 choice rows (reader and importer alike)', async () => {
    const rows: Row[] = [['type', 'name', 'label'], ...Array.from({ length: 5_001 }, (_, i): Row => ['text', `q${i}`, 'Q'])];
    const choices: Row[] = [['list_name', 'name', 'label'], ...Array.from({ length: 20_001 }, (_, i): Row => ['l', `c${i}`, 'C'])];
    const r = importXlsform([sheet('survey', rows), sheet('choices', choices)], HOUSING);
    expectIssues(r.errors, [
      ['survey', undefined, undefined, /has 5001 rows; at most 5000/],
      ['choices', undefined, undefined, /has 20001 rows; at most 20000/],
    ]);
    const read = await readWorkbook(
      await bytesOf((wb) => {
        const s = wb.addWorksheet('survey');
        rows.forEach((x) => s.addRow(x));
      }),
    );
    expect((read as { errors: XlsformIssue[] }).errors.map((e) => [e.sheet, e.message.en])).toEqual([['survey', 'The survey sheet has 5001 rows; at most 5000 are accepted']]);
  });

  it('a workbook without a survey sheet, and one with an entities sheet', () => {
    expectIssues(importXlsform([sheet('choices', CHOICES)], HOUSING).errors, [['survey', undefined, undefined, /no survey sheet/]]);
    const r = importXlsform([...form(), sheet('entities', [['dataset', 'label'], ['trees', 'Trees']])], HOUSING);
    expectIssues(r.errors, [['entities', undefined, undefined, /entities sheet/]]);
  });
});

// ───────────────────────────── mapping ─────────────────────────────

describe('mapping XLSForm onto our definitions', () => {
  const one = (rows: Row[], extra: Sheet[] = [], settings = SETTINGS) => {
    return importXlsform([sheet('survey', [HEAD, ...BASE, ...rows]), sheet('choices', CHOICES), sheet('settings', settings), ...extra], HOUSING);
  };

  it('headers: case, spaces, languages after :: or :, aliases', () => {
    expect(parseHeader('  LABEL::Chinese (zh) ', 0)).toMatchObject({ key: 'label', language: 'zh', raw: 'LABEL::Chinese (zh)' });
    expect(parseHeader('label:English', 1)).toMatchObject({ key: 'label', language: 'en' });
    expect(parseHeader('label::French (fr)', 2)).toMatchObject({ key: 'label', language: null });
    expect(parseHeader('list name', 3).key).toBe('list_name');
    expect(parseHeader('jr:constraintMsg::English', 4)).toMatchObject({ key: 'constraint_message', language: 'en' });
    expect(parseHeader('readonly', 5).key).toBe('read_only');
    expect(parseHeader('rc::Unit::ZH', 6)).toMatchObject({ key: 'rc::unit', language: 'zh' });
    expect(parseHeader('rc::constraint_message2::en', 7)).toMatchObject({ key: 'rc::constraint_message2', language: 'en' });
    expect(parseHeader('rc::column::image', 8)).toMatchObject({ key: 'rc::column', lang: 'image' });
    expect(['zh', 'zh-CN', 'Chinese', 'chinese (simplified)', '中文'].map(languageOf)).toEqual(['zh', 'zh', 'zh', 'zh', 'zh']);
    expect(['en', 'EN', 'English (en)', 'en-US'].map(languageOf)).toEqual(['en', 'en', 'en', 'en']);
  });

  it('types: ours, the legacy spellings, refusals, metadata', () => {
    expect(parseType('select one from yes_no or specify other')).toEqual({ kind: 'field', word: 'select_one', list: 'yes_no', orOther: true });
    expect(parseType('select all that apply from toilets')).toEqual({ kind: 'field', word: 'select_multiple', list: 'toilets', orOther: false });
    expect(parseType('select_multiple Colours or_other')).toMatchObject({ list: 'Colours', orOther: true });
    expect(parseType('Begin_Group')).toEqual({ kind: 'begin', what: 'group' });
    expect(parseType('end repeat')).toEqual({ kind: 'end', what: 'repeat' });
    expect(parseType('begin loop over x')).toMatchObject({ kind: 'refused', word: 'begin loop' });
    expect(parseType('select_one_from_file places.csv')).toMatchObject({ kind: 'refused' });
    expect(parseType('range')).toMatchObject({ kind: 'refused' });
    expect(parseType('uri:username')).toMatchObject({ kind: 'metadata' });
    expect(parseType('photograph')).toMatchObject({ kind: 'unknown' });
    expect(suggestName('Year Built (approx.)')).toBe('year_built_approx');
  });

  it('required: yes / TRUE() / 1 / true are true, no / empty false, anything else an expression', () => {
    const r = one([
      ['text', 'a', '甲', 'A', 'TRUE()'],
      ['text', 'b', '乙', 'B', 1],
      ['text', 'c', '丙', 'C', false],
      ['text', 'd', '丁', 'D', "${a} != ''"],
    ]);
    expect(r.errors).toEqual([]);
    expect(r.definition!.fields.slice(3).map((f) => ('required' in f ? f.required : undefined))).toEqual([true, true, false, "${a} != ''"]);
  });

  it('groups are sections; a group relevant is checked once and joins each field’s relevant; a group in a repeat is flattened', () => {
    const r = one([
      ['begin group', 'House_Info', '房屋', 'House', null, null, null, null, '${floors} > 1'],
      ['text', 'roof', '屋顶', 'Roof', null, null, null, null, "${kind} = 'brick'"],
      ['begin repeat', 'rooms', '房间', 'Rooms'],
      ['begin group', 'detail', '详情', 'Detail', null, null, null, null, "${kind} != ''"],
      ['decimal', 'room_area', '面积', 'Area'],
      ['end group'],
      ['end repeat'],
      ['end group'],
      ['begin group', 'house_info', '房屋', 'House'],
      ['text', 'later', '稍后', 'Later'],
      ['end group'],
    ]);
    expect(r.errors).toEqual([]);
    const d = r.definition!;
    // XLSForm names are case-sensitive: House_Info and house_info are two groups, whose ids would both be house-info.
    expect(d.sections).toEqual([
      { id: 'house-info', title: { zh: '房屋', en: 'House' } },
      { id: 'house-info-2', title: { zh: '房屋', en: 'House' } },
    ]);
    expect(d.fields.slice(3)).toEqual([
      expect.objectContaining({ name: 'roof', section: 'house-info', relevant: "(${floors} > 1) and (${kind} = 'brick')" }),
      expect.objectContaining({ name: 'rooms', type: 'repeat', section: 'house-info', relevant: '${floors} > 1', fields: [expect.objectContaining({ name: 'room_area', relevant: "${kind} != ''" })] }),
      expect.objectContaining({ name: 'later', section: 'house-info-2' }),
    ]);
    expect(d.fields[4]!.type === 'repeat' && d.fields[4]!.fields[0]!.section).toBeUndefined();
    expect(r.warnings.map((w) => [w.row, w.message.en])).toContainEqual([8, 'A group inside a repeat is flattened: it only grouped questions on screen']);
  });

  it('a group relevant that does not check is one error on the group row, not one per field', () => {
    const r = one([['begin group', 'g', '组', 'G', null, null, null, null, "selected(${kind}, 'brick')"], ['text', 'x', '甲', 'X'], ['text', 'y', '乙', 'Y'], ['end group']]);
    expectIssues(r.errors, [['survey', 5, 'relevant', /selected\(\) needs list, got string/]]);
  });

  it('rc:: columns: year, boolean and region types, bounds, attachments, units; what does not apply is a warning', () => {
    const head: Row = [...HEAD, 'rc::type', 'rc::min', 'rc::max', 'rc::bounds', 'rc::accept', 'rc::max_size', 'rc::multiple', 'rc::level', 'rc::unit::zh', 'rc::unit::en', 'rc::precision', 'appearance'];
    const row = (type: string, name: string, rest: Record<string, Cell>): Row => head.map((h, i) => (i === 0 ? type : i === 1 ? name : i === 2 ? name : i === 3 ? name : (rest[h as string] ?? null)));
    const r = importXlsform(
      [
        sheet('survey', [
          head,
          row('integer', 'built', { 'rc::type': 'year', 'rc::min': 1900, 'rc::max': '2020' }),
          row('select_one whatever', 'ok', { 'rc::type': 'boolean' }),
          row('text', 'where', { 'rc::type': 'region', 'rc::level': 'township' }),
          row('geopoint', 'at', { 'rc::bounds': 'china' }),
          row('geotrace', 'road', { 'rc::bounds': 'MIN_LAT=1 maxLat=2 min_lng=3 max_lon=4' }),
          row('file', 'doc', { 'rc::max_size': 500 }),
          row('image', 'pic', { 'rc::accept': 'image/jpeg, image/webp', 'rc::multiple': 'yes' }),
          row('decimal', 'area', { 'rc::unit::zh': '平方米', 'rc::unit::en': 'm²', 'rc::precision': 1, 'rc::level': 'county' }),
          row('text', 'memo', { appearance: 'multiline minimal' }),
        ]),
        sheet('settings', SETTINGS),
      ],
      HOUSING,
    );
    expect(r.errors).toEqual([]);
    const by = Object.fromEntries(r.definition!.fields.map((f) => [f.name, f]));
    expect(by.built).toMatchObject({ type: 'year', min: 1900, max: 2020 });
    expect(by.ok).toMatchObject({ type: 'boolean' });
    expect(by.where).toMatchObject({ type: 'region', level: 'township' });
    expect(by.at).toMatchObject({ type: 'geopoint', bounds: { minLat: 3.8, maxLat: 53.6, minLng: 73.4, maxLng: 135.1 } });
    expect(by.road).toMatchObject({ type: 'geotrace', bounds: { minLat: 1, maxLat: 2, minLng: 3, maxLng: 4 }, maxVertices: 2000 });
    expect(by.doc).toMatchObject({ type: 'file', accept: ['application/pdf', 'image/jpeg', 'image/png'], maxSize: 500 });
    expect(by.pic).toMatchObject({ type: 'photo', accept: ['image/jpeg', 'image/webp'], maxSize: 10 * 1024 * 1024, multiple: true });
    expect(by.area).toMatchObject({ type: 'decimal', unit: { zh: '平方米', en: 'm²' }, precision: 1 });
    expect(by.memo).toMatchObject({ type: 'text', multiline: true });
    expect(r.warnings.map((w) => [w.row, w.column, w.message.en])).toEqual([
      [7, 'rc::accept', 'No rc::accept: only application/pdf, image/jpeg, image/png are accepted'],
      [9, 'rc::level', 'rc::level does not apply to a decimal row: ignored'],
      [10, 'appearance', 'appearance minimal is ignored (text)'],
    ]);
  });

  it('rc::type with the wrong XLSForm type, a bad number, a calculation on a question: errors', () => {
    const head: Row = ['type', 'name', 'label', 'rc::type', 'rc::min', 'calculation'];
    const r = importXlsform([
      sheet('survey', [head, ['text', 'built', 'Built', 'year'], ['integer', 'n', 'N', null, 'ten'], ['integer', 'm', 'M', null, null, '1 + 1']]),
      sheet('settings', SETTINGS),
    ], HOUSING);
    expectIssues(r.errors, [
      ['survey', 2, 'rc::type', /rc::type year goes with type integer/],
      ['survey', 3, 'rc::min', /rc::min takes a number/],
      ['survey', 4, 'calculation', /calculation does not apply to a integer row/],
    ]);
  });

  it('choice filters: bare names are the list’s columns, case-insensitive; a choice column becomes columns[key]', () => {
    const choices = [['list_name', 'name', 'label', 'Region'], ['states', 'hb', 'Hubei', null], ['cities', 'wh', 'Wuhan', 'hb'], ['cities', 'yc', 'Yichang', 'HB']];
    const r = importXlsform(
      [
        sheet('survey', [['type', 'name', 'label', 'choice_filter'], ['select_one states', 'state', 'State'], ['select_one cities', 'city', 'City', 'REGION = ${state}']]),
        sheet('choices', choices),
        sheet('settings', SETTINGS),
      ],
      HOUSING,
    );
    expect(r.errors).toEqual([]);
    expect(r.definition!.fields[1]).toMatchObject({ choiceFilter: 'region = ${state}', choices: [{ value: 'wh', columns: { region: 'hb' } }, { value: 'yc', columns: { region: 'HB' } }] });
    expect(markColumns("count-selected(${a}) > 0 and cf = 'x' or Other-Col").names).toEqual(['cf', 'Other-Col']);
  });

  it('labels: a plain label is default_language, else Chinese when it has CJK; one language missing is copied with one located warning per column', () => {
    const settings: Row[] = [['form_id', 'rc::unit', 'default_language'], ['housing.x', 'object', 'English (en)']];
    const r = importXlsform([sheet('survey', [['type', 'name', 'label', 'label::zh'], ['text', 'a', 'Alpha', '甲'], ['text', 'b', 'Beta'], ['text', 'c', 'Gamma']]), sheet('settings', settings)], HOUSING);
    expect(r.definition!.fields.map((f) => f.label)).toEqual([{ zh: '甲', en: 'Alpha' }, { zh: 'Beta', en: 'Beta' }, { zh: 'Gamma', en: 'Gamma' }]);
    expect(r.warnings.filter((w) => /label has no Chinese/.test(w.message.en)).map((w) => [w.row, w.column, w.message.en])).toEqual([[3, 'label', 'label has no Chinese text on rows 3, 4: the English text is used for both']]);
    const cjk = importXlsform([sheet('survey', [['type', 'name', 'label'], ['text', 'a', '甲项'], ['text', 'b', 'B']]), sheet('settings', [['form_id', 'rc::unit'], ['housing.x', 'object']])], HOUSING);
    expect(cjk.definition!.fields.map((f) => f.label)).toEqual([{ zh: '甲项', en: '甲项' }, { zh: 'B', en: 'B' }]);
  });

  it('form ids: the upload’s formId wins, a form_id already shaped sector.table is kept, another is slugged under the sector', () => {
    const withId = (id: string, defaults: XlsformDefaults = HOUSING) =>
      importXlsform([sheet('survey', [HEAD, ...BASE]), sheet('choices', CHOICES), sheet('settings', [['form_id', 'rc::unit', 'version'], [id, 'object', '2024']])], defaults);
    expect(withId('Rural Houses (2024)').definition!.id).toBe('housing.rural-houses-2024');
    expect(withId('housing.rural-check').definition!.id).toBe('housing.rural-check');
    expect(withId('whatever', { ...HOUSING, formId: 'housing.from-query' }).definition!.id).toBe('housing.from-query');
    expect(withId('x').warnings.map((w) => w.message.en)).toContain('version is ignored: the server numbers versions');
  });

  it('unknown columns and sheets are warnings; refused columns are errors per cell', () => {
    const r = one([['text', 'memo', '备注', 'Memo']], [sheet('notes', [['anything'], ['here']])]);
    expect(r.errors).toEqual([]);
    const withDefault = importXlsform([sheet('survey', [[...HEAD, 'default', 'owner'], ['text', 'memo', '备注', 'Memo', null, null, null, null, null, 'n/a', 'me']]), sheet('settings', SETTINGS)], HOUSING);
    expectIssues(withDefault.errors, [['survey', 2, 'default', /default values \(default\) are not supported/]]);
    expect(withDefault.warnings.map((w) => [w.column, w.message.en])).toContainEqual(['owner', 'Column owner is not part of the form format and is ignored']);
    expect(r.warnings.map((w) => w.message.en)).toContain('Sheet notes is not part of the form format and is ignored');
  });

  it('${…} in a question label (not a note) is shown as written: a warning', () => {
    const r = one([['text', 'memo', '备注 ${floors}', 'Memo ${floors}']]);
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => [w.row, w.message.en])).toEqual([[5, 'Only a note shows answers in its text: ${floors} is shown as written']]);
  });
});
