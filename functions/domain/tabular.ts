/**
 * A form as a table: the columns of exports and import templates, how each answer is written into a cell, and how a
 * cell read from a spreadsheet becomes an answer again. Pure (the browser can use it too); the spreadsheet libraries
 * live in functions/app/spreadsheets.ts.
 *
 * Columns: meta columns start with `_` (field names cannot), then one column per top-level field, named by the field.
 *  - `_id`: the record's key. Exports write the submission id; in a template it is optional — a row with a key is
 *    imported under an id derived from (form, key), so the same row imported twice is one record.
 *  - `_region`: 12-digit region code at the form's level (a cell may also read `420999001001 青山社区`).
 *  - `_status`, `_form_version`, `_updated_at`: export only; ignored on import.
 * Cell formats (the same in CSV and XLSX, except that XLSX shows choice labels, 是/否 and real numbers):
 *  - select_one: the choice value (CSV) or its label (XLSX); import accepts either. Filtered choices that share a label
 *    are told apart by the row's other answers.
 *  - select_multiple: values joined with `;` (CSV) or labels joined with `；` (XLSX); import splits on ; ； | and newlines,
 *    and also reads choices listed with 、 or commas (labels that contain those characters still match whole).
 *  - boolean: true/false (CSV) or 是/否 (XLSX); import also takes 1/0, yes/no, y/n, 有/无, √/×.
 *  - geopoint: `lat,lng` or `lat,lng,accuracy`. geoshape: WKT `POLYGON ((lng lat, …))`; geotrace: WKT
 *    `LINESTRING (lng lat, …)`; import of either also takes GeoJSON.
 *  - date: YYYY-MM-DD (import also takes 2021/3/5, 2021年3月5日, 2021.3.5 and spreadsheet dates).
 *  - repeat group: JSON array of rows keyed by sub-field name. photo/file: attachment ids (export only: files cannot be
 *    imported from a spreadsheet, so templates leave them out and imports ignore those columns).
 *  - note: no column at all (display text, no answer).
 */
import { restoreCell } from './csv';
import { holdsAnswer } from './form-fields';
import type { Field, FormDefinition, LeafField, Localized } from './forms';
import { choiceVerdict, compileChoiceFilter, type ChoiceFilterPlan } from './validate';
import { isRegionCode } from './regions';

export type CellValue = string | number | boolean | Date | null | undefined;

export const META = {
  id: '_id',
  region: '_region',
  status: '_status',
  formVersion: '_form_version',
  updatedAt: '_updated_at',
} as const;

const META_LABELS: Record<string, Localized> = {
  _id: { zh: '记录标识', en: 'Record key' },
  _region: { zh: '区划代码', en: 'Region code' },
  _status: { zh: '状态', en: 'Status' },
  _form_version: { zh: '表版本', en: 'Form version' },
  _updated_at: { zh: '更新时间', en: 'Updated at' },
};

const META_HINTS: Record<string, Localized> = {
  _id: { zh: '可选。同一标识重复导入不会产生重复记录', en: 'Optional. Importing the same key again never creates a second record' },
  _region: { zh: '12位统计用区划代码', en: '12-digit statistical region code' },
};

export interface Column {
  code: string;
  label: Localized;
  kind: 'meta' | 'field';
  field?: Field;
  /** Read back by imports (meta `_id`/`_region` and every field except calculations, photos and files). */
  importable: boolean;
  required: boolean;
  hint?: Localized;
}

function importableField(f: Field): boolean {
  return holdsAnswer(f) && f.type !== 'calculate' && f.type !== 'photo' && f.type !== 'file';
}

function fieldColumn(f: Field): Column {
  return {
    code: f.name,
    label: f.label,
    kind: 'field',
    field: f,
    importable: importableField(f),
    required: 'required' in f && f.required === true,
    ...(f.hint ? { hint: f.hint } : {}),
  };
}

