/**
 * Walking a form's fields. Kept apart from forms.ts (the zod schema) so the validator, the use cases and the browser can
 * use definitions without loading the schema library: definitions are checked once, when they are published.
 */
import type { Field, FormDefinition, RepeatField } from './forms';

/** Depth-first list of every field including repeat sub-fields, with its parent repeat (if any). */
export function allFields(def: Pick<FormDefinition, 'fields'>): { field: Field; parent?: RepeatField }[] {
  const out: { field: Field; parent?: RepeatField }[] = [];
  for (const f of def.fields) {
    out.push({ field: f });
    if (f.type === 'repeat') for (const sub of f.fields) out.push({ field: sub, parent: f });
  }
  return out;
}
