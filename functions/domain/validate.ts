/**
 * The one validator: the browser runs it as you type, the API runs it as the authoritative check.
 *
 * validate(definition, answers, { mode }):
 *  1. shape: answers is a plain object; prototype keys and unknown keys are rejected;
 *  2. types: every answer has its field's type (strings are NFC-normalised and trimmed; `null`/'' mean "no answer");
 *  3. relevance: answers to irrelevant fields are dropped (evaluated to a fixpoint, so chains of relevance settle);
 *  4. calculations are computed (a client-sent value for a calculated field is replaced; a value sent for a note,
 *     which holds no answer, is dropped the same way);
 *  5. submit mode only: required / required-if, ranges, formats, min rows, choice filters, field constraints,
 *     cross-field rules.
 * Drafts may be partial: draft mode checks shapes, types, choices and size limits only, so unfinished work can always be saved.
 * A choice filter depends on other answers, like a constraint, so it is a submit check: a draft keeps a choice that a
 * later change of another answer filtered out, and the person sees it marked until they pick again.
 */
import type { Bounds, Field, FormDefinition, LeafField, RepeatField } from './forms';
import { allFields } from './form-fields';
import { fieldMessage, type FieldError } from './errors';
import { evaluate, evaluateCondition, parse, references, roundHalfAway, type EvalEnv, type Expr } from './expressions';
import { isUuid, isValidIdCard, isValidPhone, isValidUscc } from './identifiers';
import { isRegionCode, levelOf } from './regions';

export type Answers = Record<string, unknown>;
export type Mode = 'draft' | 'submit';

export interface ValidateOptions {
  mode: Mode;
  /** 'YYYY-MM-DD' used by `today()`; defaults to the current UTC date. */
  today?: string;
  /** Optional check that a region code exists in the district (the server passes its region list). */
  regionExists?: (code: string) => boolean;
}

