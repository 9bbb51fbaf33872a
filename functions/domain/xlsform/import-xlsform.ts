/**
 * XLSForm → form definition. Reads the survey, choices and settings sheets (and our rc_rules sheet), maps what our
 * definitions can express, and refuses — with a located, bilingual message — what they cannot. Nothing is dropped
 * without a warning. The result is the same checked definition an administrator would publish: it passes
 * `FormDefinition.parse` and `checkDefinition`, and any issue those report is traced back to its sheet, row and column.
 *
 * Steps: sheets and limits → settings (languages, ids) → choices → the survey rows (one walk keeping a stack of groups
 * and repeats) → what checkDefinition cannot see or say as well (a group's relevant, checked once on its row; a choice
 * filter's unknown column names; `${…}` in a label that is not a note's) → rules → the definition, checked by
 * checkDefinition, whose issues are placed through a row map kept during the walk (a problem already reported by the
 * importer is not reported twice).
 */
import { FIELD_MESSAGES } from '../errors';
import { ExpressionError, parse, typeCheck, type ValueType } from '../expressions';
import { checkDefinition, fieldValueType, type DefinitionIssue } from '../form-check';
import { FieldName, FormId, TEXT_FORMATS, type FormDefinition, type FormDefinitionInput, type Localized } from '../forms';
import { REGION_LEVELS, type RegionLevel } from '../regions';
import { SECTOR_IDS, sectorById, type SectorId } from '../sectors';
import { PHOTO_TYPES } from '../catalog/photos';
import {
  OTHER_CHOICE,
  OTHER_FIELD_LABEL,
  OTHER_FIELD_MAX_LENGTH,
  RC,
  RC_SETTINGS,
  RC_TYPES,
  SHEETS,
  hasCjk,
  languageOf,
  markColumns,
  parseBounds,
  parseHeader,
  parseType,
  suggestName,
  type Header,
  type ParsedType,
} from './format';
import { XLSFORM_LIMITS, cellText, isEmptyCell, issue, type Cell, type Sheet, type XlsformDefaults, type XlsformIssue } from './sheets';

export interface XlsformImport {
  /** Present only when `errors` is empty. */
  definition?: FormDefinition;
  errors: XlsformIssue[];
  warnings: XlsformIssue[];
}

/** Attachment defaults when the workbook does not say (`rc::accept`, `rc::max_size`). */
const DEFAULT_MAX_SIZE = 10 * 1024 * 1024;
const FILE_TYPES = ['application/pdf', 'image/jpeg', 'image/png'];

// ───────────────────────────── column vocabulary per sheet ─────────────────────────────

const SURVEY_COLUMNS = new Set<string>([
  'type',
  'name',
  'label',
  'hint',
  'required',
  'relevant',
  'constraint',
  'constraint_message',
  'appearance',
  'read_only',
  'calculation',
  'choice_filter',
  ...Object.values(RC).filter((k) => k !== RC.constraint && k !== RC.constraintMessage && k !== RC.column),
]);
const EXTRA_CONSTRAINT = /^rc::constraint(\d+)$/;
const EXTRA_CONSTRAINT_MESSAGE = /^rc::constraint_message(\d+)$/;

const MEDIA = { zh: '不支持题目或选项上的图片、音频和视频', en: 'images, audio and video on questions or choices are not supported' };
/** Columns whose values we cannot honour: each filled cell is an error. */
const REFUSED_COLUMNS: Record<string, { zh: string; en: string }> = {
  default: { zh: '不支持默认值(default)', en: 'default values (default) are not supported' },
  repeat_count: { zh: '不支持固定重复次数(repeat_count);可用 rc::min_rows / rc::max_rows', en: 'repeat_count is not supported; use rc::min_rows / rc::max_rows' },
  trigger: { zh: '不支持 trigger(值变化时重新计算)', en: 'trigger (recalculate on change) is not supported' },
  image: MEDIA,
  audio: MEDIA,
  video: MEDIA,
  'big-image': MEDIA,
  media: MEDIA,
};
/** Known XLSForm columns we read nothing from: one warning per column. */
const IGNORED_COLUMNS: Record<string, { zh: string; en: string }> = {
  required_message: { zh: '没有逐题的必填提示,将显示统一的"此项为必填项"', en: 'there is no per-question required message: the standard one is shown' },
  guidance_hint: { zh: '不支持 guidance_hint', en: 'guidance_hint is not supported' },
};

const CHOICE_SPECIAL = new Set(['list_name', 'name', 'label', RC.column]);
const CHOICE_COLUMN_KEY = /^[a-z][a-z0-9_]{0,62}$/;
const SETTINGS_COLUMNS = new Set<string>(['form_title', 'form_id', 'version', 'default_language', ...Object.values(RC_SETTINGS)]);
const RULE_COLUMNS = new Set(['id', 'expr', 'path', 'message', 'severity']);

// ───────────────────────────── names ─────────────────────────────

/** A group name as a section id (`group_test` → `group-test`). */
function sectionSlug(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
}

/** A form_id as the table part of our form id (`Spec test` → `spec-test`). */
function formSlug(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
}

const SECTION_ID = /^[a-z0-9-]{1,40}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

// ───────────────────────────── sheets as tables ─────────────────────────────

interface Row {
  /** 1-based sheet row. */
  row: number;
  cells: Cell[];
  /** Header indexes this row's reading has consumed (the rest, if filled, are reported). */
  used: Set<number>;
}

interface Table {
  sheet: string;
  headers: Header[];
  byKey: Map<string, Header[]>;
  rows: Row[];
}

function toTable(s: Sheet): Table {
  const headers: Header[] = [];
  (s.rows[0] ?? []).forEach((c, i) => {
    if (!isEmptyCell(c)) headers.push(parseHeader(cellText(c), i));
  });
  const byKey = new Map<string, Header[]>();
  for (const h of headers) byKey.set(h.key, [...(byKey.get(h.key) ?? []), h]);
  const rows: Row[] = [];
  s.rows.forEach((cells, i) => {
    if (i > 0 && headers.some((h) => !isEmptyCell(cells[h.index]))) rows.push({ row: i + 1, cells, used: new Set() });
  });
  return { sheet: s.name, headers, byKey, rows };
}

const EMPTY_TABLE = (sheet: string): Table => ({ sheet, headers: [], byKey: new Map(), rows: [] });

type Draft = Record<string, unknown>;

/** Where a built field came from, to place issues that checkDefinition reports on it. */
interface FieldLoc {
  row: number;
  choiceRows?: number[];
  /** `other` came from `or_other` in the type cell (else from rc::other). */
  otherFromType?: boolean;
  sub?: FieldLoc[];
}

interface Frame {
  kind: 'group' | 'repeat' | 'loop';
  row: number;
  /** Section id of a top-level group. */
  section?: string;
  /** A group's relevant, pushed down onto the fields inside it once it checks out. */
  cond?: GroupCond;
  readonly?: boolean;
  /** A group inside a repeat: display grouping only, flattened into the repeat. */
  flattened?: boolean;
  repeat?: { draft: Draft; loc: FieldLoc };
  refused?: boolean;
}

interface GroupCond {
  row: number;
  expr: string;
  /** Fields (drafts) it applies to. */
  targets: Draft[];
  /** Names in scope where the group sits (a repeat's sub-fields), undefined at top level. */
  repeat?: Draft;
}

interface ChoiceEntry {
  row: number;
  value: string;
  label: Localized;
  columns: Record<string, string>;
}

interface ChoiceList {
  choices: ChoiceEntry[];
  columns: Set<string>;
  /** Choice values seen, to refuse duplicates. */
  values: Map<string, number>;
}

// ───────────────────────────── the importer ─────────────────────────────

export function importXlsform(sheets: readonly Sheet[], defaults: XlsformDefaults = {}): XlsformImport {
  return new Importer(sheets, defaults).run();
}

class Importer {
  private readonly errors: XlsformIssue[] = [];
  private readonly warnings: XlsformIssue[] = [];
  /** `sheet|row|column` of cells the reader could not read: nothing more is said about them. */
  private readonly unreadable = new Set<string>();
  /** Warnings of one kind collected over many rows (a label given in one language only), emitted once. */
  private readonly missingLanguage = new Map<string, { sheet: string; column: string; present: 'zh' | 'en'; key: string; rows: number[] }>();

  private survey: Table = EMPTY_TABLE(SHEETS.survey);
  private choicesTable: Table = EMPTY_TABLE(SHEETS.choices);
  private settingsTable: Table = EMPTY_TABLE(SHEETS.settings);
  private rulesTable: Table = EMPTY_TABLE(SHEETS.rules);
  private defaultLanguage: 'zh' | 'en' | undefined;
  private readonly lists = new Map<string, ChoiceList>();

