/**
 * What changed between two versions of a form, field by field: the version list's diff, the publish preview, and the
 * fill page's "move this draft to the new version" (which answers would be dropped). Pure; shared by browser and server.
 *
 * Fields are matched by name (repeat sub-fields as `repeat.sub`), as answers and export columns are. A field whose
 * name stays but whose properties change is `changed`, listing the properties; a rename is a removal plus an addition.
 */
import type { Field, FormDefinition, Localized } from './forms';

export interface FieldChange {
  /** Field name; a repeat's sub-field is `repeat.sub`. */
  name: string;
  change: 'added' | 'removed' | 'changed';
  /** The label in the newer version (the older one for a removed field). */
  label: Localized;
  /** For `changed`: the properties that differ, e.g. `type`, `required`, `choices`, `relevant`, `constraints`. */
  properties?: string[];
}

export interface FormChanges {
  fields: FieldChange[];
  /** Form-level properties that differ: `title`, `description`, `sections`, `rules`, `part`, `code`. */
  form: string[];
}

type Flat = Map<string, Field>;

function flatten(def: Pick<FormDefinition, 'fields'>): Flat {
  const out: Flat = new Map();
  for (const f of def.fields) {
    out.set(f.name, f);
    if (f.type === 'repeat') for (const sub of f.fields) out.set(`${f.name}.${sub.name}`, sub);
  }
  return out;
}

/** JSON with sorted keys: property values compare by content, not by key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function differing(a: object, b: object, skip: ReadonlySet<string> = new Set()): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys]
    .filter((k) => !skip.has(k) && canonical((a as Record<string, unknown>)[k]) !== canonical((b as Record<string, unknown>)[k]))
    .sort();
}

/** Changes from `older` to `newer`: removed fields in the older order, then added and changed ones in the newer order. */
export function diffForms(older: Pick<FormDefinition, 'fields'> & Partial<FormDefinition>, newer: Pick<FormDefinition, 'fields'> & Partial<FormDefinition>): FormChanges {
  const a = flatten(older);
  const b = flatten(newer);
  const fields: FieldChange[] = [];
  for (const [name, f] of a) if (!b.has(name)) fields.push({ name, change: 'removed', label: f.label });
  for (const [name, f] of b) {
    const before = a.get(name);
    if (!before) fields.push({ name, change: 'added', label: f.label });
    else {
      // A repeat's sub-fields are compared one by one above; the repeat itself on its own properties.
      const properties = differing(before, f, new Set(['name', 'fields']));
      if (properties.length) fields.push({ name, change: 'changed', label: f.label, properties });
    }
  }
  const form = differing(
    { title: older.title, description: older.description, sections: older.sections, rules: older.rules, part: older.part, code: older.code },
    { title: newer.title, description: newer.description, sections: newer.sections, rules: newer.rules, part: newer.part, code: newer.code },
  );
  return { fields, form };
}

/**
 * Answers carried from one version to another by field name: what is kept, and the names of answers that have no field
 * in the target version (the fill page lists them before the user confirms the move). Repeat rows keep the sub-fields
 * that still exist.
 */
export function carryAnswers(data: Record<string, unknown>, target: Pick<FormDefinition, 'fields'>): { data: Record<string, unknown>; dropped: string[] } {
  const fields = new Map(target.fields.map((f) => [f.name, f]));
  const out: Record<string, unknown> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(data)) {
    const f = fields.get(name);
    if (!f || f.type === 'calculate' || f.type === 'note') {
      if (!f || f.type === 'note') dropped.push(name);
      continue;
    }
    if (f.type === 'repeat' && Array.isArray(value)) {
      const subs = new Set(f.fields.map((s) => s.name));
      const lost = new Set<string>();
      out[name] = value.map((row: unknown) => {
        if (!row || typeof row !== 'object') return row;
        const kept: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(row as Record<string, unknown>)) {
          if (subs.has(k)) kept[k] = v;
          else lost.add(`${name}.${k}`);
        }
        return kept;
      });
      dropped.push(...lost);
    } else out[name] = value;
  }
  return { data: out, dropped };
}

/**
 * The columns an export of several versions uses: the newest version's fields in its order, then the fields that only
 * older versions had (newest first), with a repeat's sub-fields merged the same way. Records of every version line up
 * by field name; a field whose type changed is written as the newest version types it.
 */
export function unionOfVersions(newest: FormDefinition, older: readonly FormDefinition[]): FormDefinition {
  const fields: Field[] = newest.fields.map((f) => (f.type === 'repeat' ? { ...f, fields: [...f.fields] } : f));
  const byName = new Map(fields.map((f) => [f.name, f]));
  for (const def of older) {
    for (const f of def.fields) {
      const have = byName.get(f.name);
      if (!have) {
        const copy = f.type === 'repeat' ? { ...f, fields: [...f.fields] } : f;
        fields.push(copy);
        byName.set(f.name, copy);
      } else if (have.type === 'repeat' && f.type === 'repeat') {
        for (const sub of f.fields) if (!have.fields.some((s) => s.name === sub.name)) have.fields.push(sub);
      }
    }
  }
  return { ...newest, fields };
}