export interface ValidationResult {
  ok: boolean;
  errors: FieldError[];
  warnings: FieldError[];
  /** The cleaned answers: normalised, irrelevant answers dropped, calculations filled. */
  data: Answers;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_REGEX_INPUT = 10_000;

type SelectField = Extract<LeafField, { type: 'select_one' | 'select_multiple' }>;
export type Choice = SelectField['choices'][number];

/** A select's choice filter, parsed in column mode, with the answers it reads. */
export interface ChoiceFilterPlan {
  expr: Expr;
  /** Field names the filter reads (`${name}`). */
  inputs: readonly string[];
}

/** Parse a choice filter (column mode). Throws ExpressionError on a syntax error, like `parse`. */
export function compileChoiceFilter(source: string): ChoiceFilterPlan {
  const expr = parse(source, { columns: true });
  return { expr, inputs: references(expr) };
}

/**
 * Does `choice` pass the filter, given the answers `env` reads? true: offered; false: filtered out (rejected on submit);
 * null: not decided yet, because an answer the filter reads is missing (never rejected). An unknown result with every
 * input answered (e.g. the choice lacks the column) counts as filtered out.
 */
export function choiceVerdict(filter: ChoiceFilterPlan, choice: Pick<Choice, 'columns'>, env: EvalEnv): boolean | null {
  const columns = choice.columns;
  const r = evaluateCondition(filter.expr, {
    get: (name) => env.get(name),
    today: env.today,
    column: (name) => (columns && Object.hasOwn(columns, name) ? columns[name] : null),
  });
  if (r !== null) return r;
  for (const name of filter.inputs) if (isEmpty(env.get(name))) return null;
  return false;
}

interface CompiledField {
  field: Field;
  required?: Expr;
  relevant?: Expr;
  constraints: { expr: Expr; message: FieldError['message'] }[];
  calculate?: Expr;
  /** The select field whose "other" choice makes this text field relevant and required. */
  otherOf?: { name: string; value: string };
  sub?: Map<string, CompiledField>;
  /** The plan of a repeat's rows (set with `sub`). */
  rows?: Level;
  /** `data.<name>` for a top-level field, built once per definition rather than per submission ('' in a repeat row). */
  path: string;
  /** The choice values of a select field, for O(1) membership. */
  choiceSet?: ReadonlySet<string>;
  /** A select's choice filter and its choices by value (set together). */
  choiceFilter?: ChoiceFilterPlan;
  choiceByValue?: ReadonlyMap<string, Choice>;
  /** Relevance, "other" or a calculation can change this field's answer while settling. */
  dynamic: boolean;
}

/** One level of fields (the top level, or a repeat's rows): the same fields as the Map, as arrays for the hot loops. */
interface Level {
  /** Every field of the level, in the Map's order. */
  list: readonly CompiledField[];
  /** Only the dynamic fields (the only ones settling can change), in the same order. */
  dynamic: readonly CompiledField[];
  /** Repeat fields of the level, in order. */
  repeats: readonly CompiledField[];
  /** A field of this level is named like a forbidden key (only possible in a hand-built, unchecked definition). */
  forbiddenKnown: boolean;
}

interface Compiled {
  fields: Map<string, CompiledField>;
  rules: { id: string; expr: Expr; path: string; message: FieldError['message']; severity: 'error' | 'warning' }[];
  /** The top-level plan. */
  top: Level;
}

const cache = new WeakMap<FormDefinition, Compiled>();

function compileField(f: Field, siblings: readonly Field[], top: boolean): CompiledField {
  const c: CompiledField = { field: f, constraints: [], path: top ? `data.${f.name}` : '', dynamic: false };
  if ('required' in f && typeof f.required === 'string') c.required = parse(f.required);
  if (f.relevant) c.relevant = parse(f.relevant);
  if ('constraints' in f) c.constraints = f.constraints.map((k) => ({ expr: parse(k.expr), message: k.message }));
  if (f.type === 'calculate') c.calculate = parse(f.calculate);
  for (const s of siblings) {
    if ((s.type === 'select_one' || s.type === 'select_multiple') && s.other?.field === f.name) {
      c.otherOf = { name: s.name, value: s.other.value };
    }
  }
  if (f.type === 'select_one' || f.type === 'select_multiple') {
    c.choiceSet = new Set(f.choices.map((x) => x.value));
    if (f.choiceFilter !== undefined) {
      c.choiceFilter = compileChoiceFilter(f.choiceFilter);
      c.choiceByValue = new Map(f.choices.map((x) => [x.value, x]));
    }
  }
  if (f.type === 'repeat') {
    c.sub = new Map(f.fields.map((sf) => [sf.name, compileField(sf, f.fields, false)]));
    c.rows = planLevel(c.sub);
  }
  c.dynamic = c.relevant !== undefined || c.otherOf !== undefined || c.calculate !== undefined;
  return c;
}

function planLevel(fields: Map<string, CompiledField>): Level {
  const list = [...fields.values()];
  return {
    list,
    dynamic: list.filter((c) => c.dynamic),
    repeats: list.filter((c) => c.sub !== undefined),
    forbiddenKnown: [...fields.keys()].some((k) => FORBIDDEN_KEYS.has(k)),
  };
}

/**
 * Parse every expression of a definition once and build its validation plan (cached per definition object, so two
 * versions of a form, being two objects, never share a plan). Throws on a syntax error.
 */
export function compile(def: FormDefinition): Compiled {
  let c = cache.get(def);
  if (!c) {
    const fields = new Map(def.fields.map((f) => [f.name, compileField(f, def.fields, true)]));
    c = {
      fields,
      rules: def.rules.map((r) => ({ id: r.id, expr: parse(r.expr), path: r.path, message: r.message, severity: r.severity })),
      top: planLevel(fields),
    };
    cache.set(def, c);
  }
  return c;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * `s.normalize('NFC')`, skipping the normaliser when every code unit is one that NFC leaves alone and that never
 * composes with a neighbour: below U+0300 (ASCII, Latin-1, Latin Extended-A/B), CJK symbols and punctuation
 * U+3000–U+3029, CJK unified ideographs U+4E00–U+9FFF and fullwidth forms U+FF01–U+FF5E. All of these are starters
 * (combining class 0) with NFC_Quick_Check=Yes, so by UAX #15 a string made only of them is already in NFC.
 */
function nfc(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x300 || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3000 && c <= 0x3029) || (c >= 0xff01 && c <= 0xff5e)) continue;
    return s.normalize('NFC');
  }
  return s;
}

