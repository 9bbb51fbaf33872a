/**
 * Notes, lines (geotrace) and choice filters, end to end through the domain: the definition check, the validator
 * (draft and submit), generated samples, and the table model of exports and imports.
 */
import { text as streamText } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import type { Submission } from '../../functions/app/ports';
import { csvWriter, geojsonWriter, readCsv } from '../../functions/app/spreadsheets';
import { checkDefinition } from '../../functions/domain/form-check';
import { fillLabel, labelReferences } from '../../functions/domain/form-fields';
import { CHINA_EXTENT, defineForm, type FieldInput, type FormDefinitionInput } from '../../functions/domain/forms';
import { generateSample } from '../../functions/domain/samples';
import { columnFormat, exportColumns, formatCell, mapRow, parseCell, readLayout, templateColumns } from '../../functions/domain/tabular';
import { validate } from '../../functions/domain/validate';

const L = (zh: string, en = zh) => ({ zh, en });
const TODAY = '2026-11-29';

const FIELDS: FieldInput[] = [
  { name: 'intro', type: 'note', label: L('请核对“${name}”的信息（${province}）', 'Check the details of “${name}” (${province})') },
  { name: 'name', type: 'text', label: L('名称'), required: true },
  {
    name: 'province',
    type: 'select_one',
    label: L('省'),
    required: true,
    choices: [
      { value: 'hubei', label: L('湖北') },
      { value: 'hunan', label: L('湖南') },
    ],
  },
  {
    name: 'county',
    type: 'select_one',
    label: L('县'),
    required: true,
    choiceFilter: 'cf = ${province}',
    choices: [
      { value: 'wuchang', label: L('武昌'), columns: { cf: 'hubei' } },
      { value: 'hanyang', label: L('汉阳'), columns: { cf: 'hubei' } },
      { value: 'yuelu', label: L('岳麓'), columns: { cf: 'hunan' } },
      { value: 'nowhere', label: L('无所属') },
    ],
  },
  {
    name: 'town',
    type: 'select_one',
    label: L('乡镇'),
    choiceFilter: '${county} = cf',
    choices: [
      { value: 'zhongnan', label: L('中南'), columns: { cf: 'wuchang' } },
      { value: 'jianghan', label: L('江汉'), columns: { cf: 'hanyang' } },
      { value: 'yinpen', label: L('银盆'), columns: { cf: 'yuelu' } },
    ],
  },
  { name: 'bright', type: 'boolean', label: L('鲜艳') },
  {
    name: 'colours',
    type: 'select_multiple',
    label: L('颜色'),
    choiceFilter: "pastel = 'yes' or ${bright} = true()",
    choices: [
      { value: 'pink', label: L('粉'), columns: { pastel: 'yes' } },
      { value: 'mint', label: L('薄荷'), columns: { pastel: 'yes' } },
      { value: 'red', label: L('红'), columns: { pastel: 'no' } },
    ],
  },
  { name: 'road', type: 'geotrace', label: L('道路走向'), required: true, bounds: CHINA_EXTENT, maxVertices: 5 },
  {
    name: 'segments',
    type: 'repeat',
    label: L('路段'),
    fields: [
      { name: 'seg_kind', type: 'select_one', label: L('路段类型'), choices: [{ value: 'main', label: L('主路') }, { value: 'branch', label: L('支路') }] },
      {
        name: 'surface',
        type: 'select_one',
        label: L('路面'),
        choiceFilter: 'fits = ${seg_kind}',
        choices: [
          { value: 'asphalt', label: L('沥青'), columns: { fits: 'main' } },
          { value: 'gravel', label: L('砂石'), columns: { fits: 'branch' } },
        ],
      },
      { name: 'seg_note', type: 'note', label: L('本段为${seg_kind}，位于${county}') },
      { name: 'seg_path', type: 'geotrace', label: L('路段走向') },
    ],
  },
];

const base = (fields: FieldInput[], rules: FormDefinitionInput['rules'] = []): FormDefinitionInput => ({
  id: 'emergency.test-new-types',
  version: 1,
  sector: 'emergency',
  part: 'facilities',
  title: L('新题型测试', 'New field types'),
  unit: 'object',
  regionLevel: 'village',
  fields,
  rules,
});

const def = defineForm(base(FIELDS));
const line = (...pts: number[][]) => ({ type: 'LineString', coordinates: pts });
const ROAD = line([114.3, 30.5], [114.31, 30.52]);
const valid = {
  name: '江滩路',
  province: 'hubei',
  county: 'wuchang',
  town: 'zhongnan',
  colours: ['pink'],
  road: ROAD,
  segments: [{ seg_kind: 'main', surface: 'asphalt', seg_path: line([114.3, 30.5], [114.301, 30.5]) }],
};

