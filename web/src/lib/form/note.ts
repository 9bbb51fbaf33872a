/**
 * A note's text as the person filling in reads it: every `${field}` replaced by that field's current answer, written
 * as the answers are elsewhere (choice labels, 是/否, numbers with units). Plain text: render it as text, never as HTML.
 */
import { fillLabel } from '$domain/form-fields';
import type { FormDefinition } from '$domain/forms';
import { t } from '$lib/i18n.svelte';
import { answerText, isAnswered } from '$lib/offline/values';
import { lookupFrom, type AnswerKey, type Answers } from './model';

export function noteText(def: FormDefinition, key: AnswerKey, cleaned: Answers, text: string): string {
  return fillLabel(text, (name) => {
    const { field, value } = lookupFrom(def, key, cleaned, name);
    if (!field || !isAnswered(value)) return '';
    if (field.type === 'geoshape' || field.type === 'geotrace') {
      const c = (value as { coordinates?: unknown[] }).coordinates;
      const n = !Array.isArray(c) ? 0 : field.type === 'geotrace' ? c.length : Math.max(0, ((c[0] as unknown[] | undefined)?.length ?? 1) - 1);
      return t('shape.vertices', { n });
    }
    return answerText(field, value);
  });
}
