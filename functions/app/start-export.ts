/**
 * start-export — POST /api/exports { formId, format: csv|xlsx|geojson, region?, status? } → 202 { id }
 *  1. check the body: only those keys (400); format one of csv, xlsx, geojson; status one of the statuses; region a
 *     region code of this district (400/422);
 *  2. the form exists (422 `formId`); the caller may export that form's sector at all (`export.create`, 403);
 *  3. the regions to read are the caller's `submission.read` scope intersected with the requested region; none → 403
 *     (outside your regions) — so the file can only ever hold what the caller may see;
 *  4. write the job record (`running`, 0 rows) and hand `{ job: 'export', id, userId }` to the job queue (jobs.ts),
 *     which runs `runExport`; answer 202 with the job id.
 */
import { can } from '#domain/access';
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { isRegionCode } from '#domain/regions';
import { STATUSES, type Status } from '#domain/workflow';
import { exportFileName, saveJob, startJob, type ExportJob } from './jobs';
import type { Ports } from './ports';
import { exportRoots } from './run-export';
import { EXPORT_FORMATS, type ExportFormat } from './spreadsheets';
import { validationError } from './submission-support';

const KEYS = ['formId', 'format', 'region', 'status'];

function bad(path: string, zh: string, en: string): DomainError {
  return new DomainError('request.malformed', en, [{ path, code: 'invalid', message: { zh, en } }]);
}

export async function startExport(ports: Ports, principal: Principal, body: unknown): Promise<{ id: string }> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('request.malformed', 'The body must be { formId, format, region?, status? }');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !KEYS.includes(k));
  if (unknown.length) throw new DomainError('request.unknown-key', `Unknown key ${unknown[0]}`, unknown.map((k) => ({ path: k, code: 'unknown-key', message: { zh: '不允许的字段', en: 'Key not allowed here' } })));
  if (typeof b.formId !== 'string' || !b.formId) throw bad('formId', '请选择调查表', 'formId is required');
  if (typeof b.format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(b.format)) throw bad('format', '格式应为 csv、xlsx 或 geojson', 'format is csv, xlsx or geojson');
  if (b.status !== undefined && b.status !== null && !(typeof b.status === 'string' && (STATUSES as readonly string[]).includes(b.status))) {
    throw bad('status', '状态不正确', `status is one of ${STATUSES.join(', ')}`);
  }
  if (b.region !== undefined && b.region !== null && !isRegionCode(b.region)) throw bad('region', '区划代码应为12位数字', 'region is a 12-digit region code');

  const def = await ports.directory.currentForm(b.formId);
  if (!def) throw validationError([{ path: 'formId', code: 'unknown-form', message: { zh: '没有此表', en: 'No such form' } }]);
  if (!can(principal, 'export.create', { sector: def.sector })) throw new DomainError('access.forbidden', `You cannot export ${def.id}`);
  const region = (b.region as string | undefined) ?? null;
  if (region && !(await ports.directory.regions()).some((r) => r.code === region)) {
    throw validationError([{ path: 'region', code: 'region', message: { zh: '本区没有此区划', en: 'No such region in this district' } }]);
  }
  if (!(await exportRoots(ports, principal, def, region)).length) throw new DomainError('access.forbidden', 'That region is outside the regions you may export');

  const now = ports.now();
  const id = ports.newId();
  const format = b.format as ExportFormat;
  const job: ExportJob = {
    kind: 'export',
    id,
    createdBy: principal.userId,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    formId: def.id,
    format,
    region,
    status: (b.status as Status | undefined) ?? null,
    state: 'running',
    rows: 0,
    key: `exports/${id}.${format}`,
    fileName: exportFileName(def, now, format),
  };
  await saveJob(ports, job);
  await startJob(ports, job, { job: 'export', id, userId: principal.userId });
  return { id };
}