  private readonly fields: Draft[] = [];
  private readonly locs: FieldLoc[] = [];
  private readonly sections: { id: string; title: Localized; row: number; name: string }[] = [];
  private readonly rules: Draft[] = [];
  private readonly ruleRows: number[] = [];
  /** Every field name claimed, with its row. */
  private readonly names = new Map<string, number>();
  /** Names of rows that were refused: a reference to one is a consequence, not another problem. */
  private readonly refusedNames = new Set<string>();
  /** Metadata rows ignored: a reference to one is an error with its own explanation. */
  private readonly droppedNames = new Set<string>();
  private readonly groupConds: GroupCond[] = [];
  private readonly choiceFilters: { draft: Draft; row: number; list: string }[] = [];
  /** `row|property` of fields whose problem the importer already reported: checkDefinition's version is dropped. */
  private readonly reported = new Set<string>();
  /** Issues placed from checkDefinition, to report one problem once (it checks each language of a label). */
  private readonly placed = new Set<string>();
  /** Cells the reader could not read, until it is known whether their column is read at all. */
  private readonly cellIssues: XlsformIssue[] = [];

  constructor(
    private readonly sheets: readonly Sheet[],
    private readonly defaults: XlsformDefaults,
  ) {}

  run(): XlsformImport {
    if (!this.readSheets()) return { errors: this.errors, warnings: this.warnings };
    this.columnChecks(this.survey, SURVEY_COLUMNS, true);
    this.columnChecks(this.choicesTable, undefined, true);
    this.columnChecks(this.settingsTable, SETTINGS_COLUMNS, false);
    this.columnChecks(this.rulesTable, RULE_COLUMNS, false);
    this.placeCellIssues();
    const top = this.readSettings();
    this.readChoices();
    this.walkSurvey();
    this.checkGroupConditions();
    this.checkChoiceFilters();
    this.checkLabelReferences();
    this.readRules();
    const input = this.assemble(top);
    this.flushLanguageWarnings();
    const checked = checkDefinition(input.definition as FormDefinitionInput);
    for (const i of checked.issues) this.placeIssue(i, input);
    if (this.errors.length || !checked.definition) return { errors: this.errors, warnings: this.warnings };
    return { definition: checked.definition, errors: [], warnings: this.warnings };
  }

  // ── issues

  private error(sheet: string, row: number | undefined, column: string | undefined, zh: string, en: string) {
    if (row !== undefined && column !== undefined && this.unreadable.has(`${sheet}|${row}|${column}`)) return;
    this.errors.push(issue(sheet, row, column, zh, en));
  }
  private warn(sheet: string, row: number | undefined, column: string | undefined, zh: string, en: string) {
    this.warnings.push(issue(sheet, row, column, zh, en));
  }

  // ── sheets

  /** Find the sheets (names are case-insensitive), apply the row limits; false when nothing more can be read. */
  private readSheets(): boolean {
    const byName = new Map<string, Sheet>();
    for (const s of this.sheets) {
      const key = s.name.trim().toLowerCase();
      if (!byName.has(key)) byName.set(key, s);
      for (const i of s.issues ?? []) {
        this.cellIssues.push(i);
        if (i.row !== undefined && i.column !== undefined) this.unreadable.add(`${i.sheet}|${i.row}|${i.column}`);
      }
    }
    const survey = byName.get(SHEETS.survey);
    if (!survey) {
      this.error(SHEETS.survey, undefined, undefined, '工作簿中没有 survey 工作表', 'The workbook has no survey sheet');
      return false;
    }
    this.survey = toTable(survey);
    const choices = byName.get(SHEETS.choices);
    if (choices) this.choicesTable = toTable(choices);
    const settings = byName.get(SHEETS.settings);
    if (settings) this.settingsTable = toTable(settings);
    const rules = byName.get(SHEETS.rules);
    if (rules) this.rulesTable = toTable(rules);

    if (this.survey.rows.length > XLSFORM_LIMITS.surveyRows) {
      this.error(this.survey.sheet, undefined, undefined, `survey 表最多 ${XLSFORM_LIMITS.surveyRows} 行,此表有 ${this.survey.rows.length} 行`, `The survey sheet has ${this.survey.rows.length} rows; at most ${XLSFORM_LIMITS.surveyRows} are accepted`);
    }
    if (this.choicesTable.rows.length > XLSFORM_LIMITS.choiceRows) {
      this.error(this.choicesTable.sheet, undefined, undefined, `choices 表最多 ${XLSFORM_LIMITS.choiceRows} 行,此表有 ${this.choicesTable.rows.length} 行`, `The choices sheet has ${this.choicesTable.rows.length} rows; at most ${XLSFORM_LIMITS.choiceRows} are accepted`);
    }
    if (this.errors.length && (this.survey.rows.length > XLSFORM_LIMITS.surveyRows || this.choicesTable.rows.length > XLSFORM_LIMITS.choiceRows)) return false;

    const known = new Set<string>([SHEETS.survey, SHEETS.choices, SHEETS.settings, SHEETS.rules]);
    for (const [key, s] of byName) {
      if (known.has(key)) continue;
      const filled = s.rows.slice(1).some((r) => r.some((c) => !isEmptyCell(c)));
      if (!filled) continue;
      if (key === 'entities') {
        this.error(s.name, undefined, undefined, '不支持 entities 工作表(ODK 实体)', 'The entities sheet (ODK entities) is not supported');
      } else {
        this.warn(s.name, undefined, undefined, `工作表 ${s.name} 不属于表单格式,已忽略`, `Sheet ${s.name} is not part of the form format and is ignored`);
      }
    }
    return true;
  }

  /**
   * Per column, before any row is read: refused columns (each filled cell an error), languages we do not carry, and
   * columns we do not know (one warning each). `known` undefined = the choices sheet, where other columns are data.
   */
  private columnChecks(t: Table, known: Set<string> | undefined, hasMedia: boolean) {
    for (const h of t.headers) {
      const filled = t.rows.filter((r) => !isEmptyCell(r.cells[h.index]));
      const refused = hasMedia ? REFUSED_COLUMNS[h.key] : undefined;
      if (refused && (known !== undefined || REFUSED_COLUMNS[h.key] === MEDIA)) {
        for (const r of filled) this.error(t.sheet, r.row, h.raw, `不支持 ${h.raw} 列:${refused.zh}`, `Column ${h.raw}: ${refused.en}`);
        continue;
      }
      if (!filled.length) continue;
      if (h.language === null && h.key !== RC.column) {
        this.warn(t.sheet, 1, h.raw, `表单只有中文和英文,${h.raw} 列已忽略`, `Our forms carry Chinese and English only: column ${h.raw} is ignored`);
        continue;
      }
      if (known === undefined) continue;
      const ignored = IGNORED_COLUMNS[h.key];
      if (ignored) {
        this.warn(t.sheet, filled[0]!.row, h.raw, `${h.raw} 列已忽略:${ignored.zh}`, `Column ${h.raw} is ignored: ${ignored.en}`);
      } else if (!known.has(h.key) && !(t === this.survey && (EXTRA_CONSTRAINT.test(h.key) || EXTRA_CONSTRAINT_MESSAGE.test(h.key)))) {
        this.warn(t.sheet, filled[0]!.row, h.raw, `${h.raw} 列不属于表单格式,已忽略`, `Column ${h.raw} is not part of the form format and is ignored`);
      }
    }
  }

  /**
   * An unreadable cell is an error where its value would be read; in a column or sheet we ignore anyway (warned
   * about as such) it is only a warning.
   */
  private placeCellIssues() {
    const tables = [this.survey, this.choicesTable, this.settingsTable, this.rulesTable];
    const known: Record<string, Set<string> | undefined> = { [this.survey.sheet]: SURVEY_COLUMNS, [this.settingsTable.sheet]: SETTINGS_COLUMNS, [this.rulesTable.sheet]: RULE_COLUMNS };
    for (const i of this.cellIssues) {
      const t = tables.find((x) => x.headers.length && x.sheet === i.sheet);
      const h = t?.headers.find((x) => x.raw === i.column);
      const read = t !== undefined && (i.row === 1 || !h || (t === this.choicesTable ? h.language !== null : this.readable(t, h, known[t.sheet]!)));
      (read ? this.errors : this.warnings).push(i);
    }
  }

  /** Whether a header is one a row reader consumes (refused, ignored and unknown columns were reported per column). */
  private readable(t: Table, h: Header, known: Set<string>): boolean {
    if (h.language === null) return false;
    if (t === this.survey && (EXTRA_CONSTRAINT.test(h.key) || EXTRA_CONSTRAINT_MESSAGE.test(h.key))) return true;
    return known.has(h.key);
  }

  // ── cell access

  /** The first filled cell of a (language-less) column, marking the column consumed. */
  private cell(t: Table, r: Row, key: string): { value: Cell; header: Header } | undefined {
    let found: { value: Cell; header: Header } | undefined;
    for (const h of t.byKey.get(key) ?? []) {
      if (h.lang !== undefined) continue;
      r.used.add(h.index);
      const v = r.cells[h.index];
      if (!found && !isEmptyCell(v)) found = { value: v ?? null, header: h };
    }
    return found;
  }

  private text(t: Table, r: Row, key: string): string {
    return cellText(this.cell(t, r, key)?.value);
  }

