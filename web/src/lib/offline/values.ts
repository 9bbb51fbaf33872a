/** Answers as short text, for comparing the device's copy of a record with the server's (ConflictView). */
import type { Field, FormDefinition } from '$domain/forms';
import { fmtNumber, i18n, loc, t } from '$lib/i18n.svelte';

export function isAnswered(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

export function answerText(field: Field, v: unknown): string {
  if (!isAnswered(v)) return '—';
  const sep = i18n.lang === 'zh' ? '、' : ', ';
  switch (field.type) {
    case 'integer':
    case 'decimal':
    case 'calculate':
      return typeof v === 'number' ? `${fmtNumber(v)}${field.unit ? ` ${loc(field.unit)}` : ''}` : String(v);
    case 'boolean':
      return v === true ? t('common.yes') : v === false ? t('common.no') : String(v);
    case 'select_one':
      return loc(field.choices.find((c) => c.value === v)?.label) || String(v);
    case 'select_multiple':
      return (Array.isArray(v) ? v : [v]).map((x) => loc(field.choices.find((c) => c.value === x)?.label) || String(x)).join(sep);
    case 'geopoint': {
      const p = v as { lat?: number; lng?: number };
      return typeof p.lat === 'number' && typeof p.lng === 'number' ? `${fmtNumber(p.lat, 6)}, ${fmtNumber(p.lng, 6)}` : String(v);
    }
    case 'photo':
    case 'file':
      return t('offline.files', { n: Array.isArray(v) ? v.length : 1 });
    case 'repeat':
      return t('offline.rows', { n: Array.isArray(v) ? v.length : 0 });
    default:
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

export interface Difference {
  name: string;
  label: string;
  mine: string;
  theirs: string;
}

/** The top-level answers that differ between two copies, in form order. */
export function differences(def: FormDefinition, mine: Record<string, unknown>, theirs: Record<string, unknown>): Difference[] {
  const out: Difference[] = [];
  for (const f of def.fields) {
    const a = mine[f.name];
    const b = theirs[f.name];
    if (!isAnswered(a) && !isAnswered(b)) continue;
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    out.push({ name: f.name, label: loc(f.label), mine: answerText(f, a), theirs: answerText(f, b) });
  }
  return out;
}