const submit = (data: unknown) => validate(def, data, { mode: 'submit', today: TODAY });
const draft = (data: unknown) => validate(def, data, { mode: 'draft', today: TODAY });
const codesAt = (r: { errors: { path: string; code: string }[] }, path: string) => r.errors.filter((e) => e.path === path).map((e) => e.code);

describe('checkDefinition: notes, lines and choice filters', () => {
  const issuesOf = (fields: FieldInput[], rules: FormDefinitionInput['rules'] = []) => checkDefinition(base(fields, rules)).issues.map((i) => [i.path, i.code]);
  const fieldAt = (name: string) => FIELDS.find((f) => f.name === name)!;
  const county = fieldAt('county') as Extract<FieldInput, { type: 'select_one' }>;
  const withCounty = (choiceFilter: string) => [fieldAt('name'), fieldAt('province'), { ...county, choiceFilter }];

  it('accepts the test form', () => {
    expect(checkDefinition(def).issues).toEqual([]);
  });

  it.each([
    ['pastel = ${province}', 'expr.unknown-column'],
    ['cf = ${nowhere}', 'expr.unknown-field'],
    ['cf = ${county}', 'expr.self-reference'],
    ['cf', 'expr.type'],
    ['cf > 3', 'expr.type'],
    ['cf-x = ${province}', 'expr.syntax'],
    ['CF = ${province}', 'expr.syntax'],
    ["cf = 'hubei' and", 'expr.syntax'],
    ['. = cf', 'expr.self-outside-field'],
    ['true = cf', 'expr.unknown-column'],
  ])('a choice filter %j is an issue (%s)', (filter, code) => {
    expect(issuesOf(withCounty(filter))).toContainEqual(['fields.2.choiceFilter', code]);
  });

  it.each([["cf = 'hubei'"], ['cf = ${province} or cf = \'\''], ['concat(cf, \'\') = ${province} or not(cf = ${province})'], ['string-length(cf) > 0']])('accepts the choice filter %j', (filter) => {
    expect(issuesOf(withCounty(filter))).toEqual([]);
  });

  it('reads sibling sub-fields in a repeat, and only existing columns of that field’s own choices', () => {
    const seg = fieldAt('segments') as Extract<FieldInput, { type: 'repeat' }>;
    expect(issuesOf([...withCounty('cf = ${province}'), seg])).toEqual([]);
    const borrowed = { ...seg, fields: seg.fields.map((f) => (f.name === 'surface' ? { ...f, choiceFilter: 'cf = ${seg_kind}' } : f)) } as FieldInput;
    // `cf` is a column of the county's choices, not of the surface's.
    expect(issuesOf([...withCounty('cf = ${province}'), borrowed])).toContainEqual(['fields.3.fields.1.choiceFilter', 'expr.unknown-column']);
  });

  it('a bare name stays a syntax error outside choice filters', () => {
    expect(issuesOf([fieldAt('name'), { ...fieldAt('province'), relevant: 'cf = 1' } as FieldInput])).toEqual([['fields.1.relevant', 'expr.syntax']]);
  });

  it('a note has no value: expressions, rules and note labels that read one are issues', () => {
    const intro = fieldAt('intro');
    const name = fieldAt('name');
    expect(issuesOf([intro, name, { ...fieldAt('province'), relevant: "${intro} = 'x'" } as FieldInput])).toEqual([['fields.2.relevant', 'expr.note-reference']]);
    expect(issuesOf([intro, name, fieldAt('province')], [{ id: 'r', expr: "${intro} != ''", path: 'name', message: L('x') }])).toEqual([['rules.0.expr', 'expr.note-reference']]);
    expect(issuesOf([intro, name, fieldAt('province')], [{ id: 'r', expr: "${name} != ''", path: 'intro', message: L('x') }])).toEqual([['rules.0.path', 'note-path']]);
    expect(issuesOf([intro, name, fieldAt('province'), { ...county, choiceFilter: "cf = ${province} and ${intro} = ''" }])).toContainEqual(['fields.3.choiceFilter', 'expr.note-reference']);
    expect(issuesOf([{ name: 'n1', type: 'note', label: L('见${nothing}', 'See ${n2}') }, { name: 'n2', type: 'note', label: L('说明') }])).toEqual([
      ['fields.0.label.zh', 'unknown-field'],
      ['fields.0.label.en', 'expr.note-reference'],
    ]);
    expect(issuesOf([{ name: 'n1', type: 'note', label: L('说明'), hint: L('${n1}') }, name])).toEqual([
      ['fields.0.hint.zh', 'expr.note-reference'],
      ['fields.0.hint.en', 'expr.note-reference'],
    ]);
  });

  it('a note takes no answer-like keys, and a line needs room for two vertices', () => {
    expect(issuesOf([{ name: 'n', type: 'note', label: L('说明'), required: true } as unknown as FieldInput]).map((i) => i[1])).toContain('schema');
    expect(issuesOf([{ name: 'l', type: 'geotrace', label: L('线'), maxVertices: 1 }]).map((i) => i[1])).toContain('schema');
  });
});