  /** The header a key would be reported under: as written in the file, else the canonical name. */
  private headerName(t: Table, key: string, language?: 'zh' | 'en'): string {
    const hs = t.byKey.get(key) ?? [];
    const h = (language ? hs.find((x) => x.language === language) : undefined) ?? hs.find((x) => x.lang === undefined) ?? hs[0];
    return h?.raw ?? (language ? `${key}::${language}` : key);
  }

  /**
   * A localized value: explicit-language columns first, then the plain column (the settings' default_language, else
   * Chinese when it has CJK characters, else English). One language missing → the other is used for both (a warning).
   */
  private localized(t: Table, r: Row, key: string): Localized | undefined {
    const out: { zh?: string; en?: string } = {};
    const from: { zh?: string; en?: string } = {};
    const plain: Header[] = [];
    for (const h of t.byKey.get(key) ?? []) {
      r.used.add(h.index);
      if (h.lang === undefined) {
        plain.push(h);
        continue;
      }
      const v = cellText(r.cells[h.index]);
      if (!v || !h.language || out[h.language] !== undefined) continue;
      out[h.language] = v;
      from[h.language] = h.raw;
    }
    for (const h of plain) {
      const v = cellText(r.cells[h.index]);
      if (!v) continue;
      const lang = this.defaultLanguage ?? (hasCjk(v) ? 'zh' : 'en');
      if (out[lang] === undefined) {
        out[lang] = v;
        from[lang] = h.raw;
      }
    }
    if (out.zh !== undefined && out.en !== undefined) return { zh: out.zh, en: out.en };
    const present = out.zh !== undefined ? 'zh' : out.en !== undefined ? 'en' : undefined;
    if (!present) return undefined;
    const k = `${t.sheet}|${key}|${present}`;
    const m = this.missingLanguage.get(k) ?? { sheet: t.sheet, column: from[present]!, present, key, rows: [] };
    m.rows.push(r.row);
    this.missingLanguage.set(k, m);
    return { zh: out[present]!, en: out[present]! };
  }

  private flushLanguageWarnings() {
    for (const m of this.missingLanguage.values()) {
      const rows = m.rows.length > 10 ? `${m.rows.slice(0, 10).join(', ')}, … (${m.rows.length})` : m.rows.join(', ');
      const rowsZh = m.rows.length > 10 ? `${m.rows.slice(0, 10).join('、')} 等 ${m.rows.length} 行` : `${m.rows.join('、')} 行`;
      const [have, lack, haveEn, lackEn] = m.present === 'zh' ? ['中文', '英文', 'Chinese', 'English'] : ['英文', '中文', 'English', 'Chinese'];
      this.warn(m.sheet, m.rows[0], m.column, `第 ${rowsZh}的 ${m.key} 没有${lack},已用${have}代替`, `${m.key} has no ${lackEn} text on row${m.rows.length > 1 ? 's' : ''} ${rows}: the ${haveEn} text is used for both`);
    }
  }

  /** yes/true/TRUE()/1 → true, no/false/FALSE()/0 → false, anything else undefined. */
  private static flag(v: Cell | undefined): boolean | undefined {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : undefined;
    const s = cellText(v).toLowerCase();
    if (['yes', 'true', 'true()', '1', 'y', '是'].includes(s)) return true;
    if (['no', 'false', 'false()', '0', 'n', '否'].includes(s)) return false;
    return undefined;
  }

  private flagCell(t: Table, r: Row, key: string): boolean | undefined {
    const c = this.cell(t, r, key);
    if (!c) return undefined;
    const f = Importer.flag(c.value);
    if (f === undefined) this.error(t.sheet, r.row, c.header.raw, `${c.header.raw} 应为 yes 或 no`, `${c.header.raw} takes yes or no`);
    return f;
  }

