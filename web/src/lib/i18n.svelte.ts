/**
 * zh-CN by default, English selectable and remembered. Strings live in message catalogs (messages/*.ts, one per area,
 * each `{ zh: {...}, en: {...} }` with the same keys); numbers, percentages and dates are formatted with Intl.
 */
import { common } from './messages/common';
import { forms } from './messages/forms';
import { review } from './messages/review';
import { dashboard } from './messages/dashboard';
import { admin } from './messages/admin';
import { data } from './messages/data';

export type Lang = 'zh' | 'en';
type Catalog = Record<string, string>;

const CATALOGS: { zh: Catalog; en: Catalog }[] = [common, forms, review, dashboard, admin, data];
const zh: Catalog = Object.assign({}, ...CATALOGS.map((c) => c.zh));
const en: Catalog = Object.assign({}, ...CATALOGS.map((c) => c.en));
export const MESSAGES = { zh, en };

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

export function fmtNumber(n: number | null | undefined, digits?: number): string {
  if (n === null || n === undefined) return '—';
  return new Intl.NumberFormat(i18n.locale, digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
}

export function fmtPct(p: number | null | undefined): string {
  if (p === null || p === undefined) return '—';
  return new Intl.NumberFormat(i18n.locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(p / 100);
}

export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(i18n.locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(i18n.locale, { dateStyle: 'medium' }).format(new Date(iso));
}
