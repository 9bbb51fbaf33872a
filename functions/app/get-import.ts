/**
 * get-import — GET /api/imports/{id}: the job as the UI shows it: state, counts (total, valid, invalid), progress
 * (`done` of `phaseTotal` rows in the current phase), the first 200 problems, the ignored columns, the commit's outcome
 * counts, and `reportUrl` (a short-lived link to the full report CSV) once there is one.
 * Only the caller's own jobs (admins: every job); anything else is 404.
 */
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import type { ImportJob } from './jobs';
import type { Ports } from './ports';

export async function getImport(ports: Ports, principal: Principal, id: string) {
  const job = await ports.directory.getJob<ImportJob>('import', id);
  if (!job || (job.createdBy !== principal.userId && principal.role !== 'admin')) throw new DomainError('resource.not-found', `No import ${id}`);
  const { kind: _kind, sourceKey: _source, reportKey, key: _key, ...rest } = job;
  const base = job.fileName.replace(/\.[a-z0-9]+$/i, '');
  return {
    ...rest,
    status: job.state,
    progress: { done: job.done, total: job.phaseTotal },
    ...(reportKey ? { reportUrl: await ports.files.presignDownload(reportKey, `${base}_导入报告.csv`) } : {}),
  };
}