  private numberCell(t: Table, r: Row, key: string, integer = false): number | undefined {
    const c = this.cell(t, r, key);
    if (!c) return undefined;
    const n = typeof c.value === 'number' ? c.value : /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(cellText(c.value)) ? Number(cellText(c.value)) : NaN;
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      this.error(t.sheet, r.row, c.header.raw, `${c.header.raw} 应为${integer ? '整数' : '数字'}`, `${c.header.raw} takes ${integer ? 'a whole number' : 'a number'}`);
      return undefined;
    }
    return n;
  }

  // ── settings

  private readSettings(): Draft {
    const t = this.settingsTable;
    const r: Row = t.rows[0] ?? { row: 2, cells: [], used: new Set() };
    for (const extra of t.rows.slice(1)) this.warn(t.sheet, extra.row, undefined, 'settings 表只读第一行数据,此行已忽略', 'Only the first data row of the settings sheet is read: this row is ignored');

    const lang = this.cell(t, r, 'default_language');
    if (lang) {
      const l = languageOf(cellText(lang.value));
      if (l) this.defaultLanguage = l;
      else this.warn(t.sheet, r.row, lang.header.raw, `默认语言 ${cellText(lang.value)} 不是中文或英文,已忽略`, `default_language ${cellText(lang.value)} is neither Chinese nor English: ignored`);
    }
    const version = this.cell(t, r, 'version');
    if (version) this.warn(t.sheet, r.row, version.header.raw, 'version 已忽略:版本号由服务器分配', 'version is ignored: the server numbers versions');

    const top: Draft = {};
    const title = this.localizedPair(t, r, 'form_title', RC_SETTINGS.formTitle);
    if (title) top.title = title;
    const description = this.localized(t, r, RC_SETTINGS.description);
    if (description) top.description = description;
    const code = this.text(t, r, RC_SETTINGS.code);
    if (code) top.code = code;
    top.formIdText = this.text(t, r, 'form_id');
    top.sector = this.text(t, r, RC_SETTINGS.sector) || this.defaults.sector || '';
    top.part = this.text(t, r, RC_SETTINGS.part) || this.defaults.part || '';
    top.regionLevel = this.text(t, r, RC_SETTINGS.regionLevel) || this.defaults.regionLevel || '';
    top.unit = this.text(t, r, RC_SETTINGS.unit);
    top.sectionOrder = this.text(t, r, RC_SETTINGS.sectionOrder);
    top.row = r.row;
    return top;
  }

  /** form_title (single language in XLSForm) completed by rc::form_title::<lang>. */
  private localizedPair(t: Table, r: Row, key: string, extra: string): Localized | undefined {
    const a = this.peekLocalized(t, r, key);
    const b = this.peekLocalized(t, r, extra);
    const zh = a.zh ?? b.zh;
    const en = a.en ?? b.en;
    if (zh !== undefined && en !== undefined) return { zh, en };
    return this.localized(t, r, a.zh !== undefined || a.en !== undefined ? key : extra);
  }

  /** Both languages of a localized column without completing or warning. */
  private peekLocalized(t: Table, r: Row, key: string): { zh?: string; en?: string } {
    const out: { zh?: string; en?: string } = {};
    for (const h of t.byKey.get(key) ?? []) {
      r.used.add(h.index);
      const v = cellText(r.cells[h.index]);
      if (!v) continue;
      const lang = h.lang === undefined ? (this.defaultLanguage ?? (hasCjk(v) ? 'zh' : 'en')) : h.language;
      if (lang && out[lang] === undefined) out[lang] = v;
    }
    return out;
  }

  // ── choices

  private readChoices() {
    const t = this.choicesTable;
    const columnHeaders: { h: Header; key: string }[] = [];
    for (const h of t.headers) {
      if (CHOICE_SPECIAL.has(h.key) && h.key !== RC.column) continue;
      if (REFUSED_COLUMNS[h.key] === MEDIA || (h.language === null && h.key !== RC.column)) continue;
      const key = h.key === RC.column ? (h.lang ?? '').toLowerCase() : h.key;
      if (!CHOICE_COLUMN_KEY.test(key)) {
        if (t.rows.some((r) => !isEmptyCell(r.cells[h.index]))) {
          this.warn(t.sheet, 1, h.raw, `${h.raw} 不能作为选项列名(小写字母开头,仅含小写字母、数字和 _),已忽略`, `${h.raw} cannot be a choice column (a lowercase letter, then lowercase letters, digits or _): ignored`);
        }
        continue;
      }
      columnHeaders.push({ h, key });
    }
    for (const r of t.rows) {
      const listName = this.text(t, r, 'list_name');
      const value = this.text(t, r, 'name');
      if (!listName) {
        this.error(t.sheet, r.row, this.headerName(t, 'list_name'), '选项缺少 list_name', 'The choice has no list_name');
        continue;
      }
      const list: ChoiceList = this.lists.get(listName) ?? { choices: [], columns: new Set(), values: new Map() };
      this.lists.set(listName, list);
      if (!value) {
        this.error(t.sheet, r.row, this.headerName(t, 'name'), `列表 ${listName} 的选项缺少 name`, `A choice of list ${listName} has no name`);
        continue;
      }
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
        this.error(t.sheet, r.row, this.headerName(t, 'name'), `选项值 ${value} 只能包含字母、数字和 _ . -(至多 64 个字符)`, `Choice value ${value} may hold letters, digits and _ . - only (at most 64 characters)`);
        continue;
      }
      const first = list.values.get(value);
      if (first !== undefined) {
        this.error(
          t.sheet,
          r.row,
          this.headerName(t, 'name'),
          `列表 ${listName} 中选项值 ${value} 重复(第 ${first} 行已有);同一列表中的选项值必须唯一(不支持 allow_choice_duplicates)`,
          `Choice value ${value} appears twice in list ${listName} (also row ${first}); values must be unique within a list (allow_choice_duplicates is not supported)`,
        );
        continue;
      }
      list.values.set(value, r.row);
      const label = this.localized(t, r, 'label');
      if (!label) {
        this.error(t.sheet, r.row, this.headerName(t, 'label'), `列表 ${listName} 的选项 ${value} 缺少标签`, `Choice ${value} of list ${listName} has no label`);
        continue;
      }
      const columns: Record<string, string> = {};
      for (const { h, key } of columnHeaders) {
        const v = cellText(r.cells[h.index]);
        r.used.add(h.index);
        list.columns.add(key);
        if (v) columns[key] = v;
      }
      list.choices.push({ row: r.row, value, label, columns });
    }
  }

  // ── survey

  private walkSurvey() {
    const t = this.survey;
    const stack: Frame[] = [];
    const inRepeat = () => stack.find((f) => f.kind === 'repeat' && !f.refused);
    const topGroup = () => stack.find((f) => f.kind === 'group' && !f.flattened && !f.refused);
    /** The nearest group around an item, unless a repeat sits between them (the repeat carries that group's condition). */
    const enclosingGroup = (): Frame | undefined => {
      for (let i = stack.length - 1; i >= 0; i--) {
        const f = stack[i]!;
        if (f.kind === 'repeat' && !f.refused) return undefined;
        if (f.kind === 'group' && !f.refused) return f;
      }
      return undefined;
    };
    const container = (): { fields: Draft[]; locs: FieldLoc[]; repeat?: Draft } => {
      const rep = inRepeat();
      if (rep) return { fields: rep.repeat!.draft.fields as Draft[], locs: rep.repeat!.loc.sub!, repeat: rep.repeat!.draft };
      return { fields: this.fields, locs: this.locs };
    };

    for (const r of t.rows) {
      const typeCell = this.cell(t, r, 'type');
      const typeText = cellText(typeCell?.value);
      if (!typeText) {
        this.error(t.sheet, r.row, this.headerName(t, 'type'), '此行缺少题型(type)', 'This row has no type');
        continue;
      }
      const ty = parseType(typeText);
      const typeCol = typeCell!.header.raw;

      if (ty.kind === 'end') {
        const top = stack[stack.length - 1];
        const expected = ty.what;
        if (!top || top.kind !== expected) {
          this.error(
            t.sheet,
            r.row,
            typeCol,
            top ? `end ${expected} 与第 ${top.row} 行的 begin ${top.kind} 不配对` : `end ${expected} 之前没有 begin ${expected}`,
            top ? `end ${expected} does not close the begin ${top.kind} of row ${top.row}` : `end ${expected} without a begin ${expected}`,
          );
          continue;
        }
        stack.pop();
        if (top.kind === 'repeat' && top.repeat && (top.repeat.draft.fields as Draft[]).length === 0) {
          this.error(t.sheet, top.row, this.headerName(t, 'type'), '重复组中没有题目', 'The repeat has no questions in it');
        }
        continue;
      }

      if (ty.kind === 'refused' && ty.word === 'begin loop') {
        this.error(t.sheet, r.row, typeCol, `不支持 begin loop:${ty.zh}`, `begin loop is not supported: ${ty.en}`);
        stack.push({ kind: 'loop', row: r.row, refused: true });
        continue;
      }

      if (ty.kind === 'begin' && ty.what === 'group') {
        this.beginGroup(t, r, typeCol, stack, inRepeat(), topGroup());
        continue;
      }

      if (ty.kind === 'begin' && ty.what === 'repeat') {
        const outer = inRepeat();
        if (outer) {
          this.error(t.sheet, r.row, typeCol, `不支持嵌套的重复组(外层为第 ${outer.row} 行)`, `Repeats inside repeats are not supported (the outer one begins on row ${outer.row})`);
          this.refuseName(t, r);
          stack.push({ kind: 'repeat', row: r.row, refused: true });
          continue;
        }
        const draft = this.buildRepeat(t, r);
        const group = enclosingGroup();
        const frame: Frame = { kind: 'repeat', row: r.row, refused: !draft };
        if (draft) {
          const loc: FieldLoc = { row: r.row, sub: [] };
          this.placeSection(t, r, draft, topGroup()?.section);
          this.reportUnused(t, r, 'repeat');
          this.applyGroup(draft, group);
          this.fields.push(draft);
          this.locs.push(loc);
          frame.repeat = { draft, loc };
        }
        stack.push(frame);
        continue;
      }

      if (ty.kind === 'metadata') {
        const name = this.text(t, r, 'name');
        if (name) this.droppedNames.add(name);
        this.warn(t.sheet, r.row, typeCol, `元数据 ${ty.word} 已忽略:服务器自己记录填报人、时间和设备`, `Metadata ${ty.word} is ignored: the server records who filled in what, and when, itself`);
        continue;
      }
      if (ty.kind === 'refused') {
        this.error(t.sheet, r.row, typeCol, `不支持题型 ${ty.word}:${ty.zh}`, `Type ${ty.word} is not supported: ${ty.en}`);
        this.refuseName(t, r);
        continue;
      }
      if (ty.kind === 'unknown') {
        this.error(t.sheet, r.row, typeCol, `未知题型 ${ty.word}`, `Unknown type ${ty.word}`);
        this.refuseName(t, r);
        continue;
      }
      if (ty.kind !== 'field') {
        this.error(t.sheet, r.row, typeCol, `未知题型 ${typeText}`, `Unknown type ${typeText}`);
        continue;
      }

      const c = container();
      const built = this.buildLeaf(t, r, ty, typeCol);
      if (!built) continue;
      const group = enclosingGroup();
      const [first] = built.drafts;
      for (const [i, draft] of built.drafts.entries()) {
        // A generated "other" text field sits where its select sits.
        if (i === 0) this.placeSection(t, r, draft, c.repeat ? undefined : topGroup()?.section);
        else if (first!.section !== undefined) draft.section = first!.section;
        this.applyGroup(draft, group);
        c.fields.push(draft);
        c.locs.push(i === 0 ? built.loc : { row: r.row });
        if (i === 0 && draft.choiceFilter !== undefined) this.choiceFilters.push({ draft, row: r.row, list: ty.list! });
      }
      this.reportUnused(t, r, built.drafts[0]!.type as string);
    }
    for (const f of stack.reverse()) {
      this.error(t.sheet, f.row, this.headerName(t, 'type'), `第 ${f.row} 行的 begin ${f.kind} 没有对应的 end ${f.kind}`, `The begin ${f.kind} on row ${f.row} is never closed with end ${f.kind}`);
    }
  }

  private refuseName(t: Table, r: Row) {
    const name = this.text(t, r, 'name');
    if (name) this.refusedNames.add(name);
  }

  /** A group at top level is a section; inside a repeat it is flattened (display grouping only); nested groups are refused. */
  private beginGroup(t: Table, r: Row, typeCol: string, stack: Frame[], repeat: Frame | undefined, outer: Frame | undefined) {
    const nameCell = this.cell(t, r, 'name');
    const name = cellText(nameCell?.value);
    const nested = stack.slice(stack.indexOf(repeat as Frame) + 1).find((f) => f.kind === 'group');
    if (nested || (!repeat && outer)) {
      const o = nested ?? outer!;
      this.error(t.sheet, r.row, typeCol, `不支持嵌套分组(外层分组始于第 ${o.row} 行):表单的分节是平的`, `Groups inside groups are not supported (the outer group begins on row ${o.row}): our sections are flat`);
      stack.push({ kind: 'group', row: r.row, refused: true });
      return;
    }
    const frame: Frame = { kind: 'group', row: r.row };
    const relevant = this.text(t, r, 'relevant');
    if (relevant) {
      frame.cond = { row: r.row, expr: relevant, targets: [], ...(repeat?.repeat ? { repeat: repeat.repeat.draft } : {}) };
      this.groupConds.push(frame.cond);
    }
    const ro = this.flagCell(t, r, 'read_only');
    if (ro) frame.readonly = true;
    this.ignoreAppearance(t, r, 'group');
    if (repeat) {
      frame.flattened = true;
      this.localized(t, r, 'label');
      this.text(t, r, RC.section);
      this.warn(t.sheet, r.row, typeCol, '重复组内的分组已展开:分组只用于显示', 'A group inside a repeat is flattened: it only grouped questions on screen');
      stack.push(frame);
      this.reportUnused(t, r, 'group');
      return;
    }
    const explicit = this.cell(t, r, RC.section);
    if (!name && !explicit) {
      this.error(t.sheet, r.row, this.headerName(t, 'name'), '分组缺少 name', 'The group has no name');
      stack.push({ kind: 'group', row: r.row, refused: true });
      return;
    }
    let id = explicit ? cellText(explicit.value) : sectionSlug(name);
    if (explicit && !SECTION_ID.test(id)) {
      this.error(t.sheet, r.row, explicit.header.raw, `分节标识 ${id} 只能包含小写字母、数字和 -(至多 40 个字符)`, `Section id ${id} may hold lowercase letters, digits and - only (at most 40 characters)`);
      stack.push({ kind: 'group', row: r.row, refused: true });
      return;
    }
    if (!id) {
      this.error(t.sheet, r.row, nameCell?.header.raw ?? 'name', `分组名 ${name} 无法用作分节标识`, `Group name ${name} cannot be used as a section id`);
      stack.push({ kind: 'group', row: r.row, refused: true });
      return;
    }
    // A group name that reappears continues its section; a different name that slugs to a taken id gets its own.
    const taken = this.sections.find((s) => s.id === id);
    if (taken && !explicit && taken.name !== name) {
      let n = 2;
      while (this.sections.some((s) => s.id === `${id.slice(0, 37)}-${n}`)) n++;
      id = `${id.slice(0, 37)}-${n}`;
    }
    const label = this.localized(t, r, 'label');
    if (!this.sections.some((s) => s.id === id)) {
      let title = label;
      if (!title) {
        title = { zh: name || id, en: name || id };
        this.warn(t.sheet, r.row, this.headerName(t, 'label'), `分组 ${name || id} 没有标签,以名称作为分节标题`, `Group ${name || id} has no label: its name is the section title`);
      }
      this.sections.push({ id, title, row: r.row, name });
    }
    frame.section = id;
    stack.push(frame);
    this.reportUnused(t, r, 'group');
  }

  /** A field's section: `rc::section` on its row, else its top-level group's (none inside a repeat). */
  private placeSection(t: Table, r: Row, draft: Draft, groupSection: string | undefined) {
    const explicit = this.cell(t, r, RC.section);
    const section = explicit ? cellText(explicit.value) : groupSection;
    if (section !== undefined) draft.section = section;
    else delete draft.section;
  }

  /** Record the group's condition (and read-only) for a field that sits in it. */
  private applyGroup(draft: Draft, group: Frame | undefined) {
    if (!group) return;
    group.cond?.targets.push(draft);
    if (group.readonly && draft.type !== 'note' && draft.type !== 'calculate') draft.readonly = true;
  }

  private ignoreAppearance(t: Table, r: Row, what: string, keep: (token: string) => boolean = () => false) {
    const c = this.cell(t, r, 'appearance');
    if (!c) return;
    const ignored = cellText(c.value)
      .split(/\s+/)
      .filter((tok) => tok && !keep(tok));
    if (ignored.length) {
      this.warn(t.sheet, r.row, c.header.raw, `显示方式 ${ignored.join(' ')} 已忽略(${what})`, `appearance ${ignored.join(' ')} is ignored (${what})`);
    }
  }

  /** Claim a field name: present, snake_case, unused. */
  private claimName(t: Table, r: Row): string | undefined {
    const c = this.cell(t, r, 'name');
    const col = c?.header.raw ?? this.headerName(t, 'name');
    const name = cellText(c?.value);
    if (!name) {
      this.error(t.sheet, r.row, col, '此题缺少 name', 'The question has no name');
      return undefined;
    }
    if (!FieldName.safeParse(name).success) {
      const s = suggestName(name);
      this.error(
        t.sheet,
        r.row,
        col,
        `字段名 ${name} 不符合要求(小写字母开头,仅含小写字母、数字和 _,至多 63 个字符),可改为 ${s}`,
        `Field name ${name} is not snake_case (a lowercase letter, then lowercase letters, digits or _, at most 63 characters): try ${s}`,
      );
      this.refusedNames.add(name);
      return undefined;
    }
    const first = this.names.get(name);
    if (first !== undefined) {
      this.error(t.sheet, r.row, col, `字段名 ${name} 重复(第 ${first} 行已使用)`, `Field name ${name} is already used on row ${first}`);
      return undefined;
    }
    this.names.set(name, r.row);
    return name;
  }

  /** The parts every answerable field has: required, relevant, constraints, read-only. */
  private answerable(t: Table, r: Row, draft: Draft) {
    const req = this.cell(t, r, 'required');
    if (req) {
      const f = Importer.flag(req.value);
      draft.required = f ?? cellText(req.value);
    }
    const relevant = this.text(t, r, 'relevant');
    if (relevant) draft.relevant = relevant;
    const constraints: Draft[] = [];
    const first = this.constraint(t, r, 'constraint', 'constraint_message');
    if (first) constraints.push(first);
    const extra = this.survey.headers
      .map((h) => EXTRA_CONSTRAINT.exec(h.key))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .filter((n, i, a) => n >= 2 && a.indexOf(n) === i)
      .sort((a, b) => a - b);
    for (const n of extra) {
      const k = this.constraint(t, r, `${RC.constraint}${n}`, `${RC.constraintMessage}${n}`);
      if (k) constraints.push(k);
    }
    if (constraints.length) draft.constraints = constraints;
    const ro = this.flagCell(t, r, 'read_only');
    if (ro !== undefined) draft.readonly = ro;
  }

  private constraint(t: Table, r: Row, exprKey: string, messageKey: string): Draft | undefined {
    const expr = this.text(t, r, exprKey);
    const message = this.localized(t, r, messageKey);
    if (!expr) {
      if (message) this.warn(t.sheet, r.row, this.headerName(t, messageKey), `没有约束条件,${messageKey} 已忽略`, `${messageKey} without a constraint is ignored`);
      return undefined;
    }
    if (message) return { expr, message };
    this.warn(t.sheet, r.row, this.headerName(t, messageKey), '约束条件没有提示信息,将显示"不满足约束条件"', 'The constraint has no message: "Does not meet the constraint" is shown');
    return { expr, message: FIELD_MESSAGES.constraint };
  }

  private buildRepeat(t: Table, r: Row): Draft | undefined {
    const name = this.claimName(t, r);
    const label = this.localized(t, r, 'label');
    if (!name) return undefined;
    if (!label) {
      this.error(t.sheet, r.row, this.headerName(t, 'label'), `重复组 ${name} 缺少标签`, `Repeat ${name} has no label`);
      this.refusedNames.add(name);
      return undefined;
    }
    const draft: Draft = { name, label, type: 'repeat', fields: [] };
    const hint = this.localized(t, r, 'hint');
    if (hint) draft.hint = hint;
    this.answerable(t, r, draft);
    const minRows = this.numberCell(t, r, RC.minRows, true);
    if (minRows !== undefined) draft.minRows = minRows;
    const maxRows = this.numberCell(t, r, RC.maxRows, true);
    if (maxRows !== undefined) draft.maxRows = maxRows;
    this.ignoreAppearance(t, r, 'repeat');
    return draft;
  }

  /** One survey row as a field (or two: a select with `or_other` and its generated text field). */
  private buildLeaf(t: Table, r: Row, ty: Extract<ParsedType, { kind: 'field' }>, typeCol: string): { drafts: Draft[]; loc: FieldLoc } | undefined {
    const name = this.claimName(t, r);
    if (!name) {
      this.localized(t, r, 'label');
      return undefined;
    }
    const refuse = () => {
      this.refusedNames.add(name);
      return undefined;
    };
    const rcType = this.cell(t, r, RC.type);
    let type: string = ty.word === 'image' ? 'photo' : ty.word;
    if (rcType) {
      const v = cellText(rcType.value).toLowerCase();
      const base = RC_TYPES[v as keyof typeof RC_TYPES] as string | undefined;
      if (!base) {
        this.error(t.sheet, r.row, rcType.header.raw, `未知的 rc::type ${v}(可用 year、boolean、region)`, `Unknown rc::type ${v} (year, boolean or region)`);
        return refuse();
      }
      if (base !== ty.word || ty.orOther) {
        this.error(t.sheet, r.row, rcType.header.raw, `rc::type ${v} 须配合题型 ${base}`, `rc::type ${v} goes with type ${base}`);
        return refuse();
      }
      type = v;
    }

    let label = this.localized(t, r, 'label');
    if (!label) {
      if (type !== 'calculate') {
        this.error(t.sheet, r.row, this.headerName(t, 'label'), `题目 ${name} 缺少标签`, `Question ${name} has no label`);
        return refuse();
      }
      label = { zh: name, en: name };
      this.warn(t.sheet, r.row, this.headerName(t, 'label'), `计算项 ${name} 没有标签,以名称作为标签`, `Calculation ${name} has no label: its name is used`);
    }
    const draft: Draft = { name, label, type };
    const hint = this.localized(t, r, 'hint');
    if (hint) draft.hint = hint;
    const loc: FieldLoc = { row: r.row };
    const drafts = [draft];

    if (type === 'note' || type === 'calculate') {
      const relevant = this.text(t, r, 'relevant');
      if (relevant) draft.relevant = relevant;
    } else {
      this.answerable(t, r, draft);
    }
    const num = (key: string, prop: string, integer = false) => {
      const n = this.numberCell(t, r, key, integer);
      if (n !== undefined) draft[prop] = n;
    };
    const flag = (key: string, prop: string) => {
      const f = this.flagCell(t, r, key);
      if (f !== undefined) draft[prop] = f;
    };
    const unit = () => {
      const u = this.localized(t, r, RC.unit);
      if (u) draft.unit = u;
    };
    const bounds = () => {
      const c = this.cell(t, r, RC.bounds);
      if (!c) return;
      const b = parseBounds(cellText(c.value));
      if (b) draft.bounds = b;
      else this.error(t.sheet, r.row, c.header.raw, 'rc::bounds 应写作 min_lat=… max_lat=… min_lng=… max_lng=…(或 china)', 'rc::bounds is written min_lat=… max_lat=… min_lng=… max_lng=… (or china)');
    };
    const attachment = (fallback: string[], warnDefault: boolean) => {
      const c = this.cell(t, r, RC.accept);
      if (c) draft.accept = cellText(c.value).split(/[\s,;]+/).filter(Boolean);
      else {
        draft.accept = fallback;
        if (warnDefault) this.warn(t.sheet, r.row, this.headerName(t, RC.accept), `未写 rc::accept,只接受 ${fallback.join(', ')}`, `No rc::accept: only ${fallback.join(', ')} are accepted`);
      }
      draft.maxSize = DEFAULT_MAX_SIZE;
      num(RC.maxSize, 'maxSize', true);
      flag(RC.multiple, 'multiple');
      num(RC.maxFiles, 'maxFiles', true);
    };
    const isText = type === 'text';

    switch (type) {
      case 'text': {
        num(RC.minLength, 'minLength', true);
        num(RC.maxLength, 'maxLength', true);
        const app = this.cell(t, r, 'appearance');
        if (app && cellText(app.value).split(/\s+/).includes('multiline')) draft.multiline = true;
        flag(RC.multiline, 'multiline');
        const format = this.cell(t, r, RC.format);
        if (format) {
          const v = cellText(format.value);
          if ((TEXT_FORMATS as readonly string[]).includes(v)) draft.format = v;
          else this.error(t.sheet, r.row, format.header.raw, `未知的 rc::format ${v}(可用 ${TEXT_FORMATS.join('、')})`, `Unknown rc::format ${v} (${TEXT_FORMATS.join(', ')})`);
        } else if (ty.phone) draft.format = 'phone';
        break;
      }
      case 'integer':
      case 'decimal':
        num(RC.min, 'min');
        num(RC.max, 'max');
        flag(RC.exclusiveMin, 'exclusiveMin');
        unit();
        if (type === 'decimal') num(RC.precision, 'precision', true);
        break;
      case 'year':
        num(RC.min, 'min', true);
        num(RC.max, 'max', true);
        break;
      case 'date':
        for (const [key, prop] of [
          [RC.min, 'min'],
          [RC.max, 'max'],
        ] as const) {
          const c = this.cell(t, r, key);
          if (!c) continue;
          const v = cellText(c.value);
          if (DATE.test(v)) draft[prop] = v;
          else this.error(t.sheet, r.row, c.header.raw, `${c.header.raw} 应为日期 YYYY-MM-DD`, `${c.header.raw} takes a date, YYYY-MM-DD`);
        }
        break;
      case 'select_one':
      case 'select_multiple': {
        const list = this.lists.get(ty.list!);
        if (!list || !list.choices.length) {
          this.error(
            t.sheet,
            r.row,
            typeCol,
            list ? `选项列表 ${ty.list} 没有可用的选项` : `choices 表中没有选项列表 ${ty.list}`,
            list ? `Choice list ${ty.list} has no usable choices` : `There is no choice list ${ty.list} on the choices sheet`,
          );
          return refuse();
        }
        const choices: Draft[] = list.choices.map((c) => ({ value: c.value, label: c.label, ...(Object.keys(c.columns).length ? { columns: { ...c.columns } } : {}) }));
        loc.choiceRows = list.choices.map((c) => c.row);
        draft.choices = choices;
        const filter = this.text(t, r, 'choice_filter');
        if (filter) draft.choiceFilter = filter;
        if (type === 'select_multiple') {
          num(RC.minSelected, 'minSelected', true);
          num(RC.maxSelected, 'maxSelected', true);
        }
        const other = this.cell(t, r, RC.other);
        const otherValue = this.text(t, r, RC.otherValue);
        if (ty.orOther) {
          if (other) {
            this.error(t.sheet, r.row, other.header.raw, 'or_other 与 rc::other 只能用一个', 'Use either or_other or rc::other, not both');
            return refuse();
          }
          const companion = `${name}_other`;
          if (!FieldName.safeParse(companion).success || this.names.has(companion)) {
            this.error(
              t.sheet,
              r.row,
              typeCol,
              `or_other 需要新建文本题 ${companion},但该名称${this.names.has(companion) ? `已在第 ${this.names.get(companion)} 行使用` : '过长'}`,
              `or_other makes a text question ${companion}, but that name is ${this.names.has(companion) ? `already used on row ${this.names.get(companion)}` : 'too long'}`,
            );
            return refuse();
          }
          this.names.set(companion, r.row);
          if (!choices.some((c) => c.value === OTHER_CHOICE.value)) {
            choices.push({ value: OTHER_CHOICE.value, label: { ...OTHER_CHOICE.label } });
            loc.choiceRows.push(r.row);
          }
          draft.other = { value: OTHER_CHOICE.value, field: companion };
          loc.otherFromType = true;
          drafts.push({ name: companion, label: { ...OTHER_FIELD_LABEL }, type: 'text', maxLength: OTHER_FIELD_MAX_LENGTH });
        } else if (other) {
          draft.other = { field: cellText(other.value), ...(otherValue ? { value: otherValue } : {}) };
        }
        break;
      }
      case 'geopoint':
        bounds();
        break;
      case 'geoshape':
      case 'geotrace':
        bounds();
        num(RC.maxVertices, 'maxVertices', true);
        break;
      case 'photo':
        attachment(PHOTO_TYPES, false);
        break;
      case 'file':
        attachment(FILE_TYPES, true);
        break;
      case 'region': {
        const level = this.cell(t, r, RC.level);
        if (level) {
          const v = cellText(level.value);
          if ((REGION_LEVELS as readonly string[]).includes(v)) draft.level = v;
          else this.error(t.sheet, r.row, level.header.raw, `rc::level 应为 ${REGION_LEVELS.join('、')} 之一`, `rc::level is one of ${REGION_LEVELS.join(', ')}`);
        }
        break;
      }
      case 'calculate': {
        const calc = this.text(t, r, 'calculation');
        if (!calc) {
          this.error(t.sheet, r.row, this.headerName(t, 'calculation'), `计算项 ${name} 缺少 calculation`, `Calculation ${name} has no calculation`);
          return refuse();
        }
        draft.calculate = calc;
        unit();
        num(RC.precision, 'precision', true);
        break;
      }
      default:
        break;
    }
    this.ignoreAppearance(t, r, type, (tok) => isText && tok === 'multiline');
    return { drafts, loc };
  }

  /**
   * Filled cells of known columns that this row's type did not read. A calculation or a choice filter on the wrong
   * type would change what is asked: refused. Anything else is a warning.
   */
  private reportUnused(t: Table, r: Row, type: string) {
    for (const h of t.headers) {
      if (r.used.has(h.index) || isEmptyCell(r.cells[h.index]) || !this.readable(t, h, SURVEY_COLUMNS)) continue;
      if (h.key === 'calculation' || h.key === 'choice_filter') {
        this.error(t.sheet, r.row, h.raw, `${h.raw} 不适用于 ${type}`, `${h.raw} does not apply to a ${type} row`);
      } else {
        this.warn(t.sheet, r.row, h.raw, `${h.raw} 不适用于 ${type},已忽略`, `${h.raw} does not apply to a ${type} row: ignored`);
      }
    }
  }

  // ── expressions the schema check does not see

  /** Value types of the fields in scope (top level, plus a repeat's sub-fields inside it). */
  private scope(repeat?: Draft): Map<string, ValueType> {
    const m = new Map<string, ValueType>();
    const add = (f: Draft) => m.set(f.name as string, fieldValueType(f.type as string));
    this.fields.forEach(add);
    if (repeat) (repeat.fields as Draft[]).forEach(add);
    return m;
  }

  /** Why a `${name}` reference is a problem: a message, or 'consequence' when the field was itself refused. */
  private referenceProblem(name: string): { zh: string; en: string } | 'consequence' {
    if (this.refusedNames.has(name)) return 'consequence';
    if (name === 'today' && this.droppedNames.has(name)) return { zh: '引用了 ${today}:请改用 today()', en: 'refers to ${today}: use today() instead' };
    if (this.droppedNames.has(name)) {
      return { zh: `引用了未导入的元数据 \${${name}}(服务器自己记录填报信息)`, en: `refers to \${${name}}, metadata that is not imported (the server records it itself)` };
    }
    return { zh: `引用的字段 \${${name}} 不存在`, en: `refers to \${${name}}, which is not a question of this form` };
  }

  /** Parse and type-check an expression against the fields in scope; each problem is an error on that cell. */
  private checkExpression(src: string, scope: Map<string, ValueType>, at: { row: number; column: string; what: string }): boolean {
    const t = this.survey;
    let expr;
    try {
      expr = parse(src);
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      this.error(t.sheet, at.row, at.column, `${at.what} 表达式语法错误:${e.message}`, `${at.what}: ${e.message}`);
      return false;
    }
    let ok = true;
    const r = typeCheck(expr, (n) => scope.get(n));
    for (const i of r.issues) {
      const ref = i.code === 'expr.unknown-field' ? /\$\{([^}]*)\}/.exec(i.message)?.[1] : undefined;
      if (ref !== undefined) {
        const p = this.referenceProblem(ref);
        if (p === 'consequence') continue;
        this.error(t.sheet, at.row, at.column, `${at.what} ${p.zh}`, `${at.what} ${p.en}`);
      } else {
        this.error(t.sheet, at.row, at.column, `${at.what} 表达式有误:${i.message}${selectedHint(i.message)}`, `${at.what}: ${i.message}${selectedHint(i.message)}`);
      }
      ok = false;
    }
    if (ok && r.type !== 'boolean' && r.type !== 'any') {
      this.error(t.sheet, at.row, at.column, `${at.what} 应为条件表达式,实为 ${r.type}`, `${at.what} must be a condition, not a ${r.type}`);
      ok = false;
    }
    return ok;
  }

  /** A group's relevant is checked once on the group's row, then becomes part of each field's relevant inside it. */
  private checkGroupConditions() {
    for (const g of this.groupConds) {
      const ok = this.checkExpression(g.expr, this.scope(g.repeat), { row: g.row, column: this.headerName(this.survey, 'relevant'), what: 'relevant' });
      if (!ok) continue;
      for (const d of g.targets) d.relevant = d.relevant ? `(${g.expr}) and (${d.relevant as string})` : g.expr;
    }
  }

  /**
   * Choice filters: a bare name is a column of the list (headers are case-insensitive, so it is stored lowercase). A
   * name that is not one of its columns gets a message saying so; syntax and types are checkDefinition's (column mode).
   */
  private checkChoiceFilters() {
    const column = this.headerName(this.survey, 'choice_filter');
    for (const cf of this.choiceFilters) {
      const list = this.lists.get(cf.list)!;
      const marked = markColumns(cf.draft.choiceFilter as string);
      cf.draft.choiceFilter = marked.normalized;
      for (const n of marked.names) {
        if (list.columns.has(n.toLowerCase())) continue;
        this.reported.add(`${cf.row}|choiceFilter`);
        this.error(
          this.survey.sheet,
          cf.row,
          column,
          `choice_filter 中的 ${n} 不是列表 ${cf.list} 的列${list.columns.size ? `(已有列:${[...list.columns].join('、')})` : ''};如指文字 ${n},请写 '${n}'`,
          `choice_filter: ${n} is not a column of list ${cf.list}${list.columns.size ? ` (its columns: ${[...list.columns].join(', ')})` : ''}; for the text ${n} write '${n}'`,
        );
      }
    }
  }

  /**
   * `${name}` in a label: only a note shows answers in its text (checkDefinition checks those references). In any
   * other text it is shown as written, which an XLSForm author would not expect: a warning.
   */
  private checkLabelReferences() {
    const t = this.survey;
    const visit = (d: Draft, loc: FieldLoc) => {
      if (d.type !== 'note') {
        const texts: [string, unknown][] = [
          ['label', d.label],
          ['hint', d.hint],
          ...((d.constraints as Draft[] | undefined) ?? []).map((k, i) => [i === 0 ? 'constraint_message' : `${RC.constraintMessage}${i + 1}`, k.message] as [string, unknown]),
        ];
        for (const [key, value] of texts) {
          const l = value as Localized | undefined;
          const refs = l ? [...new Set([...`${l.zh}\n${l.en}`.matchAll(/\$\{[^}]*\}/g)].map((m) => m[0]))] : [];
          if (refs.length) {
            this.warn(t.sheet, loc.row, this.headerName(t, key), `只有说明(note)会在文字中显示答案:${refs.join(' ')} 将原样显示`, `Only a note shows answers in its text: ${refs.join(' ')} is shown as written`);
          }
        }
      }
      (d.fields as Draft[] | undefined)?.forEach((s, i) => visit(s, loc.sub?.[i] ?? loc));
    };
    this.fields.forEach((d, i) => visit(d, this.locs[i]!));
  }

  // ── rules

  private readRules() {
    const t = this.rulesTable;
    for (const r of t.rows) {
      const rule: Draft = {};
      for (const key of ['id', 'expr', 'path'] as const) {
        const v = this.text(t, r, key);
        if (v) rule[key] = v;
        else this.error(t.sheet, r.row, this.headerName(t, key), `规则缺少 ${key}`, `The rule has no ${key}`);
      }
      const message = this.localized(t, r, 'message');
      if (message) rule.message = message;
      else {
        rule.message = FIELD_MESSAGES.rule;
        this.warn(t.sheet, r.row, this.headerName(t, 'message'), '规则没有提示信息,将显示"不满足校验规则"', 'The rule has no message: "Fails a quality rule" is shown');
      }
      const severity = this.cell(t, r, 'severity');
      if (severity) {
        const v = cellText(severity.value).toLowerCase();
        if (v === 'error' || v === 'warning') rule.severity = v;
        else this.error(t.sheet, r.row, severity.header.raw, 'severity 应为 error 或 warning', 'severity is error or warning');
      }
      if (rule.id && rule.expr && rule.path) {
        this.rules.push(rule);
        this.ruleRows.push(r.row);
      }
    }
  }

  // ── the definition

  /**
   * The definition input. Missing or invalid form-level values are errors on the settings sheet; placeholders stand in
   * for them so the fields still get their full check (issues about placeholders are not reported).
   */
  private assemble(top: Draft): { definition: Draft; placeholders: Set<string>; settingsRow: number } {
    const t = this.settingsTable;
    const row = top.row as number;
    const placeholders = new Set<string>();
    const err = (key: string, zh: string, en: string, prop: string) => {
      this.error(t.sheet, row, this.headerName(t, key), zh, en);
      placeholders.add(prop);
    };

    let sector = top.sector as string;
    if (!sector) err(RC_SETTINGS.sector, '缺少所属系统:请在 settings 表写 rc::sector,或上传时指定 sector', 'No sector: give rc::sector on the settings sheet or sector with the upload', 'sector');
    else if (!(SECTOR_IDS as readonly string[]).includes(sector)) err(RC_SETTINGS.sector, `没有系统 ${sector}(可用 ${SECTOR_IDS.join('、')})`, `No sector ${sector} (${SECTOR_IDS.join(', ')})`, 'sector');
    if (placeholders.has('sector')) sector = SECTOR_IDS[0];
    let part = top.part as string;
    if (!part) {
      err(RC_SETTINGS.part, '缺少任务部分:请在 settings 表写 rc::part,或上传时指定 part', 'No part: give rc::part on the settings sheet or part with the upload', 'part');
      part = sectorById(sector as SectorId).parts[0]!.id;
    }
    let regionLevel = top.regionLevel as string;
    if (!regionLevel) err(RC_SETTINGS.regionLevel, '缺少填报区划级别:请在 settings 表写 rc::region_level,或上传时指定 regionLevel', 'No region level: give rc::region_level on the settings sheet or regionLevel with the upload', 'regionLevel');
    else if (!(REGION_LEVELS as readonly string[]).includes(regionLevel)) err(RC_SETTINGS.regionLevel, `区划级别应为 ${REGION_LEVELS.join('、')} 之一`, `The region level is one of ${REGION_LEVELS.join(', ')}`, 'regionLevel');
    if (placeholders.has('regionLevel')) regionLevel = 'county' satisfies RegionLevel;

    let unit = top.unit as string;
    if (!unit) {
      unit = 'object';
      this.warn(t.sheet, row, this.headerName(t, RC_SETTINGS.unit), '未写 rc::unit,按每个调查对象一条记录(object)', 'No rc::unit: one record per surveyed object (object)');
    } else if (unit !== 'object' && unit !== 'region') {
      err(RC_SETTINGS.unit, 'rc::unit 应为 object 或 region', 'rc::unit is object or region', 'unit');
      unit = 'object';
    }

    // The form id: the upload's formId, else form_id when it already reads `sector.table-name`, else <sector>.<slug>.
    const formIdText = top.formIdText as string;
    let id = this.defaults.formId ?? '';
    if (!id && formIdText) {
      if (FormId.safeParse(formIdText).success) id = formIdText;
      else if (formSlug(formIdText)) id = `${sector}.${formSlug(formIdText)}`;
      else err('form_id', `form_id ${formIdText} 无法转换为表标识`, `form_id ${formIdText} cannot be turned into a form id`, 'id');
    } else if (!id) err('form_id', '缺少 form_id(或上传时指定 formId)', 'No form_id (or formId with the upload)', 'id');
    if (!id) id = `${sector}.form`;
    else if (!placeholders.has('sector') && !id.startsWith(`${sector}.`)) {
      this.warn(t.sheet, row, this.headerName(t, 'form_id'), `表标识 ${id} 不以所属系统 ${sector} 开头`, `Form id ${id} does not start with its sector ${sector}`);
    }

    let title = top.title as Localized | undefined;
    if (!title) {
      const fallback = formIdText || id;
      title = { zh: fallback, en: fallback };
      this.warn(t.sheet, row, this.headerName(t, 'form_title'), '没有 form_title,以表标识作为标题', 'No form_title: the form id is the title');
    }

    // Sections in the order their groups first appear, unless rc::section_order says otherwise.
    let sections = this.sections.map((s) => ({ id: s.id, title: s.title }));
    const order = (top.sectionOrder as string).split(/[\s,;]+/).filter(Boolean);
    if (order.length) {
      const ids = sections.map((s) => s.id);
      if (order.length !== ids.length || !order.every((o) => ids.includes(o))) {
        this.error(t.sheet, row, this.headerName(t, RC_SETTINGS.sectionOrder), `rc::section_order 应恰好列出各分组:${ids.join(' ')}`, `rc::section_order must list each group's section exactly once: ${ids.join(' ')}`);
      } else {
        sections = order.map((o) => sections.find((s) => s.id === o)!);
        this.sections.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
      }
    }
    if (!this.fields.length && !this.errors.some((e) => e.sheet === this.survey.sheet)) {
      this.error(this.survey.sheet, undefined, undefined, 'survey 表中没有题目', 'The survey sheet has no questions');
    }

    const definition: Draft = {
      id,
      version: 1,
      sector,
      part,
      ...(top.code ? { code: top.code } : {}),
      title,
      ...(top.description ? { description: top.description } : {}),
      unit,
      regionLevel,
      sections,
      fields: this.fields,
      rules: this.rules,
    };
    return { definition, placeholders, settingsRow: row };
  }

  /** Place an issue of checkDefinition on the sheet, row and column it is about. */
  private placeIssue(i: DefinitionIssue, input: { definition: Draft; placeholders: Set<string>; settingsRow: number }) {
    const parts = i.path.split('.');
    const head = parts[0] ?? '';
    let text = describeIssue(i, valueAt(input.definition, parts));

    if (head === 'fields' && parts.length > 1) {
      let loc = this.locs[Number(parts[1])];
      let rest = parts.slice(2);
      if (rest[0] === 'fields' && rest.length > 1) {
        loc = loc?.sub?.[Number(rest[1])];
        rest = rest.slice(2);
      }
      if (!loc) return void this.error(this.survey.sheet, undefined, undefined, text.zh, text.en);
      if (this.reported.has(`${loc.row}|${rest[0]}`)) return;
      if (i.code === 'expr.unknown-field' || i.code === 'unknown-field') {
        const ref = /\$\{([^}]*)\}/.exec(i.message)?.[1];
        if (ref !== undefined) {
          const p = this.referenceProblem(ref);
          if (p === 'consequence') return;
          text = { zh: `${rest[0] ?? ''} ${p.zh}`, en: `${rest[0] ?? ''} ${p.en}` };
        }
      }
      const once = `${loc.row}|${rest[0]}|${text.en}`;
      if (this.placed.has(once)) return;
      this.placed.add(once);
      if (rest[0] === 'choices' && rest.length > 1 && loc.choiceRows) {
        const row = loc.choiceRows[Number(rest[1])];
        const ct = this.choicesTable;
        const column = rest[2] === 'label' ? this.headerName(ct, 'label') : rest[2] === 'columns' && rest[3] ? rest[3] : this.headerName(ct, 'name');
        return void this.error(ct.sheet, row, column, text.zh, text.en);
      }
      return void this.error(this.survey.sheet, loc.row, this.fieldColumn(rest, loc), text.zh, text.en);
    }
    if (head === 'rules' && parts.length > 1) {
      const key = parts[2] === 'message' ? 'message' : (parts[2] ?? 'id');
      return void this.error(this.rulesTable.sheet, this.ruleRows[Number(parts[1])], this.headerName(this.rulesTable, key), text.zh, text.en);
    }
    if (head === 'sections' && parts.length > 1) {
      const s = this.sections[Number(parts[1])];
      return void this.error(this.survey.sheet, s?.row, this.headerName(this.survey, parts[2] === 'title' ? 'label' : 'name'), text.zh, text.en);
    }
    if (head === 'fields' || head === 'sections') return void this.error(this.survey.sheet, undefined, undefined, text.zh, text.en);
    if (input.placeholders.has(head) || (head === 'part' && input.placeholders.has('sector'))) return;
    const key = SETTINGS_PROP[head] ?? head;
    const fromQuery = (head === 'part' && !this.peekSetting(RC_SETTINGS.part)) || (head === 'id' && this.defaults.formId);
    const where = fromQuery ? { zh: '(来自上传参数)', en: ' (from the upload parameters)' } : { zh: '', en: '' };
    this.error(this.settingsTable.sheet, input.settingsRow, this.headerName(this.settingsTable, key), text.zh + where.zh, text.en + where.en);
  }

  private peekSetting(key: string): string {
    const r = this.settingsTable.rows[0];
    return r ? cellText(r.cells[(this.settingsTable.byKey.get(key) ?? [])[0]?.index ?? -1]) : '';
  }

  /** The survey column a field property is written in. */
  private fieldColumn(rest: string[], loc: FieldLoc): string {
    const t = this.survey;
    const prop = rest[0] ?? 'name';
    if (prop === 'constraints') {
      const k = Number(rest[1] ?? 0);
      const message = rest[2] === 'message';
      if (k === 0) return this.headerName(t, message ? 'constraint_message' : 'constraint');
      return this.headerName(t, message ? `${RC.constraintMessage}${k + 1}` : `${RC.constraint}${k + 1}`);
    }
    if (prop === 'other') return loc.otherFromType ? this.headerName(t, 'type') : this.headerName(t, RC.other);
    const lang = rest[1] === 'zh' || rest[1] === 'en' ? rest[1] : undefined;
    return this.headerName(t, FIELD_PROP[prop] ?? prop, lang);
  }
}