/** Code points in `s`, as `[...s].length` counts them (a lone surrogate counts as one), without building the array. */
function codePoints(s: string): number {
  const n = s.length;
  let count = 0;
  for (let i = 0; i < n; i++, count++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return count;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];

/**
 * `Number(x.toFixed(places)) === x` (x finite, |x| ≤ 1e15), usually without the string round trip. With m = 10^places
 * and |x|·m < 2^51, ulp(x) < 1/(2m); if x is the double nearest k/m for the integer k = round(x·m), then x lies within
 * 1/(4m) of k/m, so toFixed prints exactly k/m and parsing that gives back the double nearest k/m, which is x.
 * Any other case (or a precision outside 0–8) takes the exact string round trip.
 */
function hasPlaces(x: number, places: number): boolean {
  const m = POW10[places];
  if (m !== undefined && Math.abs(x) * m < 2 ** 51 && Math.round(x * m) / m === x) return true;
  return Number(x.toFixed(places)) === x;
}

/** `isCalendarDate` (identifiers.ts) without the regex match and its substrings: 'YYYY-MM-DD' naming a real day. */
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function digitsAt(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
function isCalendarDateFast(s: string): boolean {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  const y = digitsAt(s, 0, 4);
  const mo = digitsAt(s, 5, 7);
  const d = digitsAt(s, 8, 10);
  if (y < 0 || mo < 0 || d < 0) return false;
  if (mo < 1 || mo > 12 || d < 1) return false;
  if (mo === 2) return d <= (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28);
  return d <= DAYS_IN_MONTH[mo - 1]!;
}

/** Values visible to expressions: the row's own sub-fields first, then the top level. Reads the answers live. */
class Env implements EvalEnv {
  constructor(
    readonly top: Answers,
    readonly today: string,
    readonly row?: Answers,
    readonly self?: unknown,
  ) {}

  get(name: string): unknown {
    const row = this.row;
    return row && Object.hasOwn(row, name) ? row[name] : Object.hasOwn(this.top, name) ? this.top[name] : null;
  }
}

class Run {
  readonly errors: FieldError[] = [];
  readonly warnings: FieldError[] = [];
  constructor(
    readonly def: FormDefinition,
    readonly compiled: Compiled,
    readonly opts: ValidateOptions,
    readonly today: string,
  ) {}

  err(path: string, code: string, params: Record<string, string | number> = {}, message = fieldMessage(code, params)) {
    this.errors.push({ path, code, message });
  }

  /** Check keys of an answers object (top level or a repeat row); returns false when the object itself is unusable. */
  checkKeys(obj: unknown, path: string, known: Map<string, CompiledField>, forbiddenKnown: boolean): obj is Record<string, unknown> {
    if (!isPlainObject(obj)) {
      this.err(path, 'type');
      return false;
    }
    const keys = Object.keys(obj);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (known.has(key)) {
        if (forbiddenKnown && FORBIDDEN_KEYS.has(key)) this.err(`${path}.${key}`, 'forbidden-key');
      } else this.err(`${path}.${key}`, FORBIDDEN_KEYS.has(key) ? 'forbidden-key' : 'unknown-key');
    }
    return true;
  }

  /** Type-check and normalise one leaf answer; returns undefined when there is no usable answer. */
  leaf(c: CompiledField, f: LeafField, raw: unknown, path: string): unknown {
    if (raw === null || raw === undefined) return undefined;
    const submit = this.opts.mode === 'submit';
    switch (f.type) {
      case 'text': {
        if (typeof raw !== 'string') return void this.err(path, 'type');
        const s = nfc(raw).trim();
        if (s === '') return undefined;
        // Length in code points; a string of at most maxLength UTF-16 units cannot have more code points than that.
        if (s.length > f.maxLength && codePoints(s) > f.maxLength) this.err(path, 'too-long', { max: f.maxLength });
        if (submit && f.minLength !== undefined && (s.length < f.minLength || codePoints(s) < f.minLength)) {
          this.err(path, 'too-short', { min: f.minLength });
        }
        if (submit && f.format) {
          const ok = f.format === 'uscc' ? isValidUscc(s) : f.format === 'id-card' ? isValidIdCard(s) : isValidPhone(s);
          if (!ok) this.err(path, 'format', {}, fieldMessage(`format-${f.format}`));
        }
        return s;
      }
      case 'integer':
      case 'decimal': {
        if (typeof raw !== 'number' || !Number.isFinite(raw)) return void this.err(path, 'type');
        if (f.type === 'integer' && !Number.isSafeInteger(raw)) return void this.err(path, 'type');
        if (Math.abs(raw) > 1e15) return void this.err(path, 'type');
        if (f.type === 'decimal' && !hasPlaces(raw, f.precision)) {
          this.err(path, 'precision', { precision: f.precision });
        }
        if (submit) this.range(raw, f.min, f.max, f.exclusiveMin, path);
        return raw;
      }
      case 'year': {
        if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1000 || raw > 9999) return void this.err(path, 'type');
        if (submit) this.range(raw, f.min, f.max, false, path);
        return raw;
      }
      case 'date': {
        if (typeof raw !== 'string') return void this.err(path, 'type');
        if (!isCalendarDateFast(raw)) return void this.err(path, 'date');
        if (submit && f.min && raw < f.min) this.err(path, 'min', { min: f.min });
        if (submit && f.max && raw > f.max) this.err(path, 'max', { max: f.max });
        return raw;
      }
      case 'boolean':
        if (typeof raw !== 'boolean') return void this.err(path, 'type');
        return raw;
      case 'select_one': {
        if (typeof raw !== 'string') return void this.err(path, 'type');
        if (raw === '') return undefined;
        if (!c.choiceSet!.has(raw)) return void this.err(path, 'choice');
        return raw;
      }
      case 'select_multiple': {
        if (!Array.isArray(raw)) return void this.err(path, 'type');
        const choices = c.choiceSet!;
        const out: string[] = [];
        const n = raw.length;
        for (let i = 0; i < n; i++) {
          const v: unknown = raw[i];
          if (v === undefined && !(i in raw)) continue; // a hole, which forEach would skip
          if (typeof v !== 'string') this.err(`${path}[${i}]`, 'type');
          else if (!choices.has(v)) this.err(`${path}[${i}]`, 'choice');
          else if (out.includes(v)) this.err(`${path}[${i}]`, 'duplicate-choice');
          else out.push(v);
        }
        if (f.maxSelected !== undefined && out.length > f.maxSelected) this.err(path, 'max-selected', { max: f.maxSelected });
        if (submit && f.minSelected !== undefined && out.length > 0 && out.length < f.minSelected) {
          this.err(path, 'min-selected', { min: f.minSelected });
        }
        return out.length ? out : undefined;
      }
      case 'geopoint':
        return this.point(raw, path, f.bounds);
      case 'geoshape':
        return this.shape(raw, path, f.bounds, f.maxVertices);
      case 'geotrace':
        return this.trace(raw, path, f.bounds, f.maxVertices);
      case 'photo':
      case 'file': {
        if (f.multiple) {
          if (!Array.isArray(raw)) return void this.err(path, 'type');
          raw.forEach((v, i) => {
            if (!isUuid(v)) this.err(`${path}[${i}]`, 'attachment');
          });
          const max = f.maxFiles ?? 20;
          if (raw.length > max) this.err(path, 'too-many-files', { max });
          return raw.length ? [...raw] : undefined;
        }
        if (!isUuid(raw)) return void this.err(path, 'attachment');
        return raw;
      }
      case 'region': {
        if (typeof raw !== 'string' || !isRegionCode(raw)) return void this.err(path, 'region');
        if (f.level && levelOf(raw) !== f.level) this.err(path, 'region-level', { level: f.level });
        else if (this.opts.regionExists && !this.opts.regionExists(raw)) this.err(path, 'region');
        return raw;
      }
      case 'calculate':
        return undefined; // always recomputed
      case 'note':
        return undefined; // display text: never holds an answer
    }
  }

  range(v: number, min: number | undefined, max: number | undefined, exclusiveMin: boolean | undefined, path: string) {
    if (min !== undefined && (exclusiveMin ? v <= min : v < min)) {
      this.err(path, exclusiveMin ? 'min-exclusive' : 'min', { min });
    } else if (max !== undefined && v > max) this.err(path, 'max', { max });
  }

  point(raw: unknown, path: string, bounds?: Bounds) {
    if (!isPlainObject(raw)) return void this.err(path, 'type');
    let ok = true;
    const keys = Object.keys(raw);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k !== 'lat' && k !== 'lng' && k !== 'accuracy' && k !== 'altitude') {
        this.err(`${path}.${k}`, FORBIDDEN_KEYS.has(k) ? 'forbidden-key' : 'unknown-key');
        ok = false;
      }
    }
    const lat = raw.lat;
    const lng = raw.lng;
    const accuracy = raw.accuracy;
    const altitude = raw.altitude;
    if (typeof lat !== 'number' || !Number.isFinite(lat)) {
      this.err(`${path}.lat`, 'type');
      ok = false;
    }
    if (typeof lng !== 'number' || !Number.isFinite(lng)) {
      this.err(`${path}.lng`, 'type');
      ok = false;
    }
    if (accuracy !== undefined && (typeof accuracy !== 'number' || !Number.isFinite(accuracy) || accuracy < 0)) {
      this.err(`${path}.accuracy`, 'type');
      ok = false;
    }
    if (altitude !== undefined && (typeof altitude !== 'number' || !Number.isFinite(altitude))) {
      this.err(`${path}.altitude`, 'type');
      ok = false;
    }
    if (!ok) return undefined;
    const la = lat as number;
    const ln = lng as number;
    if (Math.abs(la) > 90 || Math.abs(ln) > 180) return void this.err(path, 'out-of-bounds');
    if (this.opts.mode === 'submit' && bounds && (la < bounds.minLat || la > bounds.maxLat || ln < bounds.minLng || ln > bounds.maxLng)) {
      this.err(path, 'out-of-bounds');
    }
    const out: Record<string, number> = { lat: la, lng: ln };
    if (accuracy !== undefined) out.accuracy = accuracy as number;
    if (altitude !== undefined) out.altitude = altitude as number;
    return out;
  }

  shape(raw: unknown, path: string, bounds: Bounds | undefined, maxVertices: number) {
    if (!isPlainObject(raw) || raw.type !== 'Polygon' || !Array.isArray(raw.coordinates) || Object.keys(raw).length !== 2) {
      return void this.err(path, 'geoshape');
    }
    const rings = raw.coordinates as unknown[];
    if (rings.length < 1 || rings.length > 50) return void this.err(path, 'geoshape');
    let vertices = 0;
    const out: number[][][] = [];
    for (const ring of rings) {
      if (!Array.isArray(ring)) return void this.err(path, 'geoshape');
      vertices += ring.length;
      if (vertices > maxVertices) return void this.err(path, 'too-many-vertices', { max: maxVertices });
      const pts: number[][] = [];
      for (const p of ring) {
        if (!Array.isArray(p) || p.length < 2 || p.length > 3 || !p.every((n) => typeof n === 'number' && Number.isFinite(n))) {
          return void this.err(path, 'geoshape');
        }
        const [ln, la] = p as number[];
        if (Math.abs(la!) > 90 || Math.abs(ln!) > 180) return void this.err(path, 'out-of-bounds');
        if (this.opts.mode === 'submit' && bounds && (la! < bounds.minLat || la! > bounds.maxLat || ln! < bounds.minLng || ln! > bounds.maxLng)) {
          return void this.err(path, 'out-of-bounds');
        }
        pts.push([ln!, la!]);
      }
      const first = pts[0];
      const last = pts[pts.length - 1];
      const distinct = new Set(pts.map((p) => `${p[0]},${p[1]}`)).size;
      if (pts.length < 4 || !first || !last || first[0] !== last[0] || first[1] !== last[1] || distinct < 3) {
        return void this.err(path, 'geoshape');
      }
      out.push(pts);
    }
    return { type: 'Polygon', coordinates: out };
  }

  /** A GeoJSON LineString: [lng, lat] (or [lng, lat, alt], altitude dropped) vertices, at least two distinct. */
  trace(raw: unknown, path: string, bounds: Bounds | undefined, maxVertices: number) {
    if (!isPlainObject(raw) || raw.type !== 'LineString' || !Array.isArray(raw.coordinates) || Object.keys(raw).length !== 2) {
      return void this.err(path, 'geotrace');
    }
    const pts = raw.coordinates as unknown[];
    if (pts.length > maxVertices) return void this.err(path, 'too-many-vertices', { max: maxVertices });
    const out: number[][] = [];
    const distinct = new Set<string>();
    for (const p of pts) {
      if (!Array.isArray(p) || p.length < 2 || p.length > 3 || !p.every((n) => typeof n === 'number' && Number.isFinite(n))) {
        return void this.err(path, 'geotrace');
      }
      const [ln, la] = p as number[];
      if (Math.abs(la!) > 90 || Math.abs(ln!) > 180) return void this.err(path, 'out-of-bounds');
      if (this.opts.mode === 'submit' && bounds && (la! < bounds.minLat || la! > bounds.maxLat || ln! < bounds.minLng || ln! > bounds.maxLng)) {
        return void this.err(path, 'out-of-bounds');
      }
      out.push([ln!, la!]);
      distinct.add(`${ln},${la}`);
    }
    // Repeated vertices (a pause while tracing) are kept; a line needs two distinct places.
    if (distinct.size < 2) return void this.err(path, 'geotrace');
    return { type: 'LineString', coordinates: out };
  }
}