describe('labelReferences / fillLabel', () => {
  it('finds and fills ${name}; other text, including malformed references, stays literal', () => {
    expect(labelReferences('${a} 与 ${b_2}，再次 ${a}；${B} ${} $x')).toEqual(['a', 'b_2']);
    expect(fillLabel('${a} <b>${b}</b> ${c}', (n) => ({ a: '甲', b: '<i>' })[n] ?? '')).toBe('甲 <b><i></b> ');
  });
});

describe('validate: notes', () => {
  it('a value sent for a note is dropped without an error, like a calculation', () => {
    for (const r of [submit({ ...valid, intro: 'x' }), draft({ intro: { evil: true } })]) {
      expect(r.errors).toEqual([]);
      expect(r.data).not.toHaveProperty('intro');
    }
    const rows = submit({ ...valid, segments: [{ ...valid.segments[0], seg_note: 'x' }] });
    expect(rows.errors).toEqual([]);
    expect((rows.data.segments as Record<string, unknown>[])[0]).not.toHaveProperty('seg_note');
  });
});

describe('validate: geotrace', () => {
  it('accepts a line, keeps repeated vertices and drops altitudes', () => {
    const r = submit({ ...valid, road: line([114.3, 30.5, 12], [114.3, 30.5], [114.31, 30.52]) });
    expect(r.errors).toEqual([]);
    expect(r.data.road).toEqual(line([114.3, 30.5], [114.3, 30.5], [114.31, 30.52]));
  });

  it.each([
    ['one vertex', line([114.3, 30.5])],
    ['two equal vertices', line([114.3, 30.5], [114.3, 30.5])],
    ['no vertices', line()],
    ['a polygon', { type: 'Polygon', coordinates: [[[114, 30], [114.1, 30], [114.1, 30.1], [114, 30]]] }],
    ['an extra key', { ...ROAD, crs: 'x' }],
    ['a vertex with one number', line([114.3, 30.5], [114.3])],
    ['a vertex with four numbers', line([114.3, 30.5], [114.3, 30.6, 1, 2])],
    ['a text vertex', line([114.3, 30.5], ['114.3', '30.6'] as unknown as number[])],
    ['an infinite coordinate', line([114.3, 30.5], [Infinity, 30.6])],
    ['a string', 'LINESTRING (114.3 30.5, 114.31 30.52)'],
    ['coordinates that are not a list', { type: 'LineString', coordinates: {} }],
  ])('rejects %s with geotrace, in drafts too', (_what, road) => {
    // A value that cannot be an answer is no answer: on submit the field is also missing.
    expect(codesAt(submit({ ...valid, road }), 'data.road')).toEqual(['geotrace', 'required']);
    expect(codesAt(draft({ road }), 'data.road')).toEqual(['geotrace']);
  });

  it('checks the world always and the field’s bounds on submit; limits the vertices', () => {
    expect(codesAt(draft({ road: line([114.3, 30.5], [114.3, 91]) }), 'data.road')).toEqual(['out-of-bounds']);
    const abroad = line([2.35, 48.85], [2.36, 48.86]);
    expect(draft({ road: abroad }).errors).toEqual([]);
    expect(codesAt(submit({ ...valid, road: abroad }), 'data.road')).toEqual(['out-of-bounds', 'required']);
    const six = line(...Array.from({ length: 6 }, (_, i) => [114.3 + i / 100, 30.5]));
    expect(codesAt(draft({ road: six }), 'data.road')).toEqual(['too-many-vertices']);
    expect(submit({ ...valid, road: line(...six.coordinates.slice(0, 5)) }).errors).toEqual([]);
  });

  it('is required like any field, in repeat rows too', () => {
    expect(codesAt(submit({ ...valid, road: undefined }), 'data.road')).toEqual(['required']);
    expect(codesAt(submit({ ...valid, segments: [{ seg_path: line([1, 2]) }] }), 'data.segments[0].seg_path')).toEqual(['geotrace']);
  });

  it('has a message in both languages', () => {
    const e = submit({ ...valid, road: line([114.3, 30.5]) }).errors[0]!;
    expect(e.message.zh).toMatch(/2/);
    expect(e.message.en).toMatch(/2 distinct vertices/);
  });
});

