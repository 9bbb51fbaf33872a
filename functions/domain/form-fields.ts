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

/** Whether a field holds an answer: a note is display text only (it has no value, no column, no cell). */
export function holdsAnswer(f: Pick<Field, 'type'>): boolean {
  return f.type !== 'note';
}

/** `${name}` in a note's label or hint: the answer is shown there. Anything else is literal text. */
const LABEL_REFERENCE = /\$\{([a-z][a-z0-9_]*)\}/g;

/** Field names a note's text quotes as `${name}` (deduplicated, in order of first appearance). */
export function labelReferences(text: string): string[] {
  return [...new Set([...text.matchAll(LABEL_REFERENCE)].map((m) => m[1]!))];
}

/**
 * A note's text with every `${name}` replaced by `answer(name)` (an unknown or unanswered name gives ''). The result is
 * plain text: callers render it as text, never as markup.
 */
export function fillLabel(text: string, answer: (name: string) => string): string {
  return text.replace(LABEL_REFERENCE, (_, name: string) => answer(name));
}
