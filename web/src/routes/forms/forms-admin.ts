/**
 * Shapes and helpers of the administrator's forms pages (list, upload → preview → publish, one form's versions):
 * the API's answers (API.md "Forms at run time (XLSForm)"), names for sectors, parts and levels, downloads.
 */
import type { FieldChange } from '$domain/form-diff';
import type { FormDefinition, Localized } from '$domain/forms';
import type { RegionLevel } from '$domain/regions';
import { SECTORS } from '$domain/sectors';
import { api, ApiError } from '$lib/api';
import { loc, t } from '$lib/i18n.svelte';
import { loadMe } from '$lib/reference';
import { session, type Me } from '$lib/session.svelte';

export type { FieldChange };

/** A row of GET /api/forms, as an administrator sees it. */
export interface FormRow {
  id: string;
  version: number;
  sector: string;
  part: string;
  title: Localized;
  regionLevel: RegionLevel;
  retired?: true;
  retiredAt?: string;
  retiredBy?: string;
}

/** A row of GET /api/forms/{formId}/versions. */
export interface VersionInfo {
  version: number;
  title: Localized;
  fields: number;
  publishedAt?: string;
  publishedBy?: string;
}

/** Where an XLSForm problem (or warning) is: sheet, spreadsheet row (1-based) and column header. */
export interface XlsformIssue {
  sheet?: string;
  row?: number;
  column?: string;
  path?: string;
  message: Localized;
}

/** Field changes come as a list, or as `{ fields, form }` (the domain's FormChanges). */
export type ChangesBody = FieldChange[] | { fields: FieldChange[]; form?: string[] };

/** POST /api/forms/xlsform → 200. */
export interface XlsformPreview {
  definition: FormDefinition;
  warnings: XlsformIssue[];
  current?: { version: number; retired?: true };
  changes?: ChangesBody;
}

/** GET /api/forms/{formId}/diff. */
export interface DiffBody {
  from: number;
  to: number;
  changes?: ChangesBody;
  fields?: FieldChange[];
  form?: string[];
}

export function fieldChangesOf(body: ChangesBody | DiffBody | undefined): { fields: FieldChange[]; form: string[] } {
  if (!body) return { fields: [], form: [] };
  if (Array.isArray(body)) return { fields: body, form: [] };
  if ('changes' in body && body.changes) return fieldChangesOf(body.changes);
  return { fields: ('fields' in body ? body.fields : undefined) ?? [], form: ('form' in body ? body.form : undefined) ?? [] };
}

/** A changed property for people ("choices" → "选项"); unknown ones as they are. */
export function propertyName(p: string): string {
  const k = `fa.prop.${p}`;
  const s = t(k);
  return s === k ? p : s;
}

export function sectorName(id: string): string {
  return loc(SECTORS.find((s) => s.id === id)?.name) || id;
}

export function partName(sector: string, part: string): string {
  return loc(SECTORS.find((s) => s.id === sector)?.parts.find((p) => p.id === part)?.name) || part;
}

export function levelName(level: string): string {
  return t(`fa.level.${level}`);
}

/** The signed-in profile, loading it once when the page opens before the layout has it. */
export async function currentMe(): Promise<Me | null> {
  if (session.me) return session.me;
  if (!session.token) return null;
  const me = await loadMe();
  session.setMe(me);
  return me;
}

/** A failure said for people: offline, not allowed, the server's located words, or its detail. */
export function describe(err: unknown): string {
  if (err instanceof ApiError && err.network) return t('common.offline');
  if (err instanceof ApiError && err.status === 403) return t('common.forbidden');
  if (err instanceof ApiError && err.errors.length) return err.errors.map((e) => loc(e.message)).join('；');
  if (err instanceof ApiError) return err.detail || err.code;
  return (err as Error).message;
}

/** Download one version of a form as an XLSForm workbook (the request carries the session, so no plain link). */
export async function downloadXlsform(formId: string, version: number): Promise<void> {
  const r = await api.download(`/api/forms/${encodeURIComponent(formId)}/xlsform?version=${version}`);
  const url = URL.createObjectURL(r.body);
  const a = document.createElement('a');
  a.href = url;
  a.download = r.fileName ?? `${formId}-v${version}.xlsx`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