function metaColumn(code: string, required = false): Column {
  return { code, label: META_LABELS[code]!, kind: 'meta', importable: code === META.id || code === META.region, required, ...(META_HINTS[code] ? { hint: META_HINTS[code] } : {}) };
}

/** Export columns: every meta column, then every top-level field in definition order. */
export function exportColumns(def: Pick<FormDefinition, 'fields'>): Column[] {
  return [
    metaColumn(META.id),
    metaColumn(META.region, true),
    metaColumn(META.status),
    metaColumn(META.formVersion),
    metaColumn(META.updatedAt),
    ...def.fields.filter(holdsAnswer).map(fieldColumn),
  ];
}

/** Template columns: `_id`, `_region` and the fields a spreadsheet can carry. */
export function templateColumns(def: Pick<FormDefinition, 'fields'>): Column[] {
  return [metaColumn(META.id), metaColumn(META.region, true), ...def.fields.filter(importableField).map(fieldColumn)];
}

/** The first header row of a template or XLSX export: label, unit, and `*` for required. */
export function headerLabel(col: Column, lang: 'zh' | 'en' = 'zh'): string {
  const f = col.field;
  const unit = f && 'unit' in f && f.unit ? f.unit[lang] : undefined;
  const base = unit ? (lang === 'zh' ? `${col.label.zh}（${unit}）` : `${col.label.en} (${unit})`) : col.label[lang];
  return col.required ? `${base} *` : base;
}

/** What a column accepts, in words (the template's notes sheet). */
export function columnFormat(col: Column, lang: 'zh' | 'en' = 'zh'): string {
  const zh = lang === 'zh';
  if (col.code === META.id) return zh ? '文本，可留空' : 'Text, may be blank';
  if (col.code === META.region) return zh ? '12位区划代码' : '12-digit region code';
  const f = col.field;
  if (!f) return '';
  switch (f.type) {
    case 'text':
      return zh ? `文本，最多${f.maxLength}字` : `Text, at most ${f.maxLength} characters`;
    case 'integer':
      return zh ? '整数' : 'Whole number';
    case 'decimal':
      return zh ? `数字，最多${f.precision}位小数` : `Number, at most ${f.precision} decimals`;
    case 'year':
      return zh ? '年份，如 2015' : 'Year, e.g. 2015';
    case 'date':
      return zh ? '日期，如 2021-03-05' : 'Date, e.g. 2021-03-05';
    case 'boolean':
      return zh ? '是 / 否' : 'Yes / No';
    case 'select_one':
      return (zh ? '单选：' : 'One of: ') + f.choices.map((c) => c.label[lang]).join(zh ? '、' : ', ');
    case 'select_multiple':
      return (zh ? '多选，用分号分隔：' : 'Any of, separated by semicolons: ') + f.choices.map((c) => c.label[lang]).join(zh ? '、' : ', ');
    case 'geopoint':
      return zh ? '纬度,经度（如 30.5123,114.3012）' : 'lat,lng (e.g. 30.5123,114.3012)';
    case 'geoshape':
      return zh ? 'WKT 多边形，如 POLYGON ((114.30 30.51, 114.31 30.51, 114.31 30.52, 114.30 30.51))' : 'WKT polygon, e.g. POLYGON ((114.30 30.51, …))';
    case 'geotrace':
      return zh ? 'WKT 折线，如 LINESTRING (114.30 30.51, 114.31 30.52)' : 'WKT line, e.g. LINESTRING (114.30 30.51, 114.31 30.52)';
    case 'region':
      return zh ? '12位区划代码' : '12-digit region code';
    case 'repeat':
      return (zh ? 'JSON 数组，每行一个对象，键为：' : 'JSON array of rows keyed by: ') + f.fields.map((s) => s.name).join(', ');
    case 'photo':
    case 'file':
      return zh ? '附件编号（不能通过表格导入）' : 'Attachment ids (cannot be imported from a spreadsheet)';
    case 'calculate':
      return zh ? '自动计算（导入时忽略）' : 'Calculated (ignored on import)';
    case 'note':
      return '';
  }
}

