/**
 * get-import — GET /api/imports/{id}: the job as the UI shows it: state, counts (total, valid, invalid), progress
 * (`done` of `phaseTotal` rows in the current phase), the first 200 problems, the ignored columns, the commit's outcome
 * counts, and `reportUrl` (a short-lived link to the full report CSV) once there is one.
 * A running job whose worker stopped without a word is shown as failed (jobs.ts `viewState`).
 * Only the caller's own jobs (admins: every job); anything else is 404.
 */
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { viewState, type ImportJob } from './jobs';
import type { Ports } from './ports';

export async function getImport(ports: Ports, principal: Principal, id: string) {
  const job = await ports.directory.getJob<ImportJob>('import', id);
  if (!job || (job.createdBy !== principal.userId && principal.role !== 'admin')) throw new DomainError('resource.not-found', `No import ${id}`);
  const { kind: _kind, sourceKey: _source, reportKey, key: _key, ...rest } = job;
  const base = job.fileName.replace(/\.[a-z0-9]+$/i, '');
  const view = viewState(job, ports.now());
  return {
    ...rest,
    state: view.state,
    ...(view.error ? { error: view.error } : {}),
    status: view.state,
    progress: { done: job.done, total: job.phaseTotal },
    ...(reportKey ? { reportUrl: await ports.files.presignDownload(reportKey, `${base}_导入报告.csv`) } : {}),
  };
}
