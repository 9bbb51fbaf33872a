/**
 * Answers as a reviewer reads them: choice labels instead of codes, numbers with their units, dates and booleans in
 * the user's language. Photos, files, geopoints and repeat groups are laid out by Answers.svelte; this handles text.
 * Lines (geotrace) and polygons are summarised by their vertex count.
 */
import type { Field } from '$domain/forms';
import type { Region } from '$domain/regions';
import { addMessages, fmtNumber, i18n, loc, t } from '$lib/i18n.svelte';
import { review } from '$lib/messages/review';

addMessages(review);

export function isAnswered(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

function withUnit(n: number, unit: { zh: string; en: string } | undefined, digits?: number): string {
  const s = fmtNumber(n, digits);
  return unit ? `${s} ${loc(unit)}` : s;
}

/** A calendar date `YYYY-MM-DD` in the user's language (no time zone shift: it is a date, not an instant). */
export function fmtCalendarDate(v: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return v;
  return new Intl.DateTimeFormat(i18n.locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)));
}

export function formatAnswer(field: Field, v: unknown, regions: readonly Region[]): string {
  switch (field.type) {
    case 'integer':
      return typeof v === 'number' ? withUnit(v, field.unit) : String(v);
    case 'decimal':
      return typeof v === 'number' ? withUnit(v, field.unit) : String(v);
    case 'calculate':
      return typeof v === 'number' ? withUnit(v, field.unit, field.precision) : String(v);
    case 'year':
      return String(v);
    case 'date':
      return typeof v === 'string' ? fmtCalendarDate(v) : String(v);
    case 'boolean':
      return v === true ? t('common.yes') : v === false ? t('common.no') : String(v);
    case 'select_one': {
      const c = field.choices.find((x) => x.value === v);
      return c ? loc(c.label) : String(v);
    }
    case 'select_multiple': {
      const values = Array.isArray(v) ? v : [v];
      const sep = i18n.lang === 'zh' ? '、' : ', ';
      return values.map((x) => loc(field.choices.find((c) => c.value === x)?.label) || String(x)).join(sep);
    }
    case 'region': {
      const r = regions.find((x) => x.code === v);
      return r ? loc(r.name) : String(v);
    }
    case 'geopoint': {
      const p = v as { lat?: number; lng?: number; accuracy?: number };
      if (typeof p?.lat !== 'number' || typeof p?.lng !== 'number') return String(v);
      const s = t('review.geopoint', { lat: fmtNumber(p.lat, 6), lng: fmtNumber(p.lng, 6) });
      return typeof p.accuracy === 'number' ? s + t('review.geopoint.accuracy', { accuracy: fmtNumber(p.accuracy) }) : s;
    }
    case 'geoshape': {
      const rings = (v as { coordinates?: unknown[][] })?.coordinates;
      const n = Array.isArray(rings) ? rings.reduce((a, r) => a + (Array.isArray(r) ? Math.max(0, r.length - 1) : 0), 0) : 0;
      return t('review.geoshape', { n });
    }
    case 'geotrace': {
      const pts = (v as { coordinates?: unknown[] })?.coordinates;
      return t('review.geotrace', { n: Array.isArray(pts) ? pts.length : 0 });
    }
    case 'note':
      return ''; // notes hold no answer; callers skip them
    case 'text':
      return String(v);
    default:
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}