// ───────────────────────────── writing cells ─────────────────────────────

export type CellStyle = 'code' | 'label';

const BOOL_LABEL = { zh: ['是', '否'], en: ['Yes', 'No'] } as const;

function choiceLabel(f: { choices: { value: string; label: Localized }[] }, v: unknown, lang: 'zh' | 'en'): string {
  const c = f.choices.find((x) => x.value === v);
  return c ? c.label[lang] : String(v);
}

/** `POLYGON ((lng lat, …), (…))` from a GeoJSON polygon. */
export function polygonToWkt(shape: unknown): string {
  const rings = (shape as { coordinates?: unknown })?.coordinates;
  if (!Array.isArray(rings)) return '';
  return `POLYGON (${rings.map((r) => `(${(r as number[][]).map((p) => `${p[0]} ${p[1]}`).join(', ')})`).join(', ')})`;
}

/** `LINESTRING (lng lat, …)` from a GeoJSON line. */
export function lineToWkt(line: unknown): string {
  const pts = (line as { coordinates?: unknown })?.coordinates;
  if (!Array.isArray(pts)) return '';
  return `LINESTRING (${(pts as number[][]).map((p) => `${p[0]} ${p[1]}`).join(', ')})`;
}

/**
 * One answer as a cell. `code` style (CSV, GeoJSON properties): choice values, true/false; `label` style (XLSX): choice
 * labels and 是/否 in `lang`. Numbers stay numbers; everything else is a string; no answer is null.
 */
export function formatCell(field: Field, value: unknown, style: CellStyle = 'code', lang: 'zh' | 'en' = 'zh'): string | number | null {
  if (value === undefined || value === null) return null;
  switch (field.type) {
    case 'integer':
    case 'decimal':
    case 'year':
      return typeof value === 'number' ? value : String(value);
    case 'calculate':
      return typeof value === 'number' ? value : String(value);
    case 'boolean':
      return style === 'label' ? BOOL_LABEL[lang][value === true ? 0 : 1] : value === true ? 'true' : 'false';
    case 'select_one':
      return style === 'label' ? choiceLabel(field, value, lang) : String(value);
    case 'select_multiple': {
      const list = Array.isArray(value) ? value : [value];
      return style === 'label' ? list.map((v) => choiceLabel(field, v, lang)).join('；') : list.join(';');
    }
    case 'geopoint': {
      const p = value as { lat?: number; lng?: number; accuracy?: number };
      return [p.lat, p.lng, ...(p.accuracy !== undefined ? [p.accuracy] : [])].join(',');
    }
    case 'geoshape':
      return polygonToWkt(value);
    case 'geotrace':
      return lineToWkt(value);
    case 'photo':
    case 'file':
      return Array.isArray(value) ? value.join(';') : String(value);
    case 'repeat':
      return JSON.stringify(value);
    default:
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

// ───────────────────────────── reading cells ─────────────────────────────

export interface CellProblem {
  code: string;
  message: Localized;
}

export type ParsedCell = { ok: true; value: unknown } | { ok: false; problem: CellProblem };

const P = (code: string, zh: string, en: string): ParsedCell => ({ ok: false, problem: { code, message: { zh, en } } });
const OK = (value: unknown): ParsedCell => ({ ok: true, value });

/** Full-width digits, letters and punctuation to ASCII (Chinese input methods produce them), trimmed. */
function normalise(s: string): string {
  return s.normalize('NFKC').trim();
}

/** A cell as text: numbers without exponent where possible, dates as YYYY-MM-DD, apostrophe-neutralised cells restored. */
export function cellText(raw: CellValue): string {
  if (raw === null || raw === undefined) return '';
  if (raw instanceof Date) return isoDate(raw);
  if (typeof raw === 'number') return Number.isInteger(raw) && Math.abs(raw) < 1e21 ? raw.toFixed(0) : String(raw);
  if (typeof raw === 'boolean') return raw ? 'true' : 'false';
  return restoreCell(String(raw)).trim();
}

function isoDate(d: Date): string {
  // Spreadsheet dates carry no zone; exceljs hands them over as UTC midnight.
  return d.toISOString().slice(0, 10);
}

/** Excel serial day number → YYYY-MM-DD (1900 date system; serial 25569 = 1970-01-01). */
export function excelSerialToDate(serial: number): string {
  return new Date(Math.round((serial - 25569) * 86_400_000)).toISOString().slice(0, 10);
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function parseNumber(raw: CellValue): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  const s = normalise(cellText(raw)).replace(/,(?=\d{3}(\D|$))/g, '');
  return NUMBER.test(s) ? Number(s) : undefined;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'y', '是', '有', '√', '✓', 't']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'n', '否', '无', '×', '✗', 'f']);

