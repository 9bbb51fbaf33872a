/**
 * get-export — GET /api/exports/{id} → { id, status: running|done|failed, rows, formId, format, createdAt, url?, error? }
 *  1. the job exists and was started by the caller (admins see every job); anything else is 404;
 *  2. a running job whose worker stopped without a word is shown as failed (jobs.ts `viewState`);
 *  3. when done, `url` is a short-lived presigned GET of the file (absolute), named `<form title>_<date>.<ext>`.
 */
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { viewState, type ExportJob } from './jobs';
import type { Ports } from './ports';

export async function getExport(ports: Ports, principal: Principal, id: string) {
  const job = await ports.directory.getJob<ExportJob>('export', id);
  if (!job || (job.createdBy !== principal.userId && principal.role !== 'admin')) throw new DomainError('resource.not-found', `No export ${id}`);
  const view = viewState(job, ports.now());
  return {
    id: job.id,
    status: view.state,
    rows: job.rows,
    formId: job.formId,
    format: job.format,
    region: job.region,
    filter: job.status,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    fileName: job.fileName,
    ...(job.bytes !== undefined ? { bytes: job.bytes } : {}),
    ...(job.state === 'done' ? { url: await ports.files.presignDownload(job.key, job.fileName) } : {}),
    ...(view.error ? { error: view.error } : {}),
  };
}
