/**
 * The XLSForm dialect we read and write: sheet names, column headers (standard XLSForm ones and our `rc::` extras),
 * how a header is parsed (case, spaces, `label::Chinese (zh)` / `label:English` languages, aliases) and the type words.
 * These names are a public file format: census offices keep workbooks that use them, so they never change meaning.
 */
import { CHINA_EXTENT } from '../forms';

export const SHEETS = {
  survey: 'survey',
  choices: 'choices',
  settings: 'settings',
  /** Ours: cross-field rules (id, expr, path, message::zh, message::en, severity). */
  rules: 'rc_rules',
} as const;

/** Headers the exporter writes for the two languages of a localized standard column. */
export const LANG_SUFFIX = { zh: '::Chinese (zh)', en: '::English (en)' } as const;
/** Headers the exporter writes for the two languages of a localized `rc::` column (short, like `rc::unit::zh`). */
export const RC_LANG_SUFFIX = { zh: '::zh', en: '::en' } as const;

/** The default_language the exporter writes: the name of its Chinese label columns, as XLSForm tools expect. */
export const EXPORT_DEFAULT_LANGUAGE = 'Chinese (zh)';

/** Our survey-sheet extras (see the README's XLSForm section for each one's meaning). */
export const RC = {
  type: 'rc::type',
  section: 'rc::section',
  unit: 'rc::unit',
  precision: 'rc::precision',
  min: 'rc::min',
  max: 'rc::max',
  exclusiveMin: 'rc::exclusive_min',
  minLength: 'rc::min_length',
  maxLength: 'rc::max_length',
  multiline: 'rc::multiline',
  format: 'rc::format',
  bounds: 'rc::bounds',
  maxVertices: 'rc::max_vertices',
  accept: 'rc::accept',
  maxSize: 'rc::max_size',
  multiple: 'rc::multiple',
  maxFiles: 'rc::max_files',
  minRows: 'rc::min_rows',
  maxRows: 'rc::max_rows',
  minSelected: 'rc::min_selected',
  maxSelected: 'rc::max_selected',
  level: 'rc::level',
  other: 'rc::other',
  otherValue: 'rc::other_value',
  /** `rc::constraint2`, `rc::constraint3`, …: constraints after the first (which is XLSForm's `constraint`). */
  constraint: 'rc::constraint',
  constraintMessage: 'rc::constraint_message',
  /** Choices sheet: `rc::column::<key>` holds choice column `<key>` when the key is itself a reserved header. */
  column: 'rc::column',
} as const;

/** Our settings-sheet extras. */
export const RC_SETTINGS = {
  sector: 'rc::sector',
  part: 'rc::part',
  code: 'rc::code',
  unit: 'rc::unit',
  regionLevel: 'rc::region_level',
  description: 'rc::description',
  /** English (or Chinese) title beside XLSForm's single-language form_title. */
  formTitle: 'rc::form_title',
  /** Section ids in order, when the order is not the order the groups first appear in. */
  sectionOrder: 'rc::section_order',
} as const;

/** Values of `rc::type`: our field types that XLSForm has no word for, each written as the XLSForm type beside it. */
export const RC_TYPES = { year: 'integer', boolean: 'select_one', region: 'text' } as const;

/** The choice list the exporter writes for boolean fields (so XLSForm tools show a yes/no question). */
export const BOOLEAN_LIST = 'rc_boolean';
export const BOOLEAN_CHOICES = [
  { value: 'yes', label: { zh: '是', en: 'Yes' } },
  { value: 'no', label: { zh: '否', en: 'No' } },
] as const;

/** The choice `or_other` adds, and the label of the text field it generates. */
export const OTHER_CHOICE = { value: 'other', label: { zh: '其他', en: 'Other' } } as const;
export const OTHER_FIELD_LABEL = { zh: '其他(请注明)', en: 'Other (please specify)' } as const;
/** Length of the generated "other" text, as the catalog's companion fields have it. */
export const OTHER_FIELD_MAX_LENGTH = 100;

// ───────────────────────────── header parsing ─────────────────────────────