function matchChoice(f: { choices: { value: string; label: Localized }[] }, s: string): string | undefined {
  return matchingChoices(f, s)[0];
}

/** Every choice a cell can mean: its exact value, else every choice whose label or value matches it loosely. */
function matchingChoices(f: { choices: { value: string; label: Localized }[] }, s: string): string[] {
  const exact = f.choices.find((c) => c.value === s);
  if (exact) return [exact.value];
  const n = normalise(s).toLowerCase();
  return f.choices.filter((c) => normalise(c.label.zh).toLowerCase() === n || normalise(c.label.en).toLowerCase() === n || c.value.toLowerCase() === n).map((c) => c.value);
}

const filterPlans = new WeakMap<object, ChoiceFilterPlan>();

/**
 * Filtered choices may share a label (a town 城关镇 in two counties), and an XLSX export writes labels. Where a
 * single-choice cell names several choices, take the one the row's other answers let through; filters can chain
 * (county → town), so repeat until nothing changes. Anything still ambiguous keeps the first match.
 */
function pickFilteredChoices(layout: SheetLayout, cells: readonly CellValue[], data: Record<string, unknown>) {
  const env = { get: (name: string) => (Object.hasOwn(data, name) ? data[name] : null), today: new Date().toISOString().slice(0, 10) };
  for (let pass = 0; pass < layout.columns.length; pass++) {
    let changed = false;
    layout.columns.forEach((col, i) => {
      const f = col?.field;
      if (f?.type !== 'select_one' || f.choiceFilter === undefined || typeof data[f.name] !== 'string') return;
      const values = matchingChoices(f, cellText(cells[i]));
      if (values.length < 2) return;
      let plan = filterPlans.get(f);
      if (!plan) filterPlans.set(f, (plan = compileChoiceFilter(f.choiceFilter)));
      const pick = values.find((v) => choiceVerdict(plan, f.choices.find((c) => c.value === v)!, env) === true);
      if (pick !== undefined && pick !== data[f.name]) {
        data[f.name] = pick;
        changed = true;
      }
    });
    if (!changed) break;
  }
}

/**
 * Choices listed with 、 , or ， between them. Labels may themselves contain those characters (「铜锣、口哨」), so the
 * longest label or value that matches at each position wins, and separators are only skipped between matches.
 */
function splitChoices(f: { choices: { value: string; label: Localized }[] }, part: string): { values: string[] } | { bad: string } {
  const names = f.choices.flatMap((c) => [c.label.zh, c.label.en, c.value].map((n) => ({ n: normalise(n).toLowerCase(), v: c.value })));
  names.sort((a, b) => b.n.length - a.n.length);
  const s = normalise(part).toLowerCase();
  const values: string[] = [];
  let i = 0;
  while (i < s.length) {
    const hit = names.find(({ n }) => n && s.startsWith(n, i) && (i + n.length === s.length || /[、,，\s]/.test(s[i + n.length]!)));
    if (!hit) return { bad: normalise(part).slice(i).split(/[、,，]/)[0]!.trim() };
    values.push(hit.v);
    i += hit.n.length;
    while (i < s.length && /[、,，\s]/.test(s[i]!)) i++;
  }
  return { values };
}