/** Field properties → the survey column that holds them. */
const FIELD_PROP: Record<string, string> = {
  type: 'type',
  name: 'name',
  label: 'label',
  hint: 'hint',
  required: 'required',
  relevant: 'relevant',
  readonly: 'read_only',
  calculate: 'calculation',
  choiceFilter: 'choice_filter',
  choices: 'type',
  fields: 'type',
  multiline: 'appearance',
  section: RC.section,
  minLength: RC.minLength,
  maxLength: RC.maxLength,
  format: RC.format,
  min: RC.min,
  max: RC.max,
  exclusiveMin: RC.exclusiveMin,
  unit: RC.unit,
  precision: RC.precision,
  bounds: RC.bounds,
  maxVertices: RC.maxVertices,
  accept: RC.accept,
  maxSize: RC.maxSize,
  multiple: RC.multiple,
  maxFiles: RC.maxFiles,
  level: RC.level,
  minRows: RC.minRows,
  maxRows: RC.maxRows,
  minSelected: RC.minSelected,
  maxSelected: RC.maxSelected,
};

/** Definition properties → the settings column that holds them. */
const SETTINGS_PROP: Record<string, string> = {
  id: 'form_id',
  title: 'form_title',
  sector: RC_SETTINGS.sector,
  part: RC_SETTINGS.part,
  code: RC_SETTINGS.code,
  unit: RC_SETTINGS.unit,
  regionLevel: RC_SETTINGS.regionLevel,
  description: RC_SETTINGS.description,
};

