/**
 * Generates plausible answers for a form from its definition: used by catalog tests, demo seeding and benchmarks.
 * Each value satisfies its field's type, range and choices (choice filters included, given the sample's other
 * answers); cross-field rules are satisfied by `overrides`. Notes get no answer.
 */
import type { Bounds, FormDefinition, LeafField } from './forms';
import { idCheckChar, usccCheckChar } from './identifiers';
import { choiceVerdict, compileChoiceFilter, type Answers, type ChoiceFilterPlan } from './validate';

export interface SampleOptions {
  /** Source of variety for demo data; defaults to a fixed sequence so samples are reproducible. */
  random?: () => number;
  /** Attachment ids to use for photo/file fields (none → a fixed id). */
  attachmentId?: string;
  /** Region code for region fields. */
  regionCode?: string;
}

const FIXED_ATTACHMENT = '00000000-0000-4000-8000-000000000001';

/** A deterministic pseudo-random generator (mulberry32) for reproducible demo data. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function numberIn(f: { min?: number; max?: number; exclusiveMin?: boolean }, step: number, rnd: () => number): number {
  const lo = f.min === undefined ? 0 : f.exclusiveMin ? f.min + step : f.min;
  const hi = f.max === undefined ? Math.max(lo, 0) + 100 : f.max;
  if (hi < lo) return lo;
  // Near the lower bound, with a little variety when a random source is given.
  const span = Math.min(hi - lo, 50);
  const v = lo + Math.floor(rnd() * (span / step)) * step;
  return Math.min(Number(v.toFixed(6)), hi);
}

function pointIn(bounds: Bounds | undefined, rnd: () => number) {
  const b = bounds ?? { minLat: 29, maxLat: 31, minLng: 113, maxLng: 115 };
  const lat = (b.minLat + b.maxLat) / 2 + (rnd() - 0.5) * 0.01;
  const lng = (b.minLng + b.maxLng) / 2 + (rnd() - 0.5) * 0.01;
  return { lat: Number(lat.toFixed(6)), lng: Number(lng.toFixed(6)) };
}

function leafValue(f: LeafField, o: Required<Pick<SampleOptions, 'random'>> & SampleOptions): unknown {
  const rnd = o.random;
  switch (f.type) {
    case 'text': {
      if (f.format === 'uscc') {
        const body = '91110105MA01ABCD0';
        return body + usccCheckChar(body);
      }
      if (f.format === 'id-card') {
        const body = '11010519850101123';
        return body + idCheckChar(body);
      }
      if (f.format === 'phone') return '13800138000';
      const s = `${f.label.zh}示例`;
      return s.length >= (f.minLength ?? 0) ? s.slice(0, f.maxLength) : s.padEnd(f.minLength ?? 0, '样');
    }
    case 'integer':
      return Math.round(numberIn(f, 1, rnd));
    case 'decimal':
      return Number(numberIn(f, 1 / 10 ** f.precision, rnd).toFixed(f.precision));
    case 'year':
      return Math.max(f.min ?? 1000, Math.min(f.max ?? 9999, 2000));
    case 'date': {
      let d = '2020-06-30';
      if (f.min && d < f.min) d = f.min;
      if (f.max && d > f.max) d = f.max;
      return d;
    }
    case 'boolean':
      return false;
    case 'select_one': {
      const choices = f.choices.filter((c) => c.value !== f.other?.value);
      return (choices[Math.floor(rnd() * choices.length)] ?? f.choices[0])!.value;
    }
    case 'select_multiple': {
      const choices = f.choices.filter((c) => c.value !== f.other?.value);
      const n = Math.max(1, f.minSelected ?? 1);
      return choices.slice(0, n).map((c) => c.value);
    }
    case 'geopoint':
      return pointIn(f.bounds, rnd);
    case 'geoshape': {
      const { lat, lng } = pointIn(f.bounds, rnd);
      const d = 0.001;
      return { type: 'Polygon', coordinates: [[[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]] };
    }
    case 'geotrace': {
      const { lat, lng } = pointIn(f.bounds, rnd);
      const d = 0.001;
      return { type: 'LineString', coordinates: [[lng, lat], [lng + d, lat], [lng + d, lat + d]] };
    }
    case 'photo':
    case 'file':
      return f.multiple ? [o.attachmentId ?? FIXED_ATTACHMENT] : (o.attachmentId ?? FIXED_ATTACHMENT);
    case 'region':
      return o.regionCode;
    case 'calculate':
    case 'note':
      return undefined;
  }
}

type SelectField = Extract<LeafField, { type: 'select_one' | 'select_multiple' }>;
const filterPlans = new WeakMap<SelectField, ChoiceFilterPlan>();

/**
 * Re-pick the answer of a filtered select so that its choices pass the filter given `get` (the other answers).
 * Prefers choices the filter accepts outright, then ones it cannot decide yet (an input is unanswered). Returns true
 * when the answer changed.
 */
