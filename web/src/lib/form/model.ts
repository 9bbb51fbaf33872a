/**
 * The form renderer's model: answer keys, element ids, where an error path lands, and live relevance. Relevance is
 * evaluated with the validator's own compiled expressions over its cleaned answers (`validate(...).data`, where
 * irrelevant answers are already dropped and calculations filled), with the same environment semantics: inside a
 * repeat row a name is the row's own sub-field first, then the top-level answer.
 */
import type { Field, FormDefinition, LeafField, Localized, RepeatField } from '$domain/forms';
import { choiceVerdict, compile, type Answers } from '$domain/validate';
import { evaluateCondition } from '$domain/expressions';

type Compiled = ReturnType<typeof compile>;
type CompiledField = Compiled['fields'] extends Map<string, infer C> ? C : never;

/** An answer key: `name` for a top-level field, `name[i].sub` for a repeat sub-field. */
export type AnswerKey = string;

export const rowKey = (repeat: string, index: number, sub: string): AnswerKey => `${repeat}[${index}].${sub}`;

/** DOM id of the input that holds a key's answer (`f-rows-0-y`). */
export function inputId(key: AnswerKey): string {
  return 'f-' + key.replace(/[[\].]+/g, '-').replace(/-$/, '');
}

/**
 * The answer key an error path belongs to: `data.x`, `data.x[0]`, `data.x.lat` → `x`; `data.rows[0].y[1]` → `rows[0].y`;
 * `data.rows[0]` → `rows`. Paths outside `data` (e.g. `regionCode`) return null.
 */
export function keyOfPath(def: Pick<FormDefinition, 'fields'>, path: string): AnswerKey | null {
  const m = /^data\.([a-z][a-z0-9_]*)(?:\[(\d+)\](?:\.([a-z][a-z0-9_]*))?)?/.exec(path);
  if (!m) return null;
  const [, name, index, sub] = m;
  const field = def.fields.find((f) => f.name === name);
  if (!field) return null;
  if (field.type === 'repeat' && index !== undefined && sub !== undefined) return rowKey(name!, Number(index), sub);
  return name!;
}

/** Read an answer by key. */
export function getAnswer(answers: Answers, key: AnswerKey): unknown {
  const m = /^([a-z0-9_]+)\[(\d+)\]\.([a-z0-9_]+)$/.exec(key);
  if (!m) return answers[key];
  const rows = answers[m[1]!];
  return Array.isArray(rows) ? (rows[Number(m[2])] as Answers | undefined)?.[m[3]!] : undefined;
}

/** Write an answer by key; `undefined` removes it (an unanswered field is absent, never ''). */
export function setAnswer(answers: Answers, key: AnswerKey, value: unknown): void {
  const m = /^([a-z0-9_]+)\[(\d+)\]\.([a-z0-9_]+)$/.exec(key);
  if (!m) {
    if (value === undefined) delete answers[key];
    else answers[key] = value;
    return;
  }
  const rows = answers[m[1]!];
  const row = Array.isArray(rows) ? (rows[Number(m[2])] as Answers | undefined) : undefined;
  if (!row) return;
  if (value === undefined) delete row[m[3]!];
  else row[m[3]!] = value;
}

function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

function isRelevant(c: CompiledField, top: Answers, today: string, row?: Answers): boolean {
  const get = (name: string) => (row && Object.hasOwn(row, name) ? row[name] : Object.hasOwn(top, name) ? top[name] : null);
  if (c.relevant && evaluateCondition(c.relevant, { get, today }) !== true) return false;
  if (c.otherOf) {
    const v = get(c.otherOf.name);
    if (!(v === c.otherOf.value || (Array.isArray(v) && v.includes(c.otherOf.value)))) return false;
  }
  return true;
}

function isRequiredNow(c: CompiledField, top: Answers, today: string, row?: Answers): boolean {
  const f = c.field;
  if (f.type === 'calculate' || f.type === 'note') return false;
  if (c.otherOf || f.required === true) return true;
  if (!c.required) return false;
  const get = (name: string) => (row && Object.hasOwn(row, name) ? row[name] : Object.hasOwn(top, name) ? top[name] : null);
  return evaluateCondition(c.required, { get, today }) === true;
}

export interface Visibility {
  /** Keys of the fields to show. */
  relevant: Set<AnswerKey>;
  /** Keys of the shown fields that must be answered before submitting (required and required-if). */
  required: Set<AnswerKey>;
}

/**
 * Which fields to show and which are required now, given the validator's cleaned answers. `rows` is the number of rows
 * shown for each repeat (the local rows, which may include rows the validator has not seen yet).
 */