/** Column bases that take a language suffix. */
const LOCALIZED = new Set([
  'label',
  'hint',
  'guidance_hint',
  'constraint_message',
  'required_message',
  'form_title',
  'message',
  'image',
  'audio',
  'video',
  'big-image',
  'media',
  'rc::unit',
  'rc::description',
  'rc::form_title',
  'rc::column',
]);

/** Old or alternative spellings of a column base (after lower-casing and spaces → _). */
const ALIASES: Record<string, string> = {
  constraintmsg: 'constraint_message',
  requiredmsg: 'required_message',
  readonly: 'read_only',
  calculate: 'calculation',
  count: 'repeat_count',
  'big_image': 'big-image',
};

export interface Header {
  /** 0-based column index. */
  index: number;
  /** As written (trimmed): what issues name. */
  raw: string;
  /** Normalized base: `label`, `constraint`, `rc::unit`, `rc::constraint2`, … */
  key: string;
  /** The language part as written, if any (`English (en)`). */
  lang?: string;
  /** That language resolved: zh, en, or null for a language our forms do not carry. */
  language?: 'zh' | 'en' | null;
}

/**
 * Parse one header: case-insensitive, trimmed, inner spaces → `_` (`list name` → `list_name`), `jr:` dropped, aliases
 * resolved; a language after `::` or a single `:` on columns that take one (`label::Chinese (zh)`, `label:English`).
 */
export function parseHeader(raw: string, index: number): Header {
  const text = raw.trim().replace(/\s+/g, ' ');
  let s = text.toLowerCase();
  let prefix = '';
  if (s.startsWith('rc::')) {
    prefix = 'rc::';
    s = s.slice(4);
  } else if (s.startsWith('jr:')) s = s.slice(3);
  const m = /^(.*?)\s*::?\s*(.+)$/.exec(s);
  let base = (m ? m[1]! : s).trim().replace(/ /g, '_');
  base = ALIASES[base] ?? base;
  const key = prefix + base;
  const langPart = m ? m[2]!.trim() : undefined;
  // `rc::constraint_message2::zh` is localized too.
  const localized = LOCALIZED.has(key) || /^rc::constraint_message\d+$/.test(key);
  if (langPart === undefined) return { index, raw: text, key };
  if (!localized) return { index, raw: text, key: `${key}::${langPart}` }; // not a column we know: reported as such
  const lang = text.slice(text.length - langPart.length);
  return { index, raw: text, key, lang, language: key === 'rc::column' ? null : languageOf(langPart) };
}

/** `zh`, `Chinese`, `Chinese (zh)`, `zh-CN`, `中文` → zh; `en`, `English (en)`, `en-US` → en; anything else → null. */
export function languageOf(s: string): 'zh' | 'en' | null {
  const t = s.trim().toLowerCase();
  const code = /\(([^)]*)\)\s*$/.exec(t)?.[1]?.trim();
  const name = t.replace(/\([^)]*\)\s*$/, '').trim();
  const zh = (c: string) => /^(zh|zho|chi|cmn)([-_][a-z0-9]+)*$/.test(c);
  const en = (c: string) => /^(en|eng)([-_][a-z0-9]+)*$/.test(c);
  if ((code && zh(code)) || zh(name) || /chinese|中文|汉语|漢語|简体|繁體/.test(name)) return 'zh';
  if ((code && en(code)) || en(name) || /english|英文|英语/.test(name)) return 'en';
  return null;
}

/** Whether text contains CJK ideographs (a plain `label` without a default language is Chinese when it does). */
export const hasCjk = (s: string): boolean => /[\u3400-\u9fff\uf900-\ufaff]/u.test(s);

// ───────────────────────────── type words ─────────────────────────────

export type FieldWord = 'text' | 'integer' | 'decimal' | 'date' | 'select_one' | 'select_multiple' | 'geopoint' | 'geotrace' | 'geoshape' | 'image' | 'file' | 'note' | 'calculate';