function parseDate(raw: CellValue): string | undefined {
  if (raw instanceof Date) return isoDate(raw);
  if (typeof raw === 'number') return raw > 0 && raw < 2_958_466 ? excelSerialToDate(raw) : undefined;
  const s = normalise(cellText(raw));
  const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/.exec(s) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (!m) return undefined;
  return `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`;
}

/** `POLYGON ((x y, …), (…))` → GeoJSON polygon, or undefined when it is not a WKT polygon. */
export function wktToPolygon(s: string): { type: 'Polygon'; coordinates: number[][][] } | undefined {
  const m = /^POLYGON\s*\((.*)\)$/is.exec(s.trim());
  if (!m) return undefined;
  const inner = m[1]!;
  // Between the rings only commas and spaces are allowed.
  if (inner.replace(/\([^()]*\)/g, '').replace(/[\s,]/g, '') !== '') return undefined;
  const rings: number[][][] = [];
  for (const r of inner.matchAll(/\(([^()]*)\)/g)) {
    const pts = r[1]!.split(',').map((p) => p.trim().split(/\s+/).map(Number));
    if (!pts.every((p) => (p.length === 2 || p.length === 3) && p.every(Number.isFinite))) return undefined;
    rings.push(pts);
  }
  return rings.length ? { type: 'Polygon', coordinates: rings } : undefined;
}

/** `LINESTRING (x y, …)` → GeoJSON line, or undefined when it is not a WKT line string. */
export function wktToLine(s: string): { type: 'LineString'; coordinates: number[][] } | undefined {
  const m = /^LINESTRING\s*\(([^()]*)\)$/is.exec(s.trim());
  if (!m) return undefined;
  const pts = m[1]!.split(',').map((p) => p.trim().split(/\s+/).map(Number));
  if (!pts.every((p) => (p.length === 2 || p.length === 3) && p.every(Number.isFinite))) return undefined;
  return { type: 'LineString', coordinates: pts };
}

/** A GeoJSON cell (`{…}`) read as is; the validator checks its shape. */
function geoJsonCell(text: string, bad: ParsedCell): ParsedCell {
  try {
    return OK(JSON.parse(text));
  } catch {
    return bad;
  }
}

/**
 * One cell as the answer to `field`. An empty cell is no answer (`value: undefined`). Anything that cannot be read as
 * the field's type is a problem; ranges, required fields and rules are left to the validator.
 */
