/**
 * zh-CN by default, English selectable and remembered. Strings live in message catalogs (messages/*.ts, one per area,
 * each `{ zh: {...}, en: {...} }` with the same keys); numbers, percentages and dates are formatted with Intl.
 *
 * The app shell carries only the common catalog (header, login, statuses, roles). Each area's catalog travels with that
 * area's pages: the page (or shared component, or helper module) that uses an area's strings calls `addMessages` with
 * its catalog at module level, so the strings are in place before anything renders — and the login page does not
 * download every screen's strings.
 */
import { common } from './messages/common';

export type Lang = 'zh' | 'en';
type Catalog = Record<string, string>;
export interface Catalogs {
  zh: Catalog;
  en: Catalog;
}

export const MESSAGES: Catalogs = { zh: { ...common.zh }, en: { ...common.en } };

const added = new Set<Catalogs>([common]);

/** Add an area's catalog to the app's strings (idempotent; keys are unique across catalogs). */
export function addMessages(...catalogs: Catalogs[]): void {
  for (const c of catalogs) {
    if (added.has(c)) continue;
    added.add(c);
    for (const lang of ['zh', 'en'] as const) Object.assign(MESSAGES[lang], c[lang]);
  }
}

const KEY = 'risk-census.lang';

function initial(): Lang {
  try {
    return localStorage.getItem(KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

class I18n {
  lang = $state<Lang>(typeof localStorage === 'undefined' ? 'zh' : initial());
  set(lang: Lang) {
    this.lang = lang;
    localStorage.setItem(KEY, lang);
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  }
  get locale(): string {
    return this.lang === 'zh' ? 'zh-CN' : 'en';
  }
}

export const i18n = new I18n();

/** Translate a key; `{name}` placeholders are filled from params. A missing key shows itself (and tests catch it). */
export function t(key: string, params: Record<string, string | number> = {}): string {
  const s = MESSAGES[i18n.lang][key] ?? MESSAGES.zh[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k: string) => (params[k] === undefined ? `{${k}}` : String(params[k])));
}

/** Pick the current language from a localized pair. */
export function loc(v: { zh: string; en: string } | undefined | null): string {
  if (!v) return '';
  return i18n.lang === 'en' ? v.en : v.zh;
}

// Formatters are costly to create (a list page formats hundreds of numbers): one per locale and kind, made on first use.
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function numberFormat(kind: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${i18n.locale}|n|${kind}`;
  let f = formatters.get(key) as Intl.NumberFormat | undefined;
  if (!f) formatters.set(key, (f = new Intl.NumberFormat(i18n.locale, options)));
  return f;
}
function dateFormat(kind: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${i18n.locale}|d|${kind}`;
  let f = formatters.get(key) as Intl.DateTimeFormat | undefined;
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(i18n.locale, options)));
  return f;
}

export function fmtNumber(n: number | null | undefined, digits?: number): string {
  if (n === null || n === undefined) return '—';
  return numberFormat(`fixed${digits ?? ''}`, digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
}

export function fmtPct(p: number | null | undefined): string {
  if (p === null || p === undefined) return '—';
  // zh-CN and en write a percentage alike ("62.5%"), and below 1000 % without grouping: that needs no ICU, whose first
  // use costs a phone tens of milliseconds — on the first paint of every list with a progress bar.
  if (p >= 0 && p < 1000) return `${p.toFixed(1)}%`;
  return numberFormat('pct', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(p / 100);
}

export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return dateFormat('datetime', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  return dateFormat('date', { dateStyle: 'medium' }).format(new Date(iso));
}