/** Chinese lead-ins for checkDefinition's codes; the English detail follows. */
const ISSUE_ZH: Record<string, string> = {
  schema: '格式不正确',
  duplicate: '重复',
  'unknown-section': '分节不存在',
  range: '取值范围不正确',
  'unknown-choice': '选项不存在',
  'unknown-field': '字段不存在',
  'unknown-part': '该系统没有此任务部分',
  'expr.syntax': '表达式语法错误',
  'expr.too-long': '表达式过长',
  'expr.too-deep': '表达式嵌套过深',
  'expr.unknown-field': '表达式引用了不存在的字段',
  'expr.type': '表达式类型不正确',
  'expr.unknown-function': '表达式使用了不支持的函数',
  'expr.arity': '函数参数个数不正确',
  'expr.self-outside-field': "'.' 只能用在约束条件中",
};

function describeIssue(i: DefinitionIssue, value: unknown): { zh: string; en: string } {
  const quoted = typeof value === 'string' && value.length <= 200 ? ` "${value}"` : '';
  const en = `${i.message}${quoted ? ` —${quoted}` : ''}${selectedHint(i.message)}`;
  return { zh: `${ISSUE_ZH[i.code] ?? '不正确'}:${en}`, en };
}

/** XLSForm allows selected() on a single choice; ours compares it. */
function selectedHint(message: string): string {
  return /^selected\(\) needs list, got string/.test(message) ? " (for a single choice write ${field} = 'value')" : '';
}

function valueAt(root: unknown, parts: string[]): unknown {
  let v = root;
  for (const p of parts) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