export type ParsedType =
  | { kind: 'field'; word: FieldWord; list?: string; orOther?: boolean; phone?: boolean }
  | { kind: 'begin' | 'end'; what: 'group' | 'repeat' | 'loop' }
  | { kind: 'metadata'; word: string }
  | { kind: 'refused'; word: string; zh: string; en: string }
  | { kind: 'unknown'; word: string };

const FIELD_WORDS: Record<string, FieldWord> = {
  text: 'text',
  string: 'text',
  integer: 'integer',
  int: 'integer',
  decimal: 'decimal',
  date: 'date',
  geopoint: 'geopoint',
  gps: 'geopoint',
  geotrace: 'geotrace',
  geoshape: 'geoshape',
  image: 'image',
  photo: 'image',
  file: 'file',
  note: 'note',
  calculate: 'calculate',
};

/** Metadata the device fills in: ignored with a warning, the server records who, when and where itself. */
const METADATA = new Set(['start', 'end', 'today', 'deviceid', 'subscriberid', 'simserial', 'phonenumber', 'username', 'email', 'audit', 'start-geopoint', 'instanceid']);

const NO_MEDIA = ['只能附加照片(image)和文件(file)', 'only photos (image) and files (file) can be attached'] as const;
const REFUSED_TYPES: Record<string, readonly [string, string]> = {
  time: ['表单只记录日期(date),不记录时刻', 'our forms record dates (date), not times of day'],
  datetime: ['表单只记录日期(date),不记录时刻', 'our forms record dates (date), not times of day'],
  barcode: ['不支持扫码,请改用 text', 'scanning is not supported; use text'],
  audio: NO_MEDIA,
  video: NO_MEDIA,
  'background-audio': NO_MEDIA,
  acknowledge: ['请改用 select_one(是/否)或 note', 'use a select_one (yes/no) or a note'],
  trigger: ['请改用 select_one(是/否)或 note', 'use a select_one (yes/no) or a note'],
  range: ['请改用 integer 或 decimal 加 rc::min / rc::max', 'use integer or decimal with rc::min / rc::max'],
  rank: ['不支持排序题', 'ranking questions are not supported'],
  osm: ['不支持 OpenStreetMap 题', 'OpenStreetMap questions are not supported'],
  select_one_from_file: ['选项须写在 choices 表中', 'choices must be on the choices sheet'],
  select_multiple_from_file: ['选项须写在 choices 表中', 'choices must be on the choices sheet'],
  select_one_external: ['选项须写在 choices 表中', 'choices must be on the choices sheet'],
  select_multiple_external: ['选项须写在 choices 表中', 'choices must be on the choices sheet'],
  hidden: ['不支持隐藏题,可改用 calculate', 'hidden questions are not supported; use calculate'],
  'xml-external': ['不支持外部数据', 'external data is not supported'],
  'csv-external': ['不支持外部数据', 'external data is not supported'],
  'background-geopoint': ['不支持后台定位', 'background location is not supported'],
  'begin loop': ['请改用 begin repeat', 'use begin repeat'],
};

/** Read a type cell: our words, XLSForm's legacy spellings (`select one from L`, `… or specify other`), refusals. */
export function parseType(raw: string): ParsedType {
  const t = raw.trim().replace(/\s+/g, ' ');
  const lower = t.toLowerCase();
  const container = /^(begin|end)[ _](group|repeat|loop)\b/.exec(lower);
  if (container) {
    const what = container[2] as 'group' | 'repeat' | 'loop';
    if (what === 'loop' && container[1] === 'begin') return { kind: 'refused', word: 'begin loop', zh: REFUSED_TYPES['begin loop']![0], en: REFUSED_TYPES['begin loop']![1] };
    return { kind: container[1] as 'begin' | 'end', what };
  }
  const select =
    /^(select_one|select one|select_multiple|select all that apply|select_one_from_file|select_multiple_from_file|select_one_external|select_multiple_external|rank|osm)(?: from)? (\S+)( or_other| or specify other| or other)?$/i.exec(t);
  if (select) {
    const word = select[1]!.toLowerCase();
    const refused = REFUSED_TYPES[word];
    if (refused) return { kind: 'refused', word, zh: refused[0], en: refused[1] };
    const multiple = word === 'select_multiple' || word === 'select all that apply';
    return { kind: 'field', word: multiple ? 'select_multiple' : 'select_one', list: select[2]!, orOther: select[3] !== undefined };
  }
  if (lower === 'phone number') return { kind: 'field', word: 'text', phone: true };
  const word = FIELD_WORDS[lower];
  if (word) return { kind: 'field', word };
  if (METADATA.has(lower) || lower.startsWith('uri:')) return { kind: 'metadata', word: lower };
  const refused = REFUSED_TYPES[lower];
  if (refused) return { kind: 'refused', word: lower, zh: refused[0], en: refused[1] };
  return { kind: 'unknown', word: t };
}

