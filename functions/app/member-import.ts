/**
 * member-import — bulk import of members from CSV/XLSX, the same preview → commit job flow as submission imports:
 *  1. POST /api/members/import { content (base64) | uploadId, format?, fileName? } → 202 { id }: the file is kept under
 *     `imports/<id>/`, the job (`validating`) handed to the job queue;
 *  2. the preview (validate-member-import): columns `username, displayName, role, sector, regions, email, phone`
 *     (headers case-insensitive; `regions` separated by `;`), every row checked as POST /api/members checks a body —
 *     errors by row and column in zh/en — and given its action: `create`, `unchanged` (the member exists with these
 *     details: a re-import creates nothing) or `conflict` (the username belongs to a member with other details; not
 *     changed); a username twice in the file is an error;
 *  3. POST /api/members/import/{id}/commit → 202: creates the `create` rows one by one through the same use case as
 *     POST /api/members, at the pace the identity provider allows (Cognito: about 10 per second, backing off when
 *     throttled), recording progress at most once a second; a row created meanwhile by someone else counts as
 *     `unchanged` or `conflict`. The commit job is safe to run again: created rows are then `unchanged`;
 *  4. GET /api/members/import/{id}/slips: the temporary passwords of the members created, as credential slips to print,
 *     served once (then erased from the job record; 410 afterwards). With Cognito e-mail invitations there are none.
 */
import { Readable } from 'node:stream';
import { can } from '#domain/access';
import { DomainError } from '#domain/errors';
import { checkMemberFields, normalizeUsername, type MemberFields } from '#domain/members';
import type { Principal } from '#domain/principal';
import { cellText, type RowError } from '#domain/tabular';
import { formatOfName } from './create-import-upload';
import { ERRORS_ON_RECORD, failureText, MAX_IMPORT_BYTES, saveJob, startJob, viewState, type UploadJob } from './jobs';
import { createMemberFrom } from './manage-members';
import type { JobRecord, Ports } from './ports';
import { CONTENT_TYPES, IMPORT_FORMATS, readSheet, sniffFormat, type ImportFormat } from './spreadsheets';

/** The columns of a member file, in template order. */
export const MEMBER_COLUMNS = ['username', 'displayName', 'role', 'sector', 'regions', 'email', 'phone'] as const;
/** Rows per file: a district has dozens to a few hundred people; the preview is kept on the job record. */
export const MAX_MEMBER_ROWS = 1000;
const PROGRESS_EVERY_MS = 1000;

export interface MemberImportRow {
  row: number;
  username: string;
  displayName: string;
  role: string;
  sector: string | null;
  regions: string[];
  email?: string;
  phone?: string;
  action: 'create' | 'unchanged' | 'conflict';
  outcome?: 'created' | 'unchanged' | 'conflict' | 'failed';
}

export interface MemberImportJob extends JobRecord {
  kind: 'member-import';
  format: ImportFormat;
  fileName: string;
  sourceKey: string;
  state: 'validating' | 'validated' | 'committing' | 'committed' | 'failed';
  total: number;
  valid: number;
  invalid: number;
  done: number;
  phaseTotal: number;
  errorCount: number;
  errors: RowError[];
  rows: MemberImportRow[];
  outcomes?: { created: number; unchanged: number; conflict: number; failed: number };
  /** Temporary passwords of the members created, until the slips are fetched once. */
  slips?: { username: string; displayName: string; signInName: string; temporaryPassword: string }[];
  slipsTaken?: boolean;
  committedBy?: string;
  error?: string;
}

function bad(path: string, zh: string, en: string): DomainError {
  return new DomainError('request.malformed', en, [{ path, code: 'invalid', message: { zh, en } }]);
}

function requireAdmin(principal: Principal): void {
  if (!can(principal, 'members.manage')) throw new DomainError('access.forbidden', 'Only administrators import members');
}

