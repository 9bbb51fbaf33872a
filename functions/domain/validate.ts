/**
 * The one validator: the browser runs it as you type, the API runs it as the authoritative check.
 *
 * validate(definition, answers, { mode }):
 *  1. shape: answers is a plain object; prototype keys and unknown keys are rejected;
 *  2. types: every answer has its field's type (strings are NFC-normalised and trimmed; `null`/'' mean "no answer");
 *  3. relevance: answers to irrelevant fields are dropped (evaluated to a fixpoint, so chains of relevance settle);
 *  4. calculations are computed (a client-sent value for a calculated field is replaced);
 *  5. submit mode only: required / required-if, ranges, formats, min rows, field constraints, cross-field rules.
 * Drafts may be partial: draft mode checks shapes, types, choices and size limits only, so unfinished work can always be saved.
 */
import type { Bounds, Field, FormDefinition, LeafField, RepeatField } from './forms';
import { allFields } from './form-fields';
import { fieldMessage, type FieldError } from './errors';
import { evaluate, evaluateCondition, parse, roundHalfAway, type Expr } from './expressions';
import { isCalendarDate, isUuid, isValidIdCard, isValidPhone, isValidUscc } from './identifiers';
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

interface CompiledField {
  field: Field;
  required?: Expr;
  relevant?: Expr;
  constraints: { expr: Expr; message: FieldError['message'] }[];
  calculate?: Expr;
  /** The select field whose "other" choice makes this text field relevant and required. */
  otherOf?: { name: string; value: string };
  sub?: Map<string, CompiledField>;
}

interface Compiled {
  fields: Map<string, CompiledField>;
  rules: { id: string; expr: Expr; path: string; message: FieldError['message']; severity: 'error' | 'warning' }[];
}

const cache = new WeakMap<FormDefinition, Compiled>();

function compileField(f: Field, siblings: readonly Field[]): CompiledField {
  const c: CompiledField = { field: f, constraints: [] };
  if ('required' in f && typeof f.required === 'string') c.required = parse(f.required);
  if (f.relevant) c.relevant = parse(f.relevant);
  if ('constraints' in f) c.constraints = f.constraints.map((k) => ({ expr: parse(k.expr), message: k.message }));
  if (f.type === 'calculate') c.calculate = parse(f.calculate);
  for (const s of siblings) {
    if ((s.type === 'select_one' || s.type === 'select_multiple') && s.other?.field === f.name) {
      c.otherOf = { name: s.name, value: s.other.value };
    }
  }
  if (f.type === 'repeat') c.sub = new Map(f.fields.map((sf) => [sf.name, compileField(sf, f.fields)]));
  return c;
}

