/**
 * list-submissions — GET /api/submissions?formId=&regionCode=&status=&mine=true&cursor=&limit=
 * Only what the caller may see: the query is narrowed to the caller's sectors and region subtrees before it runs,
 * so nothing outside scope is ever read. `regionCode` matches that region and everything below it.
 */
import { scopeFor } from '#domain/access';
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { contains, isRegionCode } from '#domain/regions';
import { isSectorId, SECTOR_IDS, type SectorId } from '#domain/sectors';
import { STATUSES, type Status } from '#domain/workflow';
import { InvalidCursor, type Page, type Ports } from './ports';
import { view, type SubmissionView } from './submission-support';

export interface ListInput {
  formId?: string;
  regionCode?: string;
  status?: string;
  mine?: string;
  cursor?: string;
  limit?: string;
  sector?: string;
}

const QUERY_KEYS = ['formId', 'regionCode', 'status', 'mine', 'cursor', 'limit', 'sector'];

function bad(path: string, en: string, zh: string): DomainError {
  return new DomainError('request.bad-parameter', en, [{ path, code: 'invalid', message: { zh, en } }]);
}

/**
 * Read one page; a cursor the store cannot start from (tampered with, or taken from another query) is the caller's
 * mistake: 400 on `cursor`, never a 500. Stores report a start key they cannot use as `InvalidCursor`; any other
 * failure stays what it is.
 */
export async function readPage<T>(cursor: string | undefined, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (cursor !== undefined && e instanceof InvalidCursor) {
      throw bad('cursor', 'Invalid cursor; start again from the first page', '游标不正确，请从第一页重新开始');
    }
    throw e;
  }
}

export function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return 50;
  const n = Number(raw);
  if (!/^\d{1,4}$/.test(raw) || n < 1 || n > 200) throw bad('limit', 'limit is 1 to 200', 'limit 应为 1 到 200');
  return n;
}

/** Intersect the requested region with the caller's scope roots: the subtrees that may be read. */
export function effectiveRegions(scope: string[] | 'all', requested: string | undefined, district: string): string[] {
  const roots = scope === 'all' ? [district] : scope;
  if (!requested) return roots;
  const out: string[] = [];
  for (const r of roots) {
    if (contains(r, requested)) out.push(requested);
    else if (contains(requested, r)) out.push(r);
  }
  return [...new Set(out)];
}

export async function listSubmissions(ports: Ports, principal: Principal, q: ListInput & Record<string, string | undefined>): Promise<Page<SubmissionView>> {
  const unknown = Object.keys(q).filter((k) => !QUERY_KEYS.includes(k));
  if (unknown.length) throw bad(unknown[0]!, `Unknown parameter ${unknown[0]}`, `未知参数 ${unknown[0]}`);
  const limit = parseLimit(q.limit);
  if (q.regionCode !== undefined && !isRegionCode(q.regionCode)) throw bad('regionCode', 'regionCode is a 12-digit region code', 'regionCode 应为 12 位区划代码');
  if (q.status !== undefined && !(STATUSES as readonly string[]).includes(q.status)) throw bad('status', `status is one of ${STATUSES.join(', ')}`, '状态不正确');
  if (q.mine !== undefined && q.mine !== 'true' && q.mine !== 'false') throw bad('mine', 'mine is true or false', 'mine 应为 true 或 false');
  if (q.sector !== undefined && !isSectorId(q.sector)) throw bad('sector', 'Unknown sector', '没有此系统');
  if (q.cursor !== undefined && !/^[A-Za-z0-9_-]{1,2000}$/.test(q.cursor)) throw bad('cursor', 'Invalid cursor', '游标不正确');

  const scope = scopeFor(principal, 'submission.read');
  let sectors: SectorId[] = scope.sectors === 'all' ? [...SECTOR_IDS] : scope.sectors;
  if (q.sector) sectors = sectors.filter((s) => s === q.sector);
  if (q.formId !== undefined) {
    const forms = await ports.directory.listForms();
    const form = forms.find((f) => f.id === q.formId);
    if (!form) return { items: [], nextCursor: null };
    sectors = sectors.filter((s) => s === form.sector);
  }
  const regions = await ports.directory.regions();
  const district = regions.find((r) => r.level === 'county')?.code;
  if (!district) return { items: [], nextCursor: null };
  const roots = effectiveRegions(scope.regions, q.regionCode, district);
  if (!sectors.length || !roots.length) return { items: [], nextCursor: null };

  const status = q.status as Status | undefined;
  if (q.mine === 'true') {
    const page = await readPage(q.cursor, () =>
      ports.submissions.list({ createdBy: principal.userId, formId: q.formId, regions: roots, status, cursor: q.cursor, limit, ...(sectors.length === 1 ? { sector: sectors[0] } : {}) }),
    );
    return { items: page.items.filter((s) => sectors.includes(s.sector)).map((s) => view(s)), nextCursor: page.nextCursor };
  }
  if (q.formId !== undefined) {
    const page = await readPage(q.cursor, () => ports.submissions.list({ formId: q.formId, regions: roots, status, cursor: q.cursor, limit }));
    return { items: page.items.map((s) => view(s)), nextCursor: page.nextCursor };
  }
  // Several sectors: read them one after another; the cursor carries which sector it is in.
  const [si, inner] = decodeOuter(q.cursor);
  for (let i = si; i < sectors.length; i++) {
    const page = await readPage(q.cursor, () => ports.submissions.list({ sector: sectors[i], regions: roots, status, cursor: i === si ? inner : undefined, limit }));
    if (page.items.length || page.nextCursor) {
      const next = page.nextCursor ? encodeOuter(i, page.nextCursor) : i + 1 < sectors.length ? encodeOuter(i + 1, undefined) : null;
      return { items: page.items.map((s) => view(s)), nextCursor: next };
    }
  }
  return { items: [], nextCursor: null };
}

function encodeOuter(i: number, inner: string | undefined): string {
  return `s${i}_${inner ?? ''}`;
}

function decodeOuter(c: string | undefined): [number, string | undefined] {
  const m = c ? /^s(\d)_(.*)$/.exec(c) : null;
  return m ? [Number(m[1]), m[2] || undefined] : [0, undefined];
}
