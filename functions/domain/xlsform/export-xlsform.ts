/**
 * Form definition → XLSForm: sheets survey, choices, settings (and rc_rules when the form has rules) that ODK and Kobo
 * tools open, with what XLSForm cannot say in our `rc::` columns. Each fact is written once: a number's bounds only in
 * rc::min / rc::max (never also as an XLSForm constraint), so importing the workbook gives back the same definition.
 *
 * Sections are groups: each run of fields of one section is a `begin group` named after the section. A section met a
 * second time (its fields not contiguous), one with no fields, or one whose id is not a usable group name gets a group
 * named `section_<n>` with `rc::section` saying which section it is; `rc::section_order` (settings) keeps an order the
 * groups alone would not give.
 */
import type { Field, FormDefinition, LeafField, Localized } from '../forms';
import { BOOLEAN_CHOICES, BOOLEAN_LIST, EXPORT_DEFAULT_LANGUAGE, LANG_SUFFIX, RC, RC_LANG_SUFFIX, RC_SETTINGS, SHEETS, parseHeader } from './format';
import type { Cell, Sheet } from './sheets';

type Cells = Map<string, Cell>;

const std = (key: string, lang: 'zh' | 'en') => `${key}${LANG_SUFFIX[lang]}`;
const rc = (key: string, lang: 'zh' | 'en') => `${key}${RC_LANG_SUFFIX[lang]}`;

/** Standard columns, always written (so whoever edits the workbook finds them), in this order. */
const SURVEY_HEAD = [
  'type',
  'name',
  std('label', 'zh'),
  std('label', 'en'),
  std('hint', 'zh'),
  std('hint', 'en'),
  'required',
  'relevant',
  'constraint',
  std('constraint_message', 'zh'),
  std('constraint_message', 'en'),
  'calculation',
  'choice_filter',
  'appearance',
  'read_only',
];

/** Our columns, written when some row uses them, in this order (extra constraints follow). */
const RC_ORDER = [
  RC.type,
  RC.section,
  rc(RC.unit, 'zh'),
  rc(RC.unit, 'en'),
  RC.precision,
  RC.min,
  RC.max,
  RC.exclusiveMin,
  RC.minLength,
  RC.maxLength,
  RC.multiline,
  RC.format,
  RC.bounds,
  RC.maxVertices,
  RC.accept,
  RC.maxSize,
  RC.multiple,
  RC.maxFiles,
  RC.minRows,
  RC.maxRows,
  RC.minSelected,
  RC.maxSelected,
  RC.level,
  RC.other,
  RC.otherValue,
];

/** Choice column keys that would read back as something else, written as `rc::column::<key>`. */
const CHOICE_RESERVED = new Set(['list_name', 'name', 'label', 'image', 'audio', 'video', 'media']);

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