describe('validate: choice filters', () => {
  it('accepts choices that pass the filter', () => {
    expect(submit(valid).errors).toEqual([]);
    expect(submit({ ...valid, province: 'hunan', county: 'yuelu', town: 'yinpen' }).errors).toEqual([]);
  });

  it('rejects, on submit, a choice the current answers filter out (choice, with its own message)', () => {
    const r = submit({ ...valid, province: 'hunan' });
    expect(codesAt(r, 'data.county')).toEqual(['choice']);
    expect(r.errors.find((e) => e.path === 'data.county')!.message.en).toMatch(/other answers/);
    // The town filter reads the county, which is still answered (wuchang): zhongnan passes.
    expect(codesAt(r, 'data.town')).toEqual([]);
    expect(codesAt(submit({ ...valid, town: 'yinpen' }), 'data.town')).toEqual(['choice']);
  });

  it('a draft keeps a filtered-out choice (it depends on other answers, like a constraint)', () => {
    expect(draft({ ...valid, province: 'hunan' }).errors).toEqual([]);
    expect(draft({ ...valid, county: 'not-a-choice' }).errors.map((e) => e.code)).toEqual(['choice']);
  });

  it('does not reject while an answer the filter reads is missing', () => {
    const r = submit({ ...valid, province: undefined });
    expect(codesAt(r, 'data.province')).toEqual(['required']);
    expect(codesAt(r, 'data.county')).toEqual([]);
    // red is neither pastel nor (yet) known to be wanted bright: undecided, kept.
    expect(submit({ ...valid, colours: ['pink', 'red'] }).errors).toEqual([]);
  });

  it('a choice without the column is filtered out once the inputs are answered', () => {
    expect(codesAt(submit({ ...valid, county: 'nowhere', town: undefined }), 'data.county')).toEqual(['choice']);
  });

  it('reports each filtered-out choice of a select_multiple at its index', () => {
    const r = submit({ ...valid, bright: false, colours: ['pink', 'red'] });
    expect(r.errors.map((e) => [e.path, e.code])).toEqual([['data.colours[1]', 'choice']]);
    expect(submit({ ...valid, bright: true, colours: ['pink', 'red'] }).errors).toEqual([]);
  });

  it('reads the row’s own answers in a repeat', () => {
    const rows = [
      { seg_kind: 'main', surface: 'asphalt' },
      { seg_kind: 'branch', surface: 'asphalt' },
      { surface: 'gravel' },
    ];
    expect(submit({ ...valid, segments: rows }).errors.map((e) => [e.path, e.code])).toEqual([['data.segments[1].surface', 'choice']]);
  });

  it('ignores an irrelevant select', () => {
    const hidden = defineForm(base(FIELDS.map((f) => (f.name === 'town' ? { ...f, relevant: "${name} = 'x'" } : f)) as FieldInput[]));
    const r = validate(hidden, { ...valid, town: 'yinpen' }, { mode: 'submit', today: TODAY });
    expect(r.errors).toEqual([]);
    expect(r.data).not.toHaveProperty('town');
  });
});

describe('generateSample with notes, lines and choice filters', () => {
  it('gives valid answers, no notes, lines with two distinct vertices', () => {
    const s = generateSample(def);
    expect(s).not.toHaveProperty('intro');
    expect((s.segments as Record<string, unknown>[])[0]).not.toHaveProperty('seg_note');
    expect((s.road as { type: string }).type).toBe('LineString');
    expect(submit(s).errors).toEqual([]);
  });

  it('re-picks filtered selects to fit overrides, along a chain of filters', () => {
    const s = generateSample(def, { province: 'hunan', bright: false });
    expect(s).toMatchObject({ province: 'hunan', county: 'yuelu', town: 'yinpen' });
    expect(submit(s).errors).toEqual([]);
    const rows = generateSample(def, {}, { random: () => 0.99 });
    expect(submit(rows).errors).toEqual([]);
  });

  it('leaves overridden answers as given', () => {
    const s = generateSample(def, { province: 'hunan', county: 'wuchang' });
    expect(s.county).toBe('wuchang');
    expect(codesAt(submit(s), 'data.county')).toEqual(['choice']);
  });

  it('is valid for random variety too', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 50; i++) {
      const s = generateSample(def, {}, { random });
      expect(submit(s).errors, JSON.stringify(s)).toEqual([]);
    }
  });
});