// ───────────────────────────── names ─────────────────────────────

/** The snake_case name nearest to `raw`, offered in the message when a name is refused. */
export function suggestName(raw: string): string {
  let s = raw
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  if (!/^[a-z]/.test(s)) s = `f_${s}`;
  return s.slice(0, 63).replace(/_$/, '') || 'field';
}

// ───────────────────────────── cell values ─────────────────────────────

/** `min_lat=3.8 max_lat=53.6 min_lng=73.4 max_lng=135.1` (keys in any case, with or without _), or `china`. */
export function parseBounds(s: string): { minLat: number; maxLat: number; minLng: number; maxLng: number } | undefined {
  if (s.trim().toLowerCase() === 'china') return { ...CHINA_EXTENT };
  const out: Record<string, number> = {};
  const keys: Record<string, string> = { minlat: 'minLat', maxlat: 'maxLat', minlng: 'minLng', maxlng: 'maxLng', minlon: 'minLng', maxlon: 'maxLng' };
  for (const part of s.split(/[\s,;]+/).filter(Boolean)) {
    const m = /^([a-z_]+)=([+-]?(?:\d+(?:\.\d*)?|\.\d+))$/i.exec(part);
    const key = m ? keys[m[1]!.toLowerCase().replace(/_/g, '')] : undefined;
    if (!m || !key || key in out) return undefined;
    out[key] = Number(m[2]);
  }
  return Object.keys(out).length === 4 ? (out as { minLat: number; maxLat: number; minLng: number; maxLng: number }) : undefined;
}

/**
 * The bare names (choice columns) of a choice filter, and the filter with them lowercased (headers, hence column keys,
 * are case-insensitive; our parser's column mode reads lowercase names). Strings and `${…}` are left alone; a name
 * followed by `(` is a function, `and or div mod` are operators.
 */
export function markColumns(src: string): { normalized: string; names: string[] } {
  let normalized = '';
  const names: string[] = [];
  let i = 0;
  const isStart = (c: string) => /[A-Za-z_]/.test(c);
  while (i < src.length) {
    const c = src.charAt(i);
    let j = i + 1;
    if (c === "'" || c === '"') {
      for (; j < src.length; j++) {
        if (src.charAt(j) !== c) continue;
        if (src.charAt(j + 1) === c) j++;
        else break;
      }
      j = Math.min(j + 1, src.length);
    } else if (c === '$' && src.charAt(i + 1) === '{') {
      const close = src.indexOf('}', i);
      j = close < 0 ? src.length : close + 1;
    } else if (/[0-9]/.test(c)) {
      j = i + /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))![0].length;
    } else if (isStart(c)) {
      // Function names may hold '-' (count-selected): it joins the name when a letter follows, as in our lexer.
      for (j = i; ; ) {
        while (j < src.length && /[A-Za-z0-9_]/.test(src.charAt(j))) j++;
        if (src.charAt(j) === '-' && isStart(src.charAt(j + 1))) {
          j++;
          continue;
        }
        break;
      }
      const word = src.slice(i, j);
      const next = /^\s*(.)/.exec(src.slice(j))?.[1];
      if (next !== '(' && !['and', 'or', 'div', 'mod'].includes(word)) {
        names.push(word);
        normalized += word.toLowerCase();
        i = j;
        continue;
      }
    }
    normalized += src.slice(i, j);
    i = j;
  }
  return { normalized, names: [...new Set(names)] };
}