function fieldIsRelevant(c: CompiledField, env: Env): boolean {
  if (c.relevant && evaluateCondition(c.relevant, env) !== true) return false;
  if (c.otherOf) {
    const row = env.row;
    const v = row && Object.hasOwn(row, c.otherOf.name) ? row[c.otherOf.name] : env.top[c.otherOf.name];
    if (!(v === c.otherOf.value || (Array.isArray(v) && v.includes(c.otherOf.value)))) return false;
  }
  return true;
}

/** What `original[name]` reads for a name the answers do not have: Object.prototype's (normally undefined). */
const NO_ANSWER: Answers = {};

/**
 * Drop irrelevant answers and compute calculations until nothing changes (relevance may chain). Only dynamic fields
 * (relevance, "other", calculation) can change: every other field keeps its answer, so the loop skips them.
 * `size` is the number of fields at this level (it bounds the passes, as before).
 */
function settle(level: Level, size: number, top: Answers, today: string, row?: Answers) {
  const fields = level.dynamic;
  if (fields.length === 0) return;
  const target = row ?? top;
  // The answers as they were before settling (a snapshot of just the fields that can change).
  const original: unknown[] = new Array(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i]!.field.name;
    original[i] = Object.hasOwn(target, name) ? target[name] : NO_ANSWER[name];
  }
  const env = new Env(top, today, row);
  for (let pass = 0; pass <= size; pass++) {
    let changed = false;
    for (let i = 0; i < fields.length; i++) {
      const c = fields[i]!;
      const name = c.field.name;
      const relevant = fieldIsRelevant(c, env);
      let next: unknown = relevant ? original[i] : undefined;
      if (relevant && c.calculate) {
        const v = evaluate(c.calculate, env);
        const precision = c.field.type === 'calculate' ? c.field.precision : undefined;
        // Decimal half-away-from-zero, the same rounding as round() in expressions (3.525 → 3.53, not binary 3.52).
        next = typeof v === 'number' && Number.isFinite(v) && precision !== undefined ? roundHalfAway(v, precision) : v;
        if (next === null || (typeof next === 'number' && !Number.isFinite(next))) next = undefined;
      }
      if (next === undefined) {
        if (Object.hasOwn(target, name)) {
          delete target[name];
          changed = true;
        }
      } else if (target[name] !== next) {
        target[name] = next;
        changed = true;
      }
    }
    if (!changed) break;
  }
}