/** POST /api/members/import. */
export async function startMemberImport(ports: Ports, principal: Principal, body: unknown): Promise<{ id: string }> {
  requireAdmin(principal);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('request.malformed', 'The body must be { content | uploadId, format?, fileName? }');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !['content', 'uploadId', 'format', 'fileName'].includes(k));
  if (unknown.length) throw new DomainError('request.unknown-key', `Unknown key ${unknown[0]}`, unknown.map((k) => ({ path: k, code: 'unknown-key', message: { zh: '不允许的字段', en: 'Key not allowed here' } })));
  if ((b.content === undefined) === (b.uploadId === undefined)) throw bad('content', '请提供文件内容或上传编号（二选一）', 'Send either content (base64) or uploadId');
  if (b.content !== undefined && (typeof b.content !== 'string' || !b.content || !/^[A-Za-z0-9+/]*={0,2}$/.test(b.content))) throw bad('content', '文件内容应为 base64 编码', 'content is the file in base64');
  if (b.uploadId !== undefined && typeof b.uploadId !== 'string') throw bad('uploadId', '上传编号不正确', 'uploadId is a string');
  if (b.format !== undefined && !(IMPORT_FORMATS as readonly unknown[]).includes(b.format)) throw bad('format', '只能导入 CSV 或 XLSX 文件', 'format is csv or xlsx');
  if (b.fileName !== undefined && (typeof b.fileName !== 'string' || b.fileName.length > 200)) throw bad('fileName', '文件名不正确', 'fileName is a string of at most 200 characters');
  const now = ports.now().toISOString();
  const id = ports.newId();
  let fileName = (b.fileName as string | undefined)?.trim() || '';
  let format = b.format as ImportFormat | undefined;
  let sourceKey: string;
  if (typeof b.uploadId === 'string') {
    const upload = await ports.directory.getJob<UploadJob>('upload', b.uploadId);
    if (!upload || upload.createdBy !== principal.userId) throw new DomainError('resource.not-found', `No upload ${b.uploadId}`);
    if (!(await ports.files.exists(upload.key))) {
      throw new DomainError('member.invalid', 'The file has not been uploaded yet', [{ path: 'uploadId', code: 'upload-missing', message: { zh: '文件尚未上传完成', en: 'The file has not been uploaded yet' } }]);
    }
    sourceKey = upload.key;
    fileName ||= upload.fileName;
    format ??= upload.format;
  } else {
    const bytes = Buffer.from(b.content as string, 'base64');
    format ??= formatOfName(fileName) ?? sniffFormat(bytes);
    sourceKey = `imports/${id}/members.${format}`;
    await ports.files.putStream(sourceKey, Readable.from([bytes]), CONTENT_TYPES[format]);
  }
  const job: MemberImportJob = {
    kind: 'member-import', id, createdBy: principal.userId, createdAt: now, updatedAt: now,
    format: format ?? 'csv', fileName: fileName || `members.${format ?? 'csv'}`, sourceKey, state: 'validating',
    total: 0, valid: 0, invalid: 0, done: 0, phaseTotal: 0, errorCount: 0, errors: [], rows: [],
  };
  await saveJob(ports, job);
  await startJob(ports, job, { job: 'validate-member-import', id, userId: principal.userId });
  return { id };
}

const HEADER_ALIASES: Record<string, (typeof MEMBER_COLUMNS)[number]> = Object.fromEntries(
  [
    ...MEMBER_COLUMNS.map((c) => [c.toLowerCase(), c]),
    ['用户名', 'username'], ['姓名', 'displayName'], ['display name', 'displayName'], ['角色', 'role'], ['行业', 'sector'], ['行业部门', 'sector'],
    ['负责区域', 'regions'], ['区域', 'regions'], ['电子邮箱', 'email'], ['邮箱', 'email'], ['e-mail', 'email'], ['电话', 'phone'], ['手机', 'phone'],
  ] as [string, (typeof MEMBER_COLUMNS)[number]][],
);

const COLUMN_OF_PATH = (path: string) => (path.startsWith('regions') ? 'regions' : path);

