/**
 * manage-objects — the survey lists (清查名录, API.md "Survey objects"): listing, adding, closing and assigning
 * objects, and importing a list (preview → commit). Region boundaries live in manage-boundaries.ts.
 *
 * Authorization (access.ts): `objects.read` for lists; `objects.manage` (admin; reviewer of the sector in their
 * regions) for import, add, close and assign; `objects.found` lets staff add an object they found in the field (新增).
 * An object outside the caller's sector or regions answers 404, as a submission does.
 *
 * Every change of objects is one `writeObjects` transaction holding the objects (conditioned on create or on the
 * version read) and the object counters of the cells they move, so a cell's target never drifts from its list.
 */
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { can, scopeFor } from '#domain/access';
import { DomainError, type FieldError } from '#domain/errors';
import type { FormDefinition, Localized } from '#domain/forms';
import { AssignBody, NewObjectBody, ObjectStatusBody } from '#domain/object-bodies';
import {
  CHINA_BOUNDS,
  insideChina,
  OBJECT_CODE,
  OBJECT_STATUSES,
  mergeCellDeltas,
  objectCountDelta,
  objectId,
  type LatLng,
  type ObjectStatus,
  type SurveyObject,
} from '#domain/objects';
import type { Principal } from '#domain/principal';
import { contains, isRegionCode, withinAny, type Region } from '#domain/regions';
import { expiresAt } from './jobs';
import { readPage } from './list-submissions';
import { MAX_OBJECT_BATCH, WriteConflict, type JobRecord, type ObjectCellDelta, type ObjectWrite, type Ports } from './ports';
import type { CellValue } from '#domain/tabular';
import { readCsv, readXlsx, sniffFormat } from './spreadsheets';

export const MAX_LIST_LIMIT = 1000;
export const DEFAULT_LIST_LIMIT = 200;
/** Rows of one object list file (a township's rural houses run to a few thousand; a district's to tens of thousands). */
export const MAX_IMPORT_ROWS = 50_000;
/** Located errors returned by a preview (the count is always exact). */
const ERRORS_SHOWN = 500;
const SAMPLE_SIZE = 20;

function notFound(id: string): DomainError {
  return new DomainError('resource.not-found', `No survey object ${id}`);
}

function zodErrors(issues: readonly { path: PropertyKey[]; message: string }[]): FieldError[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', code: 'invalid', message: { zh: i.message, en: i.message } }));
}

/** The object table a form id names (a current form with `unit: 'object'`), or a 422 at `path`. */
async function objectForm(ports: Ports, formId: string, path = 'formId'): Promise<FormDefinition> {
  const form = await ports.directory.currentForm(formId);
  if (!form || form.unit !== 'object') {
    throw new DomainError('object.invalid', `${formId} is not an object table`, [
      { path, code: 'object-form', message: { zh: '不是按调查对象填报的表', en: 'Not an object table' } },
    ]);
  }
  return form;
}