export function validate(def: FormDefinition, answers: unknown, opts: ValidateOptions): ValidationResult {
  const compiled = compile(def);
  const top = compiled.top;
  const today = opts.today ?? todayUtc();
  const run = new Run(def, compiled, opts, today);
  const data: Answers = {};
  if (!run.checkKeys(answers, 'data', compiled.fields, top.forbiddenKnown)) return { ok: false, errors: run.errors, warnings: [], data };

  // 1–2. types
  const list = top.list;
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    const f = c.field;
    const name = f.name;
    if (!Object.hasOwn(answers, name)) continue;
    const raw = answers[name];
    if (f.type === 'repeat') {
      const rows = repeatRows(run, c, f, raw, c.path);
      if (rows !== undefined) data[name] = rows;
    } else {
      const v = run.leaf(c, f, raw, c.path);
      if (v !== undefined) data[name] = v;
    }
  }

  // 3–4. relevance and calculations: top level, then inside each row (rows see settled top-level values).
  settle(top, compiled.fields.size, data, today);
  for (const c of top.repeats) {
    const rows = data[c.field.name];
    if (Array.isArray(rows)) for (const row of rows as Answers[]) settle(c.rows!, c.sub!.size, data, today, row);
  }

  if (opts.mode === 'submit') {
    // 5. required, constraints, rows
    const env = new Env(data, today);
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      const name = c.field.name;
      checkSubmitted(run, c, env, c.path, data[name]);
      if (c.sub && Array.isArray(data[name])) {
        const subs = c.rows!.list;
        (data[name] as Answers[]).forEach((row, i) => {
          const rowEnv = new Env(data, today, row);
          for (const sc of subs) {
            const sn = sc.field.name;
            if (fieldIsRelevant(sc, rowEnv)) checkSubmitted(run, sc, rowEnv, `data.${name}[${i}].${sn}`, row[sn]);
          }
        });
      }
    }
    for (const r of compiled.rules) {
      if (evaluateCondition(r.expr, env) === false) {
        (r.severity === 'warning' ? run.warnings : run.errors).push({ path: `data.${r.path}`, code: 'rule', message: r.message });
      }
    }
  }
  return { ok: run.errors.length === 0, errors: run.errors, warnings: run.warnings, data };
}