export function exportXlsform(def: FormDefinition): Sheet[] {
  const survey: Cells[] = [];
  const choices: Cells[] = [];
  const choiceKeys: string[] = [];
  const allNames = new Set(def.fields.flatMap((f) => (f.type === 'repeat' ? [f.name, ...f.fields.map((s) => s.name)] : [f.name])));
  let booleanList = BOOLEAN_LIST;
  for (let n = 2; allNames.has(booleanList); n++) booleanList = `${BOOLEAN_LIST}_${n}`;
  let booleanUsed = false;

  const localized = (cells: Cells, l: Localized | undefined, zh: string, en: string) => {
    if (!l) return;
    cells.set(zh, l.zh);
    cells.set(en, l.en);
  };

  const addChoices = (list: string, f: Extract<LeafField, { type: 'select_one' | 'select_multiple' }>) => {
    for (const c of f.choices) {
      const cells: Cells = new Map([['list_name', list], ['name', c.value]]);
      localized(cells, c.label, std('label', 'zh'), std('label', 'en'));
      for (const [k, v] of Object.entries(c.columns ?? {})) {
        const header = CHOICE_RESERVED.has(k) || parseHeader(k, 0).key !== k ? `${RC.column}::${k}` : k;
        if (!choiceKeys.includes(header)) choiceKeys.push(header);
        cells.set(header, v);
      }
      choices.push(cells);
    }
  };

  /** One field's row (a repeat's begin row). `section`: written as rc::section (repeat sub-fields only). */
  const fieldRow = (f: Field, section?: string): Cells => {
    const cells: Cells = new Map([['name', f.name]]);
    localized(cells, f.label, std('label', 'zh'), std('label', 'en'));
    localized(cells, f.hint, std('hint', 'zh'), std('hint', 'en'));
    if (section !== undefined) cells.set(RC.section, section);
    if ('required' in f && f.required !== false) cells.set('required', f.required === true ? 'yes' : f.required);
    if (f.relevant) cells.set('relevant', f.relevant);
    if ('constraints' in f) {
      f.constraints.forEach((k, i) => {
        if (i === 0) {
          cells.set('constraint', k.expr);
          localized(cells, k.message, std('constraint_message', 'zh'), std('constraint_message', 'en'));
        } else {
          cells.set(`${RC.constraint}${i + 1}`, k.expr);
          localized(cells, k.message, rc(`${RC.constraintMessage}${i + 1}`, 'zh'), rc(`${RC.constraintMessage}${i + 1}`, 'en'));
        }
      });
    }
    if ('readonly' in f && f.readonly !== undefined) cells.set('read_only', yesNo(f.readonly));
    const set = (key: string, v: Cell | undefined) => {
      if (v !== undefined) cells.set(key, v);
    };
    const unit = (u: Localized | undefined) => localized(cells, u, rc(RC.unit, 'zh'), rc(RC.unit, 'en'));
    switch (f.type) {
      case 'text':
        cells.set('type', 'text');
        set(RC.minLength, f.minLength);
        set(RC.maxLength, f.maxLength);
        if (f.multiline === true) cells.set('appearance', 'multiline');
        if (f.multiline === false) cells.set(RC.multiline, 'no');
        set(RC.format, f.format);
        break;
      case 'integer':
      case 'decimal':
        cells.set('type', f.type);
        set(RC.min, f.min);
        set(RC.max, f.max);
        if (f.exclusiveMin !== undefined) cells.set(RC.exclusiveMin, yesNo(f.exclusiveMin));
        unit(f.unit);
        if (f.type === 'decimal') set(RC.precision, f.precision);
        break;
      case 'year':
        cells.set('type', 'integer');
        cells.set(RC.type, 'year');
        set(RC.min, f.min);
        set(RC.max, f.max);
        break;
      case 'date':
        cells.set('type', 'date');
        set(RC.min, f.min);
        set(RC.max, f.max);
        break;
      case 'select_one':
      case 'select_multiple':
        cells.set('type', `${f.type} ${f.name}`);
        addChoices(f.name, f);
        set('choice_filter', f.choiceFilter);
        if (f.type === 'select_multiple') {
          set(RC.minSelected, f.minSelected);
          set(RC.maxSelected, f.maxSelected);
        }
        if (f.other) {
          cells.set(RC.other, f.other.field);
          if (f.other.value !== 'other') cells.set(RC.otherValue, f.other.value);
        }
        break;
      case 'boolean':
        cells.set('type', `select_one ${booleanList}`);
        cells.set(RC.type, 'boolean');
        booleanUsed = true;
        break;
      case 'geopoint':
      case 'geoshape':
      case 'geotrace':
        cells.set('type', f.type);
        if (f.bounds) cells.set(RC.bounds, `min_lat=${f.bounds.minLat} max_lat=${f.bounds.maxLat} min_lng=${f.bounds.minLng} max_lng=${f.bounds.maxLng}`);
        if (f.type !== 'geopoint') set(RC.maxVertices, f.maxVertices);
        break;
      case 'photo':
      case 'file':
        cells.set('type', f.type === 'photo' ? 'image' : 'file');
        cells.set(RC.accept, f.accept.join(' '));
        set(RC.maxSize, f.maxSize);
        if (f.multiple !== undefined) cells.set(RC.multiple, yesNo(f.multiple));
        set(RC.maxFiles, f.maxFiles);
        break;
      case 'region':
        cells.set('type', 'text');
        cells.set(RC.type, 'region');
        set(RC.level, f.level);
        break;
      case 'calculate':
        cells.set('type', 'calculate');
        cells.set('calculation', f.calculate);
        unit(f.unit);
        set(RC.precision, f.precision);
        break;
      case 'note':
        cells.set('type', 'note');
        break;
      case 'repeat':
        cells.set('type', 'begin repeat');
        set(RC.minRows, f.minRows);
        set(RC.maxRows, f.maxRows);
        break;
    }
    return cells;
  };

  // Sections as groups, in field order.
  const titles = new Map(def.sections.map((s) => [s.id, s.title]));
  const emitted: string[] = [];
  let alt = 0;
  let open: string | undefined;
  const beginGroup = (id: string) => {
    const cells: Cells = new Map([['type', 'begin group']]);
    const first = !emitted.includes(id);
    if (first && /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(id)) cells.set('name', id);
    else {
      cells.set('name', `section_${++alt}`);
      cells.set(RC.section, id);
    }
    localized(cells, titles.get(id), std('label', 'zh'), std('label', 'en'));
    if (first) emitted.push(id);
    survey.push(cells);
  };
  const endGroup = () => survey.push(new Map([['type', 'end group']]));

  for (const f of def.fields) {
    if (f.section !== open) {
      if (open !== undefined) endGroup();
      if (f.section !== undefined) beginGroup(f.section);
      open = f.section;
    }
    survey.push(fieldRow(f));
    if (f.type === 'repeat') {
      for (const s of f.fields) survey.push(fieldRow(s, s.section));
      survey.push(new Map([['type', 'end repeat']]));
    }
  }
  if (open !== undefined) endGroup();
  for (const s of def.sections) {
    if (emitted.includes(s.id)) continue;
    beginGroup(s.id);
    endGroup();
  }
  if (booleanUsed) {
    for (const c of BOOLEAN_CHOICES) {
      choices.push(new Map<string, Cell>([['list_name', booleanList], ['name', c.value], [std('label', 'zh'), c.label.zh], [std('label', 'en'), c.label.en]]));
    }
  }

  const settings: Cells = new Map<string, Cell>([
    ['form_title', def.title.zh],
    [rc(RC_SETTINGS.formTitle, 'en'), def.title.en],
    ['form_id', def.id],
    ['default_language', EXPORT_DEFAULT_LANGUAGE],
    [RC_SETTINGS.sector, def.sector],
    [RC_SETTINGS.part, def.part],
    [RC_SETTINGS.unit, def.unit],
    [RC_SETTINGS.regionLevel, def.regionLevel],
  ]);
  if (def.code !== undefined) settings.set(RC_SETTINGS.code, def.code);
  localized(settings, def.description, rc(RC_SETTINGS.description, 'zh'), rc(RC_SETTINGS.description, 'en'));
  const ids = def.sections.map((s) => s.id);
  if (emitted.join(' ') !== ids.join(' ')) settings.set(RC_SETTINGS.sectionOrder, ids.join(' '));

  // Survey headers: the standard ones, then ours in use, then extra constraints in order.
  const used = new Set(survey.flatMap((c) => [...c.keys()]));
  const extraConstraints = Math.max(1, ...def.fields.flatMap((f) => (f.type === 'repeat' ? [f, ...f.fields] : [f])).map((f) => ('constraints' in f ? f.constraints.length : 0)));
  const extraHead: string[] = [];
  for (let n = 2; n <= extraConstraints; n++) extraHead.push(`${RC.constraint}${n}`, rc(`${RC.constraintMessage}${n}`, 'zh'), rc(`${RC.constraintMessage}${n}`, 'en'));
  const surveyHead = [...SURVEY_HEAD, ...RC_ORDER.filter((h) => used.has(h)), ...extraHead];

  const sheets: Sheet[] = [
    table(SHEETS.survey, surveyHead, survey),
    table(SHEETS.choices, ['list_name', 'name', std('label', 'zh'), std('label', 'en'), ...choiceKeys], choices),
    table(SHEETS.settings, [...settings.keys()], [settings]),
  ];
  if (def.rules.length) {
    const head = ['id', 'expr', 'path', rc('message', 'zh'), rc('message', 'en'), 'severity'];
    sheets.push(
      table(
        SHEETS.rules,
        head,
        def.rules.map((r) => new Map<string, Cell>([['id', r.id], ['expr', r.expr], ['path', r.path], [rc('message', 'zh'), r.message.zh], [rc('message', 'en'), r.message.en], ['severity', r.severity]])),
      ),
    );
  }
  return sheets;
}

function table(name: string, head: string[], rows: Cells[]): Sheet {
  return { name, rows: [head, ...rows.map((r) => head.map((h) => r.get(h) ?? null))] };
}