/** Parse every expression of a definition once (cached per definition object). Throws on a syntax error. */
export function compile(def: FormDefinition): Compiled {
  let c = cache.get(def);
  if (!c) {
    c = {
      fields: new Map(def.fields.map((f) => [f.name, compileField(f, def.fields)])),
      rules: def.rules.map((r) => ({ id: r.id, expr: parse(r.expr), path: r.path, message: r.message, severity: r.severity })),
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
  checkKeys(obj: unknown, path: string, known: Map<string, CompiledField>): obj is Record<string, unknown> {
    if (!isPlainObject(obj)) {
      this.err(path, 'type');
      return false;
    }
    for (const key of Object.keys(obj)) {
      if (FORBIDDEN_KEYS.has(key)) this.err(`${path}.${key}`, 'forbidden-key');
      else if (!known.has(key)) this.err(`${path}.${key}`, 'unknown-key');
    }
    return true;
  }

  /** Type-check and normalise one leaf answer; returns undefined when there is no usable answer. */
  leaf(f: LeafField, raw: unknown, path: string): unknown {
    if (raw === null || raw === undefined) return undefined;
    const submit = this.opts.mode === 'submit';
    switch (f.type) {
      case 'text': {
        if (typeof raw !== 'string') return void this.err(path, 'type');
        const s = raw.normalize('NFC').trim();
        if (s === '') return undefined;
        const len = [...s].length;
        if (len > f.maxLength) this.err(path, 'too-long', { max: f.maxLength });
        if (submit && f.minLength !== undefined && len < f.minLength) this.err(path, 'too-short', { min: f.minLength });
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
        if (f.type === 'decimal' && Number(raw.toFixed(f.precision)) !== raw) {
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
        if (!isCalendarDate(raw)) return void this.err(path, 'date');
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
        if (!f.choices.some((c) => c.value === raw)) return void this.err(path, 'choice');
        return raw;
      }
      case 'select_multiple': {
        if (!Array.isArray(raw)) return void this.err(path, 'type');
        const out: string[] = [];
        raw.forEach((v, i) => {
          if (typeof v !== 'string') this.err(`${path}[${i}]`, 'type');
          else if (!f.choices.some((c) => c.value === v)) this.err(`${path}[${i}]`, 'choice');
          else if (out.includes(v)) this.err(`${path}[${i}]`, 'duplicate-choice');
          else out.push(v);
        });
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
    for (const k of Object.keys(raw)) {
      if (!['lat', 'lng', 'accuracy', 'altitude'].includes(k)) {
        this.err(`${path}.${k}`, FORBIDDEN_KEYS.has(k) ? 'forbidden-key' : 'unknown-key');
        ok = false;
      }
    }
    const { lat, lng, accuracy, altitude } = raw;
    for (const [k, v] of [['lat', lat], ['lng', lng]] as const) {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        this.err(`${path}.${k}`, 'type');
        ok = false;
      }
    }
    for (const [k, v] of [['accuracy', accuracy], ['altitude', altitude]] as const) {
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || (k === 'accuracy' && v < 0))) {
        this.err(`${path}.${k}`, 'type');
        ok = false;
      }
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
}

/** Values visible to expressions: the row's own sub-fields first, then the top level. */
function envFor(top: Answers, today: string, row?: Answers, self?: unknown) {
  return {
    get: (name: string) => (row && Object.hasOwn(row, name) ? row[name] : Object.hasOwn(top, name) ? top[name] : null),
    self,
    today,
  };
}

function fieldIsRelevant(c: CompiledField, top: Answers, today: string, row?: Answers): boolean {
  if (c.relevant && evaluateCondition(c.relevant, envFor(top, today, row)) !== true) return false;
  if (c.otherOf) {
    const v = row && Object.hasOwn(row, c.otherOf.name) ? row[c.otherOf.name] : top[c.otherOf.name];
    if (!(v === c.otherOf.value || (Array.isArray(v) && v.includes(c.otherOf.value)))) return false;
  }
  return true;
}

/** Drop irrelevant answers and compute calculations until nothing changes (relevance may chain). */
function settle(fields: Map<string, CompiledField>, top: Answers, today: string, row?: Answers) {
  const target = row ?? top;
  const original = { ...target };
  for (let pass = 0; pass <= fields.size; pass++) {
    let changed = false;
    for (const [name, c] of fields) {
      const relevant = fieldIsRelevant(c, top, today, row);
      let next: unknown = relevant ? original[name] : undefined;
      if (relevant && c.calculate) {
        const v = evaluate(c.calculate, envFor(top, today, row));
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
  const today = opts.today ?? todayUtc();
  const run = new Run(def, compiled, opts, today);
  const data: Answers = {};
  if (!run.checkKeys(answers, 'data', compiled.fields)) return { ok: false, errors: run.errors, warnings: [], data };

  // 1–2. types
  for (const [name, c] of compiled.fields) {
    if (!Object.hasOwn(answers, name)) continue;
    const raw = answers[name];
    const path = `data.${name}`;
    if (c.field.type === 'repeat') {
      const rows = repeatRows(run, c, c.field, raw, path);
      if (rows !== undefined) data[name] = rows;
    } else {
      const v = run.leaf(c.field, raw, path);
      if (v !== undefined) data[name] = v;
    }
  }

  // 3–4. relevance and calculations: top level, then inside each row (rows see settled top-level values).
  settle(compiled.fields, data, today);
  for (const [name, c] of compiled.fields) {
    if (c.sub && Array.isArray(data[name])) for (const row of data[name] as Answers[]) settle(c.sub, data, today, row);
  }

  if (opts.mode === 'submit') {
    // 5. required, constraints, rows
    for (const [name, c] of compiled.fields) {
      checkSubmitted(run, c, data, today, `data.${name}`, data[name]);
      if (c.sub && Array.isArray(data[name])) {
        (data[name] as Answers[]).forEach((row, i) => {
          for (const [sn, sc] of c.sub!) {
            if (fieldIsRelevant(sc, data, today, row)) checkSubmitted(run, sc, data, today, `data.${name}[${i}].${sn}`, row[sn], row);
          }
        });
      }
    }
    for (const r of compiled.rules) {
      if (evaluateCondition(r.expr, envFor(data, today)) === false) {
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
  const rows: Answers[] = [];
  raw.forEach((r, i) => {
    const rp = `${path}[${i}]`;
    if (!run.checkKeys(r, rp, c.sub!)) return;
    const row: Answers = {};
    for (const [sn, sc] of c.sub!) {
      if (!Object.hasOwn(r, sn) || sc.field.type === 'repeat') continue;
      const v = run.leaf(sc.field, r[sn], `${rp}.${sn}`);
      if (v !== undefined) row[sn] = v;
    }
    rows.push(row);
  });
  return rows.length ? rows : undefined;
}

function checkSubmitted(run: Run, c: CompiledField, top: Answers, today: string, path: string, value: unknown, row?: Answers) {
  const f = c.field;
  if (f.type === 'calculate') return;
  if (!fieldIsRelevant(c, top, today, row)) return;
  const required = c.otherOf !== undefined || f.required === true || (c.required !== undefined && evaluateCondition(c.required, envFor(top, today, row)) === true);
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
  for (const k of c.constraints) {
    if (typeof value === 'string' && value.length > MAX_REGEX_INPUT) continue;
    if (evaluateCondition(k.expr, envFor(top, today, row, value)) === false) {
      run.errors.push({ path, code: 'constraint', message: k.message });
    }
  }
}

/** Every field name of a definition (including repeat sub-fields), for callers that need the flat list. */
export function fieldNames(def: FormDefinition): string[] {
  return allFields(def).map((x) => x.field.name);
}