export function visibility(def: FormDefinition, cleaned: Answers, rows: Record<string, number>, today = todayUtc()): Visibility {
  const compiled = compile(def);
  const relevant = new Set<AnswerKey>();
  const required = new Set<AnswerKey>();
  for (const [name, c] of compiled.fields) {
    if (!isRelevant(c, cleaned, today)) continue;
    relevant.add(name);
    if (isRequiredNow(c, cleaned, today)) required.add(name);
    if (c.field.type === 'repeat' && c.sub) {
      const cleanedRows = Array.isArray(cleaned[name]) ? (cleaned[name] as Answers[]) : [];
      for (let i = 0; i < (rows[name] ?? 0); i++) {
        const row = cleanedRows[i] ?? {};
        for (const [sn, sc] of c.sub) {
          if (!isRelevant(sc, cleaned, today, row)) continue;
          relevant.add(rowKey(name, i, sn));
          if (isRequiredNow(sc, cleaned, today, row)) required.add(rowKey(name, i, sn));
        }
      }
    }
  }
  return { relevant, required };
}

/** Fields grouped by the definition's sections, in definition order (fields without a section form a leading group). */
export function sectionsOf(def: FormDefinition): { id: string; title: Localized | null; fields: Field[] }[] {
  const groups: { id: string; title: Localized | null; fields: Field[] }[] = [];
  const byId = new Map<string, { id: string; title: Localized | null; fields: Field[] }>();
  const loose = { id: '', title: null, fields: [] as Field[] };
  for (const s of def.sections) {
    const g = { id: s.id, title: s.title, fields: [] as Field[] };
    byId.set(s.id, g);
  }
  for (const f of def.fields) {
    const g = f.section ? byId.get(f.section) : undefined;
    (g ?? loose).fields.push(f);
  }
  if (loose.fields.length) groups.push(loose);
  for (const s of def.sections) {
    const g = byId.get(s.id)!;
    if (g.fields.length) groups.push(g);
  }
  return groups;
}

/** The top-level answers and, for a repeat sub-field's key, its row. */
function scopeOf(key: AnswerKey, cleaned: Answers): { name: string; repeat?: string; row?: Answers } {
  const m = /^([a-z0-9_]+)\[(\d+)\]\.([a-z0-9_]+)$/.exec(key);
  if (!m) return { name: key };
  const rows = cleaned[m[1]!];
  const row = Array.isArray(rows) ? ((rows[Number(m[2])] as Answers | undefined) ?? {}) : {};
  return { name: m[3]!, repeat: m[1]!, row };
}

/**
 * A name as seen from the field at `key`, with its answer: inside a repeat row its own sub-fields first, then the top
 * level (the validator's environment).
 */
export function lookupFrom(def: FormDefinition, key: AnswerKey, cleaned: Answers, name: string): { field?: Field; value: unknown } {
  const { repeat, row } = scopeOf(key, cleaned);
  const rep = repeat ? def.fields.find((f) => f.name === repeat) : undefined;
  const sub = rep?.type === 'repeat' ? rep.fields.find((f) => f.name === name) : undefined;
  if (sub) return { field: sub, value: row?.[name] };
  return { field: def.fields.find((f) => f.name === name), value: Object.hasOwn(cleaned, name) ? cleaned[name] : undefined };
}

export interface ChoiceAvailability {
  /** Per choice value: true offered, false filtered out, null undecided (an answer the filter reads is missing). */
  verdicts: Map<string, boolean | null>;
  /** The unanswered fields the filter reads (what to answer first). */
  waitingFor: Field[];
}

/**
 * Which choices of the select at `key` its choice filter lets through, given the validator's cleaned answers (the same
 * `choiceVerdict` the validator rejects with). Null when the field has no filter.
 */
export function choiceAvailability(def: FormDefinition, key: AnswerKey, cleaned: Answers, today = todayUtc()): ChoiceAvailability | null {
  const compiled = compile(def);
  const { name, repeat, row } = scopeOf(key, cleaned);
  const c = repeat ? compiled.fields.get(repeat)?.sub?.get(name) : compiled.fields.get(name);
  const f = c?.field;
  if (!c?.choiceFilter || (f?.type !== 'select_one' && f?.type !== 'select_multiple')) return null;
  const get = (n: string) => (row && Object.hasOwn(row, n) ? row[n] : Object.hasOwn(cleaned, n) ? cleaned[n] : null);
  const verdicts = new Map(f.choices.map((ch) => [ch.value, choiceVerdict(c.choiceFilter!, ch, { get, today })]));
  const waitingFor: Field[] = [];
  for (const n of c.choiceFilter.inputs) {
    const v = get(n);
    if (v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) {
      const target = lookupFrom(def, key, cleaned, n).field;
      if (target) waitingFor.push(target);
    }
  }
  return { verdicts, waitingFor };
}

export type { LeafField, RepeatField, Answers };

/** Remove the answers the validator rejects even in a draft, so the rest can still be saved. */
export function withoutPaths(def: FormDefinition, answers: Answers, paths: string[]): Answers {
  const copy = structuredClone(answers);
  for (const p of paths) {
    const key = keyOfPath(def, p);
    if (key) setAnswer(copy, key, undefined);
  }
  return copy;
}