/** Every object table the principal may read (by sector), in id order. */
async function readableObjectForms(ports: Ports, principal: Principal): Promise<FormDefinition[]> {
  const scope = scopeFor(principal, 'objects.read');
  const forms: FormDefinition[] = [];
  for (const s of await ports.directory.listForms()) {
    if (scope.sectors !== 'all' && !scope.sectors.includes(s.sector)) continue;
    const def = await ports.directory.currentForm(s.id);
    if (def?.unit === 'object') forms.push(def);
  }
  return forms.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function visible(principal: Principal, o: Pick<SurveyObject, 'regionCode'>, form: Pick<FormDefinition, 'sector'>): boolean {
  return can(principal, 'objects.read', { sector: form.sector, regionCode: o.regionCode });
}

// ───────────────────────────── reading ─────────────────────────────

export interface ObjectListQuery {
  formId?: string;
  regionCode?: string;
  status?: string;
  assignee?: string;
  q?: string;
  cursor?: string;
  limit?: string;
}

function badParameter(name: string, message: Localized): DomainError {
  return new DomainError('request.bad-parameter', `${name}: ${message.en}`, [{ path: name, code: 'invalid', message }]);
}

export async function listObjects(ports: Ports, principal: Principal, q: ObjectListQuery) {
  if (!can(principal, 'objects.read')) throw new DomainError('access.forbidden', 'You cannot read survey lists');
  const limit = q.limit === undefined ? DEFAULT_LIST_LIMIT : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw badParameter('limit', { zh: `应为1至${MAX_LIST_LIMIT}的整数`, en: `An integer from 1 to ${MAX_LIST_LIMIT}` });
  if (q.status !== undefined && !(OBJECT_STATUSES as readonly string[]).includes(q.status)) {
    throw badParameter('status', { zh: `应为 ${OBJECT_STATUSES.join('、')} 之一`, en: `One of ${OBJECT_STATUSES.join(', ')}` });
  }
  if (q.q !== undefined && q.q.length > 100) throw badParameter('q', { zh: '搜索词过长', en: 'At most 100 characters' });
  let forms = await readableObjectForms(ports, principal);
  if (q.formId !== undefined) forms = forms.filter((f) => f.id === q.formId);
  if (q.formId !== undefined && !forms.length) throw new DomainError('resource.not-found', `No object table ${q.formId} you can read`);
  const scope = scopeFor(principal, 'objects.read');
  let regions: string[];
  const county = (await ports.directory.regions()).find((r) => r.level === 'county')?.code;
  if (q.regionCode !== undefined) {
    if (!isRegionCode(q.regionCode)) throw badParameter('regionCode', { zh: '不是区划代码', en: 'Not a region code' });
    if (scope.regions === 'all') regions = [q.regionCode];
    else if (withinAny(scope.regions, q.regionCode)) regions = [q.regionCode];
    else {
      // An ancestor of the caller's scope lists what the caller may see below it.
      regions = scope.regions.filter((r) => contains(q.regionCode!, r));
      if (!regions.length) throw new DomainError('access.forbidden', `Region ${q.regionCode} is outside your regions`);
    }
  } else regions = scope.regions === 'all' ? (county ? [county] : []) : scope.regions;
  if (!forms.length || !regions.length) return { items: [], nextCursor: null };
  const assignee = q.assignee === 'me' ? principal.userId : q.assignee;
  const page = await readPage(q.cursor, () => ports.objects.list({
    formIds: forms.map((f) => f.id),
    regions,
    limit,
    ...(q.status ? { status: q.status as ObjectStatus } : {}),
    ...(assignee ? { assignee } : {}),
    ...(q.q ? { q: q.q.normalize('NFC').trim() } : {}),
    ...(q.cursor ? { cursor: q.cursor } : {}),
  }));
  return page;
}

export async function getObject(ports: Ports, principal: Principal, id: string): Promise<SurveyObject> {
  const o = await ports.objects.get(id);
  if (!o) throw notFound(id);
  const form = await ports.directory.currentForm(o.formId);
  if (!form || !visible(principal, o, form)) throw notFound(id);
  return o;
}

// ───────────────────────────── single changes ─────────────────────────────

async function checkRegion(ports: Ports, form: FormDefinition, regionCode: string, path: string): Promise<Region> {
  const region = (await ports.directory.regions()).find((r) => r.code === regionCode);
  if (!region) throw new DomainError('object.invalid', `No region ${regionCode}`, [{ path, code: 'region.unknown', message: IMPORT_MESSAGES['region.unknown']! }]);
  if (region.level !== form.regionLevel) {
    throw new DomainError('object.invalid', `${form.id} lists objects by ${form.regionLevel}`, [{ path, code: 'region.level', message: levelMessage(form.regionLevel) }]);
  }
  return region;
}

export async function createObject(ports: Ports, principal: Principal, body: unknown): Promise<SurveyObject> {
  const parsed = NewObjectBody.safeParse(body);
  if (!parsed.success) throw new DomainError('object.invalid', 'The object needs attention', zodErrors(parsed.error.issues));
  const b = parsed.data;
  const form = await objectForm(ports, b.formId);
  const found = b.found === true;
  const resource = { sector: form.sector, regionCode: b.regionCode };
  if (!can(principal, 'objects.manage', resource) && !(found && can(principal, 'objects.found', resource))) {
    throw new DomainError('access.forbidden', found ? `You cannot add objects of ${form.id} in ${b.regionCode}` : 'Only administrators and reviewers add listed objects; mark it as found in the field');
  }
  await checkRegion(ports, form, b.regionCode, 'regionCode');
  if (b.assignee !== undefined) await checkAssignee(ports, form, [b.regionCode], b.assignee);
  const at = ports.now().toISOString();
  const code = b.code ?? `N${at.slice(2, 10).replaceAll('-', '')}${randomBytes(3).toString('hex').toUpperCase()}`;
  const o: SurveyObject = {
    id: objectId(form.id, code),
    formId: form.id,
    regionCode: b.regionCode,
    code,
    name: b.name.normalize('NFC'),
    ...(b.location ? { location: b.location } : {}),
    status: 'pending',
    ...(b.assignee ? { assignee: b.assignee } : found && principal.role === 'staff' ? { assignee: principal.userId } : {}),
    ...(found ? { found: true as const } : {}),
    version: 1,
    createdAt: at,
    createdBy: principal.userId,
    updatedAt: at,
    updatedBy: principal.userId,
  };
  try {
    await ports.objects.writeObjects([{ next: o, expect: { create: true } }], [{ formId: o.formId, regionCode: o.regionCode, delta: objectCountDelta(null, 'pending') }]);
  } catch (e) {
    if (!(e instanceof WriteConflict)) throw e;
    const existing = await ports.objects.get(o.id);
    if (existing && existing.createdBy === principal.userId && existing.name === o.name && existing.regionCode === o.regionCode && existing.version === 1) return existing;
    throw new DomainError('object.exists', `${form.id} already lists an object with code ${code}`, [
      { path: 'code', code: 'code.duplicate', message: { zh: '该编码已被使用', en: 'This code is taken' } },
    ]);
  }
  return o;
}

export async function setObjectStatus(ports: Ports, principal: Principal, id: string, ifMatch: number | undefined, body: unknown): Promise<SurveyObject> {
  const parsed = ObjectStatusBody.safeParse(body);
  if (!parsed.success) throw new DomainError('object.invalid', 'The status change needs attention', zodErrors(parsed.error.issues));
  const o = await getObject(ports, principal, id);
  const form = await objectForm(ports, o.formId);
  if (!can(principal, 'objects.manage', { sector: form.sector, regionCode: o.regionCode })) {
    throw new DomainError('access.forbidden', 'Only administrators and reviewers of the sector close objects');
  }
  if (ifMatch === undefined) throw new DomainError('version.required', 'Send If-Match with the version you read');
  const { status, note } = parsed.data;
  if (o.version !== ifMatch) {
    // A retry of the change that already happened is answered as that success.
    if (o.version === ifMatch + 1 && o.status === status && o.note === note && o.updatedBy === principal.userId) return o;
    throw new DomainError('version.stale', `The object's current version is ${o.version}`);
  }
  if (o.status === 'surveyed' || o.submissionId) {
    throw new DomainError('object.surveyed', `Record ${o.submissionId} surveys this object; void it first`);
  }
  const at = ports.now().toISOString();
  const next: SurveyObject = { ...o, status, note: note.normalize('NFC'), version: o.version + 1, updatedAt: at, updatedBy: principal.userId };
  try {
    await ports.objects.writeObjects([{ next, expect: { version: o.version } }], [{ formId: o.formId, regionCode: o.regionCode, delta: objectCountDelta(o.status, status) }]);
  } catch (e) {
    if (e instanceof WriteConflict) throw new DomainError('version.stale', 'The object changed meanwhile; reload it');
    throw e;
  }
  return next;
}

/** The assignee must be an active staff member of the form's sector whose regions cover every region given. */
async function checkAssignee(ports: Ports, form: FormDefinition, regionCodes: readonly string[], userId: string): Promise<void> {
  const m = await ports.directory.member(userId);
  const problem = (zh: string, en: string) => new DomainError('object.invalid', en, [{ path: 'assignee', code: 'assignee', message: { zh, en } }]);
  if (!m || (m.status ?? 'active') !== 'active') throw problem('没有此在职成员', 'No such active member');
  if (m.role !== 'staff' || m.sector !== form.sector) throw problem('只能分配给本行业的填报人员', 'Assign to a staff member of the sector');
  const outside = regionCodes.find((c) => !withinAny(m.regions, c));
  if (outside) throw problem(`该成员的负责区域不包含 ${outside}`, `The member's regions do not cover ${outside}`);
}

export async function assignObjects(ports: Ports, principal: Principal, body: unknown): Promise<{ assigned: number }> {
  const parsed = AssignBody.safeParse(body);
  if (!parsed.success) throw new DomainError('object.invalid', 'The assignment needs attention', zodErrors(parsed.error.issues));
  const b = parsed.data;
  let objects: SurveyObject[];
  if (b.ids) {
    objects = await ports.objects.getMany(b.ids);
    const missing = b.ids.filter((id) => !objects.some((o) => o.id === id));
    if (missing.length) throw notFound(missing[0]!);
  } else {
    await objectForm(ports, b.formId!);
    objects = [];
    let cursor: string | undefined;
    do {
      const page = await ports.objects.list({ formIds: [b.formId!], regions: [b.regionCode!], limit: 1000, ...(cursor ? { cursor } : {}) });
      objects.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  const forms = new Map<string, FormDefinition>();
  for (const o of objects) {
    if (!forms.has(o.formId)) forms.set(o.formId, await objectForm(ports, o.formId, 'ids'));
    const form = forms.get(o.formId)!;
    if (!visible(principal, o, form)) throw notFound(o.id);
    if (!can(principal, 'objects.manage', { sector: form.sector, regionCode: o.regionCode })) throw new DomainError('access.forbidden', 'Only administrators and reviewers of the sector assign objects');
  }
  if (b.assignee !== null) {
    for (const form of forms.values()) {
      await checkAssignee(ports, form, [...new Set(objects.filter((o) => o.formId === form.id).map((o) => o.regionCode))], b.assignee);
    }
  }
  const at = ports.now().toISOString();
  let assigned = 0;
  for (let i = 0; i < objects.length; i += MAX_OBJECT_BATCH) {
    let batch = objects.slice(i, i + MAX_OBJECT_BATCH);
    for (let attempt = 0; ; attempt++) {
      const changed = batch.filter((o) => (o.assignee ?? null) !== b.assignee);
      const writes: ObjectWrite[] = changed.map((o) => {
        const { assignee: _old, ...rest } = o;
        return { next: { ...rest, ...(b.assignee ? { assignee: b.assignee } : {}), version: o.version + 1, updatedAt: at, updatedBy: principal.userId }, expect: { version: o.version } };
      });
      try {
        if (writes.length) await ports.objects.writeObjects(writes, []);
        assigned += writes.length;
        break;
      } catch (e) {
        if (!(e instanceof WriteConflict) || attempt >= 3) throw e instanceof WriteConflict ? new DomainError('version.stale', 'Objects changed meanwhile; try again') : e;
        batch = await ports.objects.getMany(batch.map((o) => o.id));
      }
    }
  }
  return { assigned };
}

// ───────────────────────────── import: preview → commit ─────────────────────────────

export const IMPORT_MESSAGES: Record<string, Localized> = {
  'region.unknown': { zh: '本区没有此区划代码', en: 'No such region in this district' },
  'region.outside-scope': { zh: '不在您负责的区域内', en: 'Outside your regions' },
  'region.surveyed': { zh: '已有记录的调查对象不能改区划', en: 'An object with a record cannot move to another region' },
  'code.invalid': { zh: '编码只能含字母、数字和 _ . -,最长64位', en: 'Letters, digits, _ . - only, at most 64' },
  'code.missing': { zh: '缺少编码', en: 'The code is missing' },
  'code.duplicate': { zh: '编码在文件中重复', en: 'This code appears twice in the file' },
  'name.missing': { zh: '缺少名称', en: 'The name is missing' },
  'location.invalid': { zh: '经纬度应同时填写且为数字', en: 'Give both latitude and longitude, as numbers' },
  'location.outside-china': {
    zh: `坐标不在中国境内(纬度${CHINA_BOUNDS.minLat}–${CHINA_BOUNDS.maxLat},经度${CHINA_BOUNDS.minLng}–${CHINA_BOUNDS.maxLng}),经纬度是否填反?`,
    en: `Outside China (lat ${CHINA_BOUNDS.minLat}–${CHINA_BOUNDS.maxLat}, lng ${CHINA_BOUNDS.minLng}–${CHINA_BOUNDS.maxLng}); are latitude and longitude swapped?`,
  },
  'file.columns': { zh: '缺少必需的列:code(编码)、name(名称)、region_code(行政区划代码)', en: 'Required columns: code, name, region_code' },
  'file.unreadable': { zh: '无法读取文件,请上传 CSV、XLSX 或 GeoJSON', en: 'The file cannot be read: upload CSV, XLSX or GeoJSON' },
  'file.too-many-rows': { zh: `一个文件最多 ${MAX_IMPORT_ROWS} 行`, en: `At most ${MAX_IMPORT_ROWS} rows per file` },
  'file.empty': { zh: '文件中没有数据行', en: 'The file has no data rows' },
};

function levelMessage(level: string): Localized {
  const zh = { county: '区县', township: '乡镇(街道)', village: '村(社区)' }[level] ?? level;
  return { zh: `此表按${zh}级区划登记对象`, en: `This table lists objects by ${level}` };
}

export interface ImportRowError {
  row: number;
  column: string;
  code: string;
  message: Localized;
}

/** One row as read from the file, before checks. */
interface RawRow {
  row: number;
  code: string;
  name: string;
  regionCode: string;
  lat: string;
  lng: string;
}

const HEADER_NAMES: Record<keyof Omit<RawRow, 'row'>, string[]> = {
  code: ['code', '编码', '代码', '对象编码', '编号'],
  name: ['name', '名称', '对象名称'],
  regionCode: ['region_code', 'regioncode', 'region', '行政区划代码', '区划代码'],
  lat: ['lat', 'latitude', '纬度'],
  lng: ['lng', 'lon', 'longitude', '经度'],
};

function cellText(v: CellValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  return String(v).normalize('NFC').trim();
}

/** Rows of a CSV/XLSX table: the header row names the columns (English or Chinese); data rows numbered as the sheet shows them. */
function rowsOfTable(cells: CellValue[][]): RawRow[] | ImportRowError {
  const header = (cells[0] ?? []).map((c) => cellText(c).toLowerCase().replace(/\s+/g, ''));
  const col = {} as Record<keyof Omit<RawRow, 'row'>, number>;
  for (const [k, names] of Object.entries(HEADER_NAMES) as [keyof Omit<RawRow, 'row'>, string[]][]) col[k] = header.findIndex((h) => names.includes(h));
  if (col.code < 0 || col.name < 0 || col.regionCode < 0) return { row: 1, column: '', code: 'file.columns', message: IMPORT_MESSAGES['file.columns']! };
  const rows: RawRow[] = [];
  cells.slice(1).forEach((r, i) => {
    const get = (k: keyof typeof col) => (col[k] >= 0 ? cellText(r[col[k]]) : '');
    const row = { row: i + 2, code: get('code'), name: get('name'), regionCode: get('regionCode'), lat: get('lat'), lng: get('lng') };
    if (row.code || row.name || row.regionCode || row.lat || row.lng) rows.push(row);
  });
  return rows;
}

/** Point features of a GeoJSON FeatureCollection (row = feature index + 1). */
function rowsOfGeojson(doc: unknown): RawRow[] | ImportRowError {
  const features = (doc as { type?: unknown; features?: unknown })?.type === 'FeatureCollection' ? (doc as { features: unknown }).features : undefined;
  if (!Array.isArray(features)) return { row: 1, column: '', code: 'file.unreadable', message: IMPORT_MESSAGES['file.unreadable']! };
  return features.map((f, i) => {
    const p = ((f as { properties?: Record<string, unknown> })?.properties ?? {}) as Record<string, unknown>;
    const g = (f as { geometry?: { type?: string; coordinates?: unknown } })?.geometry;
    const pick = (k: keyof typeof HEADER_NAMES) => {
      const key = Object.keys(p).find((n) => HEADER_NAMES[k].includes(n.toLowerCase()));
      return key === undefined ? '' : cellText(p[key] as CellValue);
    };
    const c = g?.type === 'Point' && Array.isArray(g.coordinates) ? (g.coordinates as unknown[]) : null;
    return {
      row: i + 1,
      code: pick('code'),
      name: pick('name'),
      regionCode: pick('regionCode'),
      lat: c ? String(c[1] ?? '') : g ? 'x' : '',
      lng: c ? String(c[0] ?? '') : g ? 'x' : '',
    };
  });
}

async function readRows(bytes: Uint8Array, contentType: string | undefined): Promise<RawRow[] | ImportRowError> {
  const text = () => new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
  const jsonLike = /json/.test(contentType ?? '') || /^\s*\{/.test(text().slice(0, 64));
  try {
    if (jsonLike && sniffFormat(bytes) !== 'xlsx') return rowsOfGeojson(JSON.parse(text()));
    return rowsOfTable(sniffFormat(bytes) === 'xlsx' ? await readXlsx(bytes) : readCsv(bytes));
  } catch {
    return { row: 1, column: '', code: 'file.unreadable', message: IMPORT_MESSAGES['file.unreadable']! };
  }
}

function parseCoordinate(s: string): number | null {
  if (!/^[-+]?\d+(\.\d+)?$/.test(s)) return null;
  return Number(s);
}

/** An object list checked row by row: the objects of the valid rows, and every located error. */
export function checkObjectRows(rows: readonly RawRow[], form: Pick<FormDefinition, 'id' | 'regionLevel' | 'sector'>, regions: readonly Region[], inScope: (regionCode: string) => boolean) {
  const byCode = new Map(regions.map((r) => [r.code, r]));
  const firstRow = new Map<string, number>();
  const errors: ImportRowError[] = [];
  const valid: { row: number; code: string; name: string; regionCode: string; location?: LatLng }[] = [];
  const err = (row: number, column: string, code: string, message = IMPORT_MESSAGES[code]!) => errors.push({ row, column, code, message });
  for (const r of rows) {
    const before = errors.length;
    if (!r.code) err(r.row, 'code', 'code.missing');
    else if (!OBJECT_CODE.test(r.code)) err(r.row, 'code', 'code.invalid');
    else if (firstRow.has(r.code)) err(r.row, 'code', 'code.duplicate', { zh: `编码与第${firstRow.get(r.code)}行重复`, en: `Same code as row ${firstRow.get(r.code)}` });
    else firstRow.set(r.code, r.row);
    if (!r.name) err(r.row, 'name', 'name.missing');
    const region = byCode.get(r.regionCode);
    if (!region) err(r.row, 'region_code', 'region.unknown');
    else if (region.level !== form.regionLevel) err(r.row, 'region_code', 'region.level', levelMessage(form.regionLevel));
    else if (!inScope(r.regionCode)) err(r.row, 'region_code', 'region.outside-scope');
    let location: LatLng | undefined;
    if (r.lat || r.lng) {
      const lat = parseCoordinate(r.lat);
      const lng = parseCoordinate(r.lng);
      if (lat === null || lng === null) err(r.row, r.lat && lat !== null ? 'lng' : 'lat', 'location.invalid');
      else if (!insideChina({ lat, lng })) err(r.row, 'lat', 'location.outside-china');
      else location = { lat, lng };
    }
    if (errors.length === before) valid.push({ row: r.row, code: r.code, name: r.name, regionCode: r.regionCode, ...(location ? { location } : {}) });
  }
  return { valid, errors };
}

export interface ObjectImportJob extends JobRecord {
  kind: 'object-import';
  formId: string;
  sector: string;
  rows: number;
  valid: number;
  errorCount: number;
  errors: ImportRowError[];
  counts: { create: number; update: number; unchanged: number };
  /** The checked list (files store), read again at commit. */
  key: string;
  result?: { created: number; updated: number; unchanged: number };
  /** A commit under way: the rows before `next` are written, with these tallies. */
  progress?: { next: number; created: number; updated: number; unchanged: number };
}

/** How long one commit request writes before it answers 202 with its progress (API Gateway cuts requests at 30 s). */
export const COMMIT_BUDGET_MS = 6_000;

export type CommitAnswer =
  | { done: true; result: { created: number; updated: number; unchanged: number } }
  | { done: false; progress: { state: 'committing'; committed: number; total: number; created: number; updated: number; unchanged: number } };

type Listed = ReturnType<typeof checkObjectRows>['valid'][number];

function sameLocation(a: LatLng | undefined, b: LatLng | undefined): boolean {
  return (a === undefined && b === undefined) || (a !== undefined && b !== undefined && a.lat === b.lat && a.lng === b.lng);
}

/** What importing `row` does to the stored object: create, update (name, region, location) or nothing. */
function planRow(row: Listed, existing: SurveyObject | undefined): 'create' | 'update' | 'unchanged' | 'region.surveyed' {
  if (!existing) return 'create';
  if (existing.name === row.name && existing.regionCode === row.regionCode && sameLocation(existing.location, row.location)) return 'unchanged';
  if (existing.regionCode !== row.regionCode && existing.submissionId) return 'region.surveyed';
  return 'update';
}

async function existingOf(ports: Ports, formId: string, rows: readonly Listed[]): Promise<Map<string, SurveyObject>> {
  const out = new Map<string, SurveyObject>();
  for (let i = 0; i < rows.length; i += 100) {
    for (const o of await ports.objects.getMany(rows.slice(i, i + 100).map((r) => objectId(formId, r.code)))) out.set(o.id, o);
  }
  return out;
}

export async function previewObjectImport(ports: Ports, principal: Principal, formId: string | undefined, body: unknown, contentType: string | undefined) {
  if (!formId) throw badParameter('formId', { zh: '请指定对象表', en: 'Give the object table (formId)' });
  const form = await objectForm(ports, formId);
  if (!can(principal, 'objects.manage', { sector: form.sector })) throw new DomainError('access.forbidden', 'Only administrators and reviewers of the sector import object lists');
  if (!(body instanceof Uint8Array) || body.length === 0) {
    throw new DomainError('object-import.invalid', 'Send the list as the body', [{ path: '(body)', code: 'file.empty', message: IMPORT_MESSAGES['file.empty']! }]);
  }
  const read = await readRows(body, contentType);
  if (!Array.isArray(read)) throw new DomainError('object-import.invalid', read.message.en, [{ path: '(body)', code: read.code, message: read.message, row: read.row }]);
  if (!read.length) throw new DomainError('object-import.invalid', 'No data rows', [{ path: '(body)', code: 'file.empty', message: IMPORT_MESSAGES['file.empty']! }]);
  if (read.length > MAX_IMPORT_ROWS) throw new DomainError('object-import.invalid', `${read.length} rows`, [{ path: '(body)', code: 'file.too-many-rows', message: IMPORT_MESSAGES['file.too-many-rows']! }]);
  const regions = await ports.directory.regions();
  const checked = checkObjectRows(read, form, regions, (c) => can(principal, 'objects.manage', { sector: form.sector, regionCode: c }));
  const existing = await existingOf(ports, form.id, checked.valid);
  const counts = { create: 0, update: 0, unchanged: 0 };
  const valid: Listed[] = [];
  for (const r of checked.valid) {
    const plan = planRow(r, existing.get(objectId(form.id, r.code)));
    if (plan === 'region.surveyed') checked.errors.push({ row: r.row, column: 'region_code', code: plan, message: IMPORT_MESSAGES[plan]! });
    else {
      counts[plan]++;
      valid.push(r);
    }
  }
  checked.errors.sort((a, b) => a.row - b.row);
  const id = ports.newId();
  const at = ports.now();
  const key = `imports/objects/${id}.json`;
  await ports.files.putStream(key, Readable.from([Buffer.from(JSON.stringify(valid), 'utf8')]), 'application/json');
  const job: ObjectImportJob = {
    kind: 'object-import',
    id,
    createdBy: principal.userId,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    formId: form.id,
    sector: form.sector,
    rows: read.length,
    valid: valid.length,
    errorCount: checked.errors.length,
    errors: checked.errors.slice(0, ERRORS_SHOWN),
    counts,
    key,
  };
  await ports.directory.putJob(job, expiresAt(at));
  return importView(job, valid.slice(0, SAMPLE_SIZE).map((r) => ({ ...r, formId: form.id, id: objectId(form.id, r.code) })));
}

function importView(job: ObjectImportJob, sample?: unknown[]) {
  return {
    id: job.id,
    formId: job.formId,
    rows: job.rows,
    valid: job.valid,
    errorCount: job.errorCount,
    errors: job.errors,
    counts: job.counts,
    ...(sample ? { sample } : {}),
    ...(job.result ? { result: job.result } : {}),
    ...(job.progress && !job.result ? { progress: { committed: job.progress.next, created: job.progress.created, updated: job.progress.updated, unchanged: job.progress.unchanged } } : {}),
  };
}

async function loadImport(ports: Ports, principal: Principal, id: string): Promise<ObjectImportJob> {
  const job = await ports.directory.getJob<ObjectImportJob>('object-import', id);
  if (!job || (job.createdBy !== principal.userId && principal.role !== 'admin')) throw new DomainError('resource.not-found', `No object import ${id}`);
  return job;
}

export async function getObjectImport(ports: Ports, principal: Principal, id: string) {
  return importView(await loadImport(ports, principal, id));
}

/**
 * Commit a previewed list: created objects count in their cells in the same transaction; changed ones keep their
 * status, assignee and record. The list is compared with the store again (it may have changed since the preview), so
 * a commit that was cut off and is sent again finishes the work without counting anything twice.
 *
 * A long list is written over several requests: each writes batches for about `budgetMs`, records how far it got, and
 * answers 202 with the progress; the client sends the same commit again until it answers 200 with the result (a
 * request never nears API Gateway's 30 s or the function's timeout, and the office sees the count go up).
 */
export async function commitObjectImport(ports: Ports, principal: Principal, id: string, budgetMs = Number(process.env.OBJECT_COMMIT_BUDGET_MS) || COMMIT_BUDGET_MS): Promise<CommitAnswer> {
  const started = Date.now();
  const job = await loadImport(ports, principal, id);
  if (job.result) return { done: true, result: job.result };
  if (job.errorCount > 0) {
    throw new DomainError('object-import.invalid', `${job.errorCount} row(s) have errors`, [
      { path: '(body)', code: 'import.has-errors', message: { zh: `有${job.errorCount}行错误,请修改文件后重新预览`, en: `${job.errorCount} row(s) have errors: fix the file and preview again` } },
    ]);
  }
  const form = await objectForm(ports, job.formId);
  if (!can(principal, 'objects.manage', { sector: form.sector })) throw new DomainError('access.forbidden', 'Only administrators and reviewers of the sector import object lists');
  const bytes = await ports.files.getBytes(job.key, 64 * 1024 * 1024);
  if (!bytes) throw new DomainError('resource.gone', 'The preview has expired; upload the list again');
  const rows = JSON.parse(Buffer.from(bytes).toString('utf8')) as Listed[];
  const result = { created: job.progress?.created ?? 0, updated: job.progress?.updated ?? 0, unchanged: job.progress?.unchanged ?? 0 };
  const at = ports.now().toISOString();
  for (let i = job.progress?.next ?? 0; i < rows.length; i += MAX_OBJECT_BATCH) {
    if (Date.now() - started > budgetMs && i > (job.progress?.next ?? 0)) {
      const progress = { next: i, ...result };
      const next: ObjectImportJob = { ...job, progress, updatedAt: ports.now().toISOString() };
      await ports.directory.putJob(next, expiresAt(ports.now()));
      return { done: false, progress: { state: 'committing', committed: i, total: rows.length, ...result } };
    }
    const chunk = rows.slice(i, i + MAX_OBJECT_BATCH);
    for (let attempt = 0; ; attempt++) {
      const existing = await existingOf(ports, form.id, chunk);
      const writes: ObjectWrite[] = [];
      const cells: ObjectCellDelta[] = [];
      const tally = { created: 0, updated: 0, unchanged: 0 };
      for (const r of chunk) {
        const old = existing.get(objectId(form.id, r.code));
        const plan = planRow(r, old);
        if (plan === 'unchanged' || plan === 'region.surveyed') {
          tally.unchanged++;
          continue;
        }
        if (plan === 'create') {
          const next: SurveyObject = {
            id: objectId(form.id, r.code),
            formId: form.id,
            regionCode: r.regionCode,
            code: r.code,
            name: r.name,
            ...(r.location ? { location: r.location } : {}),
            status: 'pending',
            version: 1,
            createdAt: at,
            createdBy: principal.userId,
            updatedAt: at,
            updatedBy: principal.userId,
          };
          writes.push({ next, expect: { create: true } });
          cells.push({ formId: form.id, regionCode: r.regionCode, delta: objectCountDelta(null, 'pending') });
          tally.created++;
        } else {
          const { location: _l, ...rest } = old!;
          const next: SurveyObject = { ...rest, name: r.name, regionCode: r.regionCode, ...(r.location ? { location: r.location } : {}), version: old!.version + 1, updatedAt: at, updatedBy: principal.userId };
          writes.push({ next, expect: { version: old!.version } });
          if (old!.regionCode !== r.regionCode) {
            cells.push({ formId: form.id, regionCode: old!.regionCode, delta: objectCountDelta(old!.status, null) });
            cells.push({ formId: form.id, regionCode: r.regionCode, delta: objectCountDelta(null, old!.status) });
          }
          tally.updated++;
        }
      }
      try {
        if (writes.length) await ports.objects.writeObjects(writes, mergeCellDeltas(cells));
        result.created += tally.created;
        result.updated += tally.updated;
        result.unchanged += tally.unchanged;
        break;
      } catch (e) {
        if (!(e instanceof WriteConflict) || attempt >= 3) throw e;
      }
    }
  }
  const { progress: _progress, ...rest } = job;
  const done: ObjectImportJob = { ...rest, result, updatedAt: ports.now().toISOString() };
  await ports.directory.putJob(done, expiresAt(ports.now()));
  return { done: true, result };
}