function fitChoiceFilter(f: LeafField, target: Answers, get: (name: string) => unknown): boolean {
  if ((f.type !== 'select_one' && f.type !== 'select_multiple') || f.choiceFilter === undefined || target[f.name] === undefined) return false;
  let plan = filterPlans.get(f);
  if (!plan) filterPlans.set(f, (plan = compileChoiceFilter(f.choiceFilter)));
  const env = { get, today: new Date().toISOString().slice(0, 10) };
  const candidates = f.choices.filter((c) => c.value !== f.other?.value);
  const verdict = new Map(f.choices.map((c) => [c.value, choiceVerdict(plan, c, env)]));
  const passing = candidates.filter((c) => verdict.get(c.value) === true).map((c) => c.value);
  const undecided = candidates.filter((c) => verdict.get(c.value) === null).map((c) => c.value);
  const current = target[f.name];
  let next: unknown = current;
  if (f.type === 'select_one') {
    const v = verdict.get(current as string);
    // An accepted answer stays; otherwise the first accepted choice, else keep an undecided answer or take one.
    if (v !== true) next = passing[0] ?? (v === null ? current : (undecided[0] ?? current));
  } else {
    const list = Array.isArray(current) ? (current as string[]) : [];
    const kept = list.filter((v) => verdict.get(v) === true);
    if (kept.length < list.length) {
      // Top up to the minimum with other choices the filter accepts (or, failing those, cannot decide yet).
      const pool = (passing.length ? passing : undecided).filter((v) => !kept.includes(v));
      const picked = [...kept, ...pool].slice(0, Math.max(kept.length, f.minSelected ?? 1));
      if (picked.length) next = picked;
    }
  }
  if (JSON.stringify(next) === JSON.stringify(current)) return false;
  target[f.name] = next;
  return true;
}

/** Fit every filtered select to the answers around it; filters can chain (province → county → town), so repeat until settled. */
function fitChoiceFilters(def: FormDefinition, out: Answers, fixed: ReadonlySet<string>) {
  const top = (name: string) => (Object.hasOwn(out, name) ? out[name] : null);
  for (let pass = 0; pass <= def.fields.length; pass++) {
    let changed = false;
    for (const f of def.fields) {
      if (fixed.has(f.name)) continue;
      if (f.type !== 'repeat') {
        if (fitChoiceFilter(f, out, top)) changed = true;
        continue;
      }
      const rows = out[f.name];
      if (!Array.isArray(rows)) continue;
      for (const row of rows as Answers[]) {
        const get = (name: string) => (Object.hasOwn(row, name) ? row[name] : top(name));
        for (const sf of f.fields) if (fitChoiceFilter(sf, row, get)) changed = true;
      }
    }
    if (!changed) break;
  }
}

/**
 * Answers for every field (irrelevant ones are dropped later by the validator), then `overrides` merged on top;
 * an override of `undefined` removes that answer.
 */
export function generateSample(def: FormDefinition, overrides: Record<string, unknown> = {}, opts: SampleOptions = {}): Answers {
  const o = { ...opts, random: opts.random ?? (() => 0) };
  const out: Answers = {};
  for (const f of def.fields) {
    if (f.type === 'repeat') {
      const rows = Math.max(1, f.minRows);
      out[f.name] = Array.from({ length: rows }, () => {
        const row: Answers = {};
        for (const sf of f.fields) {
          const v = leafValue(sf, o);
          if (v !== undefined) row[sf.name] = v;
        }
        return row;
      });
    } else {
      const v = leafValue(f, o);
      if (v !== undefined) out[f.name] = v;
    }
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  fitChoiceFilters(def, out, new Set(Object.keys(overrides)));
  return out;
}