export function parseCell(field: Field, raw: CellValue): ParsedCell {
  const text = cellText(raw);
  if (text === '') return OK(undefined);
  switch (field.type) {
    case 'text':
      return OK(text);
    case 'integer':
    case 'year': {
      const s = field.type === 'year' ? normalise(text).replace(/年$/, '') : text;
      const n = typeof raw === 'number' ? raw : parseNumber(s);
      if (n === undefined || !Number.isInteger(n)) {
        return field.type === 'year' ? P('format-year', '应为四位年份，如 2015', 'Expected a four-digit year, e.g. 2015') : P('format-integer', '应为整数', 'Expected a whole number');
      }
      return OK(n);
    }
    case 'decimal': {
      const n = parseNumber(raw);
      return n === undefined ? P('format-number', '应为数字', 'Expected a number') : OK(n);
    }
    case 'date': {
      const d = parseDate(raw);
      return d ? OK(d) : P('format-date', '日期格式应为 YYYY-MM-DD', 'Dates are written YYYY-MM-DD');
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return OK(raw);
      const w = normalise(text).toLowerCase();
      if (TRUE_WORDS.has(w)) return OK(true);
      if (FALSE_WORDS.has(w)) return OK(false);
      return P('format-boolean', '应填“是”或“否”', 'Expected yes or no');
    }
    case 'select_one': {
      const v = matchChoice(field, text);
      return v === undefined ? P('choice', `“${text}”不是可选的选项`, `"${text}" is not one of the choices`) : OK(v);
    }
    case 'select_multiple': {
      const out: string[] = [];
      for (const part of text.split(/[;；|\n]/).map((p) => p.trim()).filter(Boolean)) {
        const r = splitChoices(field, part);
        if ('bad' in r) return P('choice', `“${r.bad}”不是可选的选项`, `"${r.bad}" is not one of the choices`);
        out.push(...r.values);
      }
      return OK(out);
    }
    case 'geopoint': {
      const nums = normalise(text).split(/[,;\s]+/).filter(Boolean).map(Number);
      if ((nums.length !== 2 && nums.length !== 3) || !nums.every(Number.isFinite)) {
        return P('format-geopoint', '坐标应写作“纬度,经度”，如 30.5123,114.3012', 'Write coordinates as lat,lng, e.g. 30.5123,114.3012');
      }
      return OK(nums.length === 3 ? { lat: nums[0], lng: nums[1], accuracy: nums[2] } : { lat: nums[0], lng: nums[1] });
    }
    case 'geoshape': {
      const bad = P('format-geoshape', '多边形应为 WKT（POLYGON ((经度 纬度, …))）或 GeoJSON', 'Polygons are WKT (POLYGON ((lng lat, …))) or GeoJSON');
      if (text.startsWith('{')) return geoJsonCell(text, bad);
      const p = wktToPolygon(text);
      return p ? OK(p) : bad;
    }
    case 'geotrace': {
      const bad = P('format-geotrace', '线应为 WKT（LINESTRING (经度 纬度, …)）或 GeoJSON', 'Lines are WKT (LINESTRING (lng lat, …)) or GeoJSON');
      if (text.startsWith('{')) return geoJsonCell(text, bad);
      const l = wktToLine(text);
      return l ? OK(l) : bad;
    }
    case 'region': {
      const code = /^(\d{12})/.exec(normalise(text))?.[1];
      return code ? OK(code) : P('region', '应为12位区划代码', 'Expected a 12-digit region code');
    }
    case 'repeat': {
      try {
        const v = JSON.parse(text);
        if (!Array.isArray(v)) throw new Error('not a list');
        return OK(v);
      } catch {
        return P('format-json', '应为 JSON 数组，如 [{"name":"帐篷","qty":10}]', 'Expected a JSON array, e.g. [{"name":"tent","qty":10}]');
      }
    }
    case 'photo':
    case 'file':
    case 'calculate':
    case 'note':
      return OK(undefined);
  }
}

// ───────────────────────────── reading a sheet ─────────────────────────────

export interface RowError {
  /** Row number as the spreadsheet shows it (1-based, header rows included). */
  row: number;
  /** Column code (`_region`, a field name), or null for a problem with the whole row or file. */
  column: string | null;
  code: string;
  message: Localized;
}

export interface SheetLayout {
  /** 0-based index of the row holding the column codes; data starts on the next row. */
  codeRow: number;
  /** Per cell index of the code row: the column it holds, or undefined when the column is ignored. */
  columns: (Column | undefined)[];
  /** Header cells that are not importable columns of this form (reported once, then ignored). */
  ignored: string[];
  /** File-level problems (a missing `_region` column, duplicated columns). */
  errors: RowError[];
}

const HEADER_SCAN_ROWS = 5;

/** The code inside a header cell: the cell itself, or the `code` in `标签（code）` / `label [code]`. */
function headerCode(raw: CellValue): string {
  const s = cellText(raw);
  const inner = /[（(\[]\s*([a-z_][a-z0-9_]*)\s*[）)\]]\s*\*?$/.exec(s)?.[1];
  return inner ?? s.replace(/\s*\*$/, '');
}

/**
 * Find the header: within the first rows, the row where most cells are column codes of this form (exports and templates
 * have a code row; a sheet with only `label（code）` headers works too). Columns are matched by code, so their order
 * does not matter and extra columns are ignored.
 */