function repeatRows(run: Run, c: CompiledField, f: RepeatField, raw: unknown, path: string): Answers[] | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (!Array.isArray(raw)) return void run.err(path, 'type');
  if (raw.length > f.maxRows) return void run.err(path, 'max-rows', { max: f.maxRows });
  const level = c.rows!;
  const rows: Answers[] = [];
  raw.forEach((r, i) => {
    const rp = `${path}[${i}]`;
    if (!run.checkKeys(r, rp, c.sub!, level.forbiddenKnown)) return;
    const row: Answers = {};
    for (const sc of level.list) {
      const sf = sc.field;
      const sn = sf.name;
      if (!Object.hasOwn(r, sn) || sf.type === 'repeat') continue;
      const v = run.leaf(sc, sf, r[sn], `${rp}.${sn}`);
      if (v !== undefined) row[sn] = v;
    }
    rows.push(row);
  });
  return rows.length ? rows : undefined;
}

/** The submit-mode checks of one field; `env` is the field's level (top, or its row) with no `.` value. */
function checkSubmitted(run: Run, c: CompiledField, env: Env, path: string, value: unknown) {
  const f = c.field;
  if (f.type === 'calculate' || f.type === 'note') return;
  if (!fieldIsRelevant(c, env)) return;
  const required = c.otherOf !== undefined || f.required === true || (c.required !== undefined && evaluateCondition(c.required, env) === true);
  if (isEmpty(value)) {
    if (required) run.err(path, 'required');
    else if (f.type === 'repeat' && f.minRows > 0) run.err(path, 'min-rows', { min: f.minRows });
    return;
  }
  if (f.type === 'repeat') {
    const n = (value as unknown[]).length;
    if (n < f.minRows) run.err(path, 'min-rows', { min: f.minRows });
    return;
  }
  if (c.choiceFilter) {
    const filter = c.choiceFilter;
    const byValue = c.choiceByValue!;
    const check = (v: unknown, p: string) => {
      const choice = typeof v === 'string' ? byValue.get(v) : undefined;
      if (choice && choiceVerdict(filter, choice, env) === false) run.err(p, 'choice', {}, fieldMessage('choice-filtered'));
    };
    if (Array.isArray(value)) value.forEach((v, i) => check(v, `${path}[${i}]`));
    else check(value, path);
  }
  for (const k of c.constraints) {
    if (typeof value === 'string' && value.length > MAX_REGEX_INPUT) continue;
    if (evaluateCondition(k.expr, new Env(env.top, env.today, env.row, value)) === false) {
      run.errors.push({ path, code: 'constraint', message: k.message });
    }
  }
}

/** Every field name of a definition (including repeat sub-fields), for callers that need the flat list. */
export function fieldNames(def: FormDefinition): string[] {
  return allFields(def).map((x) => x.field.name);
}