describe('tables: lines and notes', () => {
  const road = def.fields.find((f) => f.name === 'road')!;

  it('writes a line as WKT and reads WKT or GeoJSON back', () => {
    expect(formatCell(road, ROAD)).toBe('LINESTRING (114.3 30.5, 114.31 30.52)');
    expect(formatCell(road, ROAD, 'label')).toBe('LINESTRING (114.3 30.5, 114.31 30.52)');
    expect(parseCell(road, 'LINESTRING (114.3 30.5, 114.31 30.52)')).toEqual({ ok: true, value: ROAD });
    expect(parseCell(road, 'linestring(114.3 30.5,114.31 30.52 8)')).toEqual({ ok: true, value: line([114.3, 30.5], [114.31, 30.52, 8]) });
    expect(parseCell(road, JSON.stringify(ROAD))).toEqual({ ok: true, value: ROAD });
    for (const bad of ['LINESTRING (114.3 30.5, x)', 'POLYGON ((1 2, 3 4, 5 6, 1 2))', 'LINESTRING ((1 2, 3 4))', '{not json']) {
      expect(parseCell(road, bad)).toMatchObject({ ok: false, problem: { code: 'format-geotrace' } });
    }
    expect(columnFormat({ code: 'road', label: road.label, kind: 'field', field: road, importable: true, required: true }, 'en')).toMatch(/LINESTRING/);
  });

  it('notes have no column in exports, templates or imports', () => {
    expect(exportColumns(def).map((c) => c.code)).not.toContain('intro');
    expect(templateColumns(def).map((c) => c.code)).not.toContain('intro');
    const layout = readLayout(def, [['_region', 'name', 'intro']]);
    expect(layout.ignored).toEqual(['intro']);
    expect(mapRow(layout, ['420999001001', '江滩路', '说明'], 2).data).toEqual({ name: '江滩路' });
  });

  it('tells same-labelled filtered choices apart by the row’s other answers on import', () => {
    const towns = defineForm(
      base([
        { name: 'county', type: 'select_one', label: L('县'), choices: [{ value: 'c1', label: L('甲县') }, { value: 'c2', label: L('乙县') }] },
        {
          name: 'town',
          type: 'select_one',
          label: L('镇'),
          choiceFilter: 'cf = ${county}',
          choices: [
            { value: 't1', label: L('城关镇'), columns: { cf: 'c1' } },
            { value: 't2', label: L('城关镇'), columns: { cf: 'c2' } },
            { value: 't3', label: L('新华镇'), columns: { cf: 'c2' } },
          ],
        },
      ]),
    );
    const layout = readLayout(towns, [['_region', 'town', 'county']]);
    expect(mapRow(layout, ['420999001001', '城关镇', '乙县'], 2).data).toEqual({ county: 'c2', town: 't2' });
    expect(mapRow(layout, ['420999001001', '城关镇', '甲县'], 2).data).toEqual({ county: 'c1', town: 't1' });
    expect(mapRow(layout, ['420999001001', 't1', 'c2'], 2).data).toEqual({ county: 'c2', town: 't1' }); // a value is exact
    expect(mapRow(layout, ['420999001001', '城关镇', ''], 2).data).toEqual({ town: 't1' });
  });

  it('a line survives a CSV export read back as an import, and becomes a GeoJSON LineString', async () => {
    const data = submit(valid).data;
    const sub = {
      id: '00000000-0000-4000-8000-000000000001',
      formId: def.id,
      formVersion: 1,
      sector: def.sector,
      part: def.part,
      regionCode: '420999001001',
      status: 'approved',
      version: 1,
      data,
      attachments: [],
      createdBy: 'u',
      createdAt: TODAY,
      updatedAt: TODAY,
      contentHash: 'x',
    } as unknown as Submission;
    const csv = csvWriter(def);
    const bytes = streamText(csv.stream);
    await csv.write([sub]);
    await csv.end();
    const rows = readCsv(new TextEncoder().encode(await bytes));
    expect(rows[0]).not.toContain('intro');
    const m = mapRow(readLayout(def, rows), rows[1]!, 2);
    expect(m.errors).toEqual([]);
    expect(m.data.road).toEqual(ROAD);
    expect(submit(m.data).data).toEqual(data);

    const gj = geojsonWriter(def);
    const out = streamText(gj.stream);
    await gj.write([sub]);
    await gj.end();
    const feature = JSON.parse(await out).features[0];
    expect(feature.geometry).toEqual(ROAD);
    expect(feature.properties).not.toHaveProperty('road');
    expect(feature.properties).not.toHaveProperty('intro');
  });
});