export function readLayout(def: Pick<FormDefinition, 'fields'>, rows: readonly (readonly CellValue[])[]): SheetLayout {
  const known = new Map(exportColumns(def).map((c) => [c.code, c]));
  let best = -1;
  let bestHits = 0;
  for (let i = 0; i < Math.min(HEADER_SCAN_ROWS, rows.length); i++) {
    const hits = rows[i]!.filter((c) => known.has(headerCode(c))).length;
    if (hits > bestHits) {
      best = i;
      bestHits = hits;
    }
  }
  const errors: RowError[] = [];
  if (best < 0) {
    errors.push({
      row: 1,
      column: null,
      code: 'no-header',
      message: { zh: '找不到表头：请使用本表的导入模板（第二行为字段代码）', en: 'No header row found: use this form’s import template (its second row holds the field codes)' },
    });
    return { codeRow: 0, columns: [], ignored: [], errors };
  }
  const seen = new Set<string>();
  const ignored: string[] = [];
  const columns = rows[best]!.map((cell) => {
    const code = headerCode(cell);
    if (!code) return undefined;
    const col = known.get(code);
    if (!col || !col.importable) {
      if (col?.kind !== 'meta') ignored.push(code);
      return undefined;
    }
    if (seen.has(code)) {
      errors.push({ row: best + 1, column: code, code: 'duplicate-column', message: { zh: `列“${code}”出现了两次`, en: `Column "${code}" appears twice` } });
      return undefined;
    }
    seen.add(code);
    return col;
  });
  if (!seen.has(META.region)) {
    errors.push({ row: best + 1, column: META.region, code: 'missing-column', message: { zh: '缺少“区划代码”（_region）列', en: 'The region column (_region) is missing' } });
  }
  return { codeRow: best, columns, ignored, errors };
}

export interface MappedRow {
  /** The row's own key (`_id` cell), when given. */
  key?: string;
  regionCode?: string;
  /** Answers keyed by field name, ready for the validator. */
  data: Record<string, unknown>;
  errors: RowError[];
  /** True when every cell of the row is empty (such rows are skipped). */
  empty: boolean;
}

/** One data row as a submission body. `rowNumber` is the spreadsheet's 1-based row number (for the report). */
export function mapRow(layout: SheetLayout, cells: readonly CellValue[], rowNumber: number): MappedRow {
  const data: Record<string, unknown> = {};
  const errors: RowError[] = [];
  let key: string | undefined;
  let regionCode: string | undefined;
  let empty = true;
  layout.columns.forEach((col, i) => {
    if (!col) return;
    const raw = cells[i];
    const text = cellText(raw);
    if (text === '') return;
    empty = false;
    if (col.code === META.id) {
      if (text.length > 100) errors.push({ row: rowNumber, column: col.code, code: 'too-long', message: { zh: '记录标识不能超过100个字符', en: 'The record key is at most 100 characters' } });
      else key = text;
      return;
    }
    if (col.code === META.region) {
      const code = /^(\d{12})/.exec(normalise(text))?.[1];
      if (!code || !isRegionCode(code)) errors.push({ row: rowNumber, column: col.code, code: 'region', message: { zh: '区划代码应为12位数字', en: 'Region codes have 12 digits' } });
      else regionCode = code;
      return;
    }
    const r = parseCell(col.field!, raw);
    if (!r.ok) errors.push({ row: rowNumber, column: col.code, ...r.problem });
    else if (r.value !== undefined) data[col.code] = r.value;
  });
  pickFilteredChoices(layout, cells, data);
  return { ...(key !== undefined ? { key } : {}), ...(regionCode !== undefined ? { regionCode } : {}), data, errors, empty };
}

/** The column a validator path (`data.effective_area`, `data.materials[0].qty`) belongs to. */
export function columnOfPath(path: string): string | null {
  const m = /^data\.([a-z][a-z0-9_]*)/.exec(path);
  return m ? m[1]! : null;
}

/** Leaf fields of a form that a template can carry (for the notes sheet and data validation). */
export function choiceFields(def: Pick<FormDefinition, 'fields'>): LeafField[] {
  return def.fields.filter((f): f is LeafField => f.type === 'select_one' || f.type === 'boolean');
}