/** The preview: check every row; nothing is written but the job record. */
export async function validateMemberImport(ports: Ports, _principal: Principal, id: string): Promise<void> {
  const job = await ports.directory.getJob<MemberImportJob>('member-import', id);
  if (!job || job.state !== 'validating') return;
  try {
    const bytes = await ports.files.getBytes(job.sourceKey, MAX_IMPORT_BYTES);
    if (!bytes) throw new Error('the uploaded file is gone');
    let sheet;
    try {
      sheet = await readSheet(job.format, bytes);
    } catch (e) {
      throw new Error(`${job.format === 'xlsx' ? 'Not a readable XLSX file' : 'Not a readable CSV file'} (${failureText(e)})`);
    }
    const errors: RowError[] = [];
    const headerIndex = sheet.findIndex((r) => r.some((c) => cellText(c).trim() !== ''));
    const header = headerIndex < 0 ? [] : sheet[headerIndex]!.map((c) => HEADER_ALIASES[cellText(c).trim().toLowerCase()]);
    const at = new Map<string, number>();
    header.forEach((col, i) => col && !at.has(col) && at.set(col, i));
    for (const required of ['username', 'displayName', 'role', 'regions'] as const) {
      if (!at.has(required)) errors.push({ row: headerIndex + 1 || 1, column: required, code: 'missing-column', message: { zh: `缺少列 ${required}`, en: `Column ${required} is missing` } });
    }
    const regions = await ports.directory.regions();
    const members = new Map((await ports.directory.members()).map((m) => [m.username, m]));
    const seen = new Map<string, number>();
    const rows: MemberImportRow[] = [];
    let total = 0;
    let invalid = 0;
    if (!errors.length) {
      const dataRows = sheet.slice(headerIndex + 1);
      job.phaseTotal = dataRows.length;
      let last = Date.now();
      for (let i = 0; i < dataRows.length; i++) {
        const cells = dataRows[i]!;
        const rowNumber = headerIndex + 2 + i;
        if (!cells.some((c) => cellText(c).trim() !== '')) continue;
        total++;
        if (total > MAX_MEMBER_ROWS) {
          errors.push({ row: rowNumber, column: null, code: 'too-many-rows', message: { zh: `一个文件最多 ${MAX_MEMBER_ROWS} 名成员`, en: `At most ${MAX_MEMBER_ROWS} members per file` } });
          invalid++;
          break;
        }
        const get = (c: (typeof MEMBER_COLUMNS)[number]) => (at.has(c) ? cellText(cells[at.get(c)!]).trim() : '');
        const input: Record<string, unknown> = {
          username: get('username'),
          displayName: get('displayName'),
          role: get('role').toLowerCase(),
          sector: get('sector') || null,
          regions: get('regions').split(/[;；,，\s]+/).filter(Boolean),
          ...(get('email') ? { email: get('email') } : {}),
          ...(get('phone') ? { phone: get('phone') } : {}),
        };
        const checked = checkMemberFields(input, regions);
        const rowErrors: RowError[] = checked.ok ? [] : checked.errors.map((e) => ({ row: rowNumber, column: COLUMN_OF_PATH(e.path), code: e.code, message: e.message }));
        const username = normalizeUsername(String(input.username));
        if (username && seen.has(username)) {
          rowErrors.push({ row: rowNumber, column: 'username', code: 'duplicate', message: { zh: `与第 ${seen.get(username)} 行的用户名重复`, en: `Same username as row ${seen.get(username)}` } });
        } else if (username) seen.set(username, rowNumber);
        if (rowErrors.length || !checked.ok) {
          invalid++;
          errors.push(...rowErrors);
        } else {
          const f = checked.fields;
          const existing = members.get(f.username);
          const action = !existing ? 'create' : sameAs(existing, f) ? 'unchanged' : 'conflict';
          rows.push({ row: rowNumber, username: f.username, displayName: f.displayName, role: f.role, sector: f.sector, regions: f.regions, ...(f.email ? { email: f.email } : {}), ...(f.phone ? { phone: f.phone } : {}), action });
        }
        job.done = i + 1;
        if (Date.now() - last > PROGRESS_EVERY_MS) {
          last = Date.now();
          await saveJob(ports, job);
        }
      }
    }
    job.total = total;
    job.invalid = invalid;
    job.valid = rows.length;
    job.rows = rows;
    job.errorCount = errors.length;
    job.errors = errors.slice(0, ERRORS_ON_RECORD);
    job.state = 'validated';
  } catch (e) {
    job.state = 'failed';
    job.error = failureText(e);
  }
  await saveJob(ports, job);
}

function sameAs(m: { displayName: string; role: string; sector?: string | null; regions: string[]; email?: string; phone?: string }, f: MemberFields): boolean {
  return (
    m.displayName === f.displayName && m.role === f.role && (m.sector ?? null) === f.sector && [...m.regions].sort().join(';') === [...f.regions].sort().join(';') &&
    (m.email ?? '') === (f.email ?? '') && (m.phone ?? '') === (f.phone ?? '')
  );
}

async function loadJob(ports: Ports, principal: Principal, id: string): Promise<MemberImportJob> {
  requireAdmin(principal);
  const job = await ports.directory.getJob<MemberImportJob>('member-import', id);
  if (!job) throw new DomainError('resource.not-found', `No member import ${id}`);
  return job;
}

