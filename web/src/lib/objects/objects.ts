/**
 * Survey objects (清查名录) from the API: the object tables, pages of objects, everything of a query, the members an
 * object can be assigned to. Pages call these; only $lib/api talks to the backend.
 */
import { api } from '$lib/api';
import { loadDefinition, loadForms, type FormSummary } from '$lib/reference';
import type { ManualObjectStatus, ObjectStatus, SurveyObject } from '$domain/objects';

export type { SurveyObject, ObjectStatus, ManualObjectStatus };

export interface ObjectQuery {
  formId?: string;
  regionCode?: string;
  status?: ObjectStatus | '';
  assignee?: string;
  q?: string;
  cursor?: string;
  limit?: number;
}

export interface ObjectPage {
  items: SurveyObject[];
  nextCursor?: string | null;
}

/** A form summary that may say its unit (the forms list may leave it out: then the definition says it). */
type MaybeUnit = FormSummary & { unit?: 'object' | 'region' };

let tables: Promise<FormSummary[]> | undefined;

/** The object tables (forms with `unit: 'object'`) that are not retired, in catalog order. */
export function loadObjectTables(): Promise<FormSummary[]> {
  tables ??= (async () => {
    const forms = (await loadForms()) as (MaybeUnit & { retired?: true })[];
    const live = forms.filter((f) => !f.retired);
    if (live.some((f) => f.unit !== undefined)) return live.filter((f) => f.unit === 'object');
    const defs = await Promise.all(live.map((f) => loadDefinition(f.id).then((d) => [f, d.unit] as const)));
    return defs.filter(([, unit]) => unit === 'object').map(([f]) => f);
  })();
  tables.catch(() => (tables = undefined));
  return tables;
}

export function objectQuery(q: ObjectQuery): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return `/api/objects${s ? `?${s}` : ''}`;
}

export async function listObjects(q: ObjectQuery): Promise<ObjectPage> {
  return (await api.get<ObjectPage>(objectQuery(q))).body;
}

/** Every object of a query, page after page (at most `max`, a guard against a runaway list). */
export async function listAllObjects(q: ObjectQuery, max = 20_000): Promise<SurveyObject[]> {
  const out: SurveyObject[] = [];
  let cursor: string | undefined;
  do {
    const page = await listObjects({ ...q, limit: 1000, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && out.length < max);
  return out;
}

export async function getObject(id: string): Promise<{ object: SurveyObject; version: number }> {
  const r = await api.get<SurveyObject>(`/api/objects/${encodeURIComponent(id)}`);
  const tag = r.etag ? Number(r.etag.replace(/^W\//, '').replace(/"/g, '')) : NaN;
  return { object: r.body, version: Number.isFinite(tag) ? tag : r.body.version };
}

/** Close an object without a record (无需调查 / 重复) or open it again; the version guards against a concurrent change (412). */
export async function setObjectStatus(id: string, version: number, status: ManualObjectStatus, note: string): Promise<SurveyObject> {
  return (await api.post<SurveyObject>(`/api/objects/${encodeURIComponent(id)}/status`, { status, note }, api.ifMatch(version))).body;
}

export type AssignTarget = { ids: string[] } | { formId: string; regionCode: string };

export async function assignObjects(target: AssignTarget, assignee: string | null): Promise<number> {
  return (await api.post<{ assigned: number }>('/api/objects/assign', { ...target, assignee })).body.assigned;
}

export interface NewObject {
  formId: string;
  regionCode: string;
  name: string;
  code?: string;
  location?: { lat: number; lng: number };
  found?: boolean;
  assignee?: string;
}

export async function createObject(o: NewObject): Promise<SurveyObject> {
  return (await api.post<SurveyObject>('/api/objects', o)).body;
}

export interface StaffMember {
  userId: string;
  username: string;
  displayName: string;
  role: string;
  sector: string | null;
  regions?: string[];
  status: 'active' | 'disabled';
}

/** The active staff members of a sector: the people objects can be assigned to. */
export async function loadStaff(sector: string): Promise<StaffMember[]> {
  const all = (await api.get<StaffMember[]>('/api/members')).body;
  return all.filter((m) => m.role === 'staff' && m.status === 'active' && m.sector === sector).sort((a, b) => (a.username < b.username ? -1 : 1));
}

/** Counts by status of a list of objects. */
export function countByStatus(items: readonly SurveyObject[]): Record<ObjectStatus, number> {
  const c: Record<ObjectStatus, number> = { pending: 0, surveyed: 0, 'not-required': 0, duplicate: 0 };
  for (const o of items) c[o.status] += 1;
  return c;
}

/** Import preview (POST /api/objects/import). */
export interface ImportPreview {
  id: string;
  formId: string;
  rows: number;
  valid: number;
  /** Every problem of the file (`errors` may list only the first of them). */
  errorCount?: number;
  errors: { row: number; column?: string; code: string; message: { zh: string; en: string } }[];
  /** The first valid rows, as the objects they become. */
  sample: ImportSample[];
  counts: { create: number; update: number; unchanged: number };
}

export interface ImportSample {
  id: string;
  row?: number;
  code: string;
  name: string;
  regionCode: string;
  location?: { lat: number; lng: number };
}

export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
}

/** The content type the import expects for a chosen file (by its name; browsers often give none for .csv). */
export function importContentType(file: File): string | null {
  const n = file.name.toLowerCase();
  if (n.endsWith('.csv')) return 'text/csv';
  if (n.endsWith('.xlsx')) return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  if (n.endsWith('.geojson')) return 'application/geo+json';
  if (n.endsWith('.json')) return 'application/json';
  return null;
}

export async function previewImport(formId: string, file: File, contentType: string): Promise<ImportPreview> {
  return (await api.postFile<ImportPreview>(`/api/objects/import?formId=${encodeURIComponent(formId)}`, file, contentType)).body;
}

/** Progress of a long commit (202): rows written so far of the total. */
export interface CommitProgress {
  state: 'committing';
  committed: number;
  total: number;
}

/**
 * Commit a previewed list. A long list is written over several requests: while the server answers 202 with its
 * progress, the same commit is sent again (each request carries on where the last stopped) until it answers 200.
 */
export async function commitImport(id: string, onProgress?: (p: CommitProgress) => void): Promise<ImportResult> {
  for (;;) {
    const r = await api.post<ImportResult | CommitProgress>(`/api/objects/import/${encodeURIComponent(id)}/commit`);
    if (r.status !== 202) return r.body as ImportResult;
    onProgress?.(r.body as CommitProgress);
  }
}

/** The template of an object list: the header row only, made here (no download from the server). */
export const TEMPLATE_HEADER = 'code,name,region_code,lat,lng';
export function templateCsv(): string {
  // A BOM so that Excel opens the UTF-8 file with the Chinese names typed into it intact.
  return `\uFEFF${TEMPLATE_HEADER}\r\n`;
}