/** GET /api/members/import/{id}: the preview or the commit's progress and outcome (never the passwords). */
export async function getMemberImport(ports: Ports, principal: Principal, id: string) {
  const job = await loadJob(ports, principal, id);
  const { kind: _k, sourceKey: _s, slips, ...rest } = job;
  const view = viewState(job, ports.now());
  return {
    ...rest,
    state: view.state,
    ...(view.error ? { error: view.error } : {}),
    progress: { done: job.done, total: job.phaseTotal },
    slipsAvailable: (slips?.length ?? 0) > 0 && !job.slipsTaken,
  };
}

/** POST /api/members/import/{id}/commit: only a validated job with rows to create; a repeated commit → 409. */
export async function commitMemberImport(ports: Ports, principal: Principal, id: string): Promise<{ id: string }> {
  const job = await loadJob(ports, principal, id);
  if (job.state !== 'validated') throw new DomainError('workflow.invalid-transition', `The import is ${job.state}; only a checked import can be committed`);
  job.state = 'committing';
  job.committedBy = principal.userId;
  job.done = 0;
  job.phaseTotal = job.rows.length;
  await saveJob(ports, job);
  await startJob(ports, job, { job: 'commit-member-import', id, userId: principal.userId });
  return { id };
}

/** The commit job: create the rows that are new, at the identity provider's pace. */
export async function runMemberImportCommit(ports: Ports, principal: Principal, id: string): Promise<void> {
  const job = await ports.directory.getJob<MemberImportJob>('member-import', id);
  if (!job || job.state !== 'committing') return;
  const outcomes = { created: 0, unchanged: 0, conflict: 0, failed: 0 };
  job.slips ??= [];
  let last = Date.now();
  try {
    for (let i = 0; i < job.rows.length; i++) {
      const r = job.rows[i]!;
      if (r.outcome === 'created') {
        outcomes.created++;
        continue;
      }
      const fields: MemberFields = { username: r.username, displayName: r.displayName, role: r.role as MemberFields['role'], sector: r.sector as MemberFields['sector'], regions: r.regions, ...(r.email ? { email: r.email } : {}), ...(r.phone ? { phone: r.phone } : {}) };
      const existing = await ports.directory.memberByUsername(r.username);
      if (existing) {
        r.outcome = sameAs(existing, fields) ? 'unchanged' : 'conflict';
      } else {
        try {
          const created = await createMemberFrom(ports, principal, fields);
          r.outcome = created.replayed ? 'unchanged' : 'created';
          if (created.temporaryPassword) job.slips.push({ username: r.username, displayName: r.displayName, signInName: r.email && ports.identity.kind === 'cognito' ? r.email : r.username, temporaryPassword: created.temporaryPassword });
        } catch (e) {
          if (e instanceof DomainError && e.code === 'member.username-taken') r.outcome = 'conflict';
          else if (e instanceof DomainError && e.status < 500) {
            r.outcome = 'failed';
            job.errors.push({ row: r.row, column: e.errors?.[0] ? COLUMN_OF_PATH(e.errors[0].path) : null, code: e.code, message: e.errors?.[0]?.message ?? { zh: e.message, en: e.message } });
          } else throw e;
        }
      }
      outcomes[r.outcome === 'created' ? 'created' : r.outcome]++;
      job.done = i + 1;
      if (Date.now() - last > PROGRESS_EVERY_MS) {
        last = Date.now();
        job.outcomes = outcomes;
        await saveJob(ports, job);
      }
    }
    job.outcomes = outcomes;
    job.state = 'committed';
  } catch (e) {
    // Stop where it failed: the rows done so far (and their slips) are kept; committing again continues.
    job.outcomes = outcomes;
    job.state = 'validated';
    job.error = `Stopped at row ${job.rows[job.done]?.row ?? '?'}: ${failureText(e)}; commit again to continue`;
  }
  await saveJob(ports, job);
}

/** GET /api/members/import/{id}/slips: once. */
export async function takeSlips(ports: Ports, principal: Principal, id: string) {
  const job = await loadJob(ports, principal, id);
  if (job.slipsTaken) throw new DomainError('resource.gone', 'The credential slips were already taken; reset the passwords of members who did not get one');
  if (job.state !== 'committed' && job.state !== 'validated') throw new DomainError('workflow.invalid-transition', 'The import has not created anyone yet');
  const slips = job.slips ?? [];
  job.slipsTaken = true;
  delete job.slips;
  await saveJob(ports, job);
  return { slips };
}
