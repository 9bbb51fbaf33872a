/**
 * Background jobs (exports, imports): their records and how they are started.
 *
 * A job is started by a use case that writes the job record, hands a `JobTask` ({ job, id, userId }) to the job queue
 * port and answers 202 at once. The work itself (`runExport`, `validateImport`, `runCommit`, dispatched by run-job.ts)
 * takes only the ports, the principal and the job id, reads everything else from the record, and records its outcome
 * (progress, `done`/`failed`) on the record. On AWS the queue is an asynchronous invocation of the job function
 * (functions/http/handlers/jobs.ts, up to 15 minutes, its own grants); locally the same handler runs behind a small
 * emulator of the Lambda Invoke API (infra/local/lambda-local.ts), so both take the same path.
 *
 * A worker that dies (a timeout, a crash) cannot record its failure: a job whose record has not moved for
 * `STALLED_AFTER_MS` while running is shown as failed (`viewState`), since a working job records progress every second.
 */
import type { FormDefinition } from '#domain/forms';
import type { RowError } from '#domain/tabular';
import type { Status } from '#domain/workflow';
import type { JobRecord, JobTask, Ports } from './ports';
import type { ExportFormat, ImportFormat } from './spreadsheets';

/** Jobs and their files are kept for a week. */
export const JOB_TTL_S = 7 * 24 * 60 * 60;
/** The largest import file (uploaded through a presigned POST); the JSON body route takes what fits in 256 KB. */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;
/** Errors kept on the job record itself (the full list is in the report file). */
export const ERRORS_ON_RECORD = 200;

export interface ExportJob extends JobRecord {
  kind: 'export';
  formId: string;
  format: ExportFormat;
  region: string | null;
  status: Status | null;
  state: 'running' | 'done' | 'failed';
  /** Rows written so far (the final count when done). */
  rows: number;
  key: string;
  fileName: string;
  bytes?: number;
  error?: string;
}

export interface ImportOutcomes {
  created: number;
  unchanged: number;
  conflict: number;
  failed: number;
}

export interface ImportJob extends JobRecord {
  kind: 'import';
  formId: string;
  format: ImportFormat;
  fileName: string;
  sourceKey: string;
  /** The file's import key: the request's `key`, else `name:<file name>`, else `sha256:<hash of the bytes>` (import-rows.ts). */
  key: string;
  /** Submit each row (default) or save it as a draft (forms whose required photos must be added in the app). */
  submit: boolean;
  state: 'validating' | 'validated' | 'committing' | 'committed' | 'failed';
  /** Data rows in the file (empty rows not counted). */
  total: number;
  valid: number;
  invalid: number;
  /** Rows handled in the current phase (validation, then commit). */
  done: number;
  /** Rows to handle in the current phase. */
  phaseTotal: number;
  ignoredColumns: string[];
  errorCount: number;
  errors: RowError[];
  reportKey?: string;
  outcomes?: ImportOutcomes;
  committedBy?: string;
  error?: string;
}

export interface UploadJob extends JobRecord {
  kind: 'upload';
  key: string;
  fileName: string;
  format: ImportFormat;
  size: number;
}

export function expiresAt(now: Date): number {
  return Math.floor(now.getTime() / 1000) + JOB_TTL_S;
}

export async function saveJob(ports: Ports, job: JobRecord): Promise<void> {
  const now = ports.now();
  job.updatedAt = now.toISOString();
  await ports.directory.putJob(job, expiresAt(now));
}

/**
 * Hand a job that was just recorded to the queue. If the queue refuses, the record is marked failed (so nobody waits
 * for it) and the error goes on to the caller (a busy queue becomes 503 + Retry-After in the HTTP layer).
 */
export async function startJob(ports: Ports, job: JobRecord & { state: string; error?: string }, task: JobTask): Promise<void> {
  try {
    await ports.jobs.start(task);
  } catch (e) {
    job.state = 'failed';
    job.error = 'The job could not be started; try again.';
    await saveJob(ports, job).catch(() => {});
    throw e;
  }
}

/** A running job whose record has not changed for this long has lost its worker. */
export const STALLED_AFTER_MS = 5 * 60_000;
export const RUNNING_STATES: readonly string[] = ['running', 'validating', 'committing'];

/** The state to show: the recorded one, or `failed` with a reason for a job whose worker stopped without finishing. */
export function viewState<S extends string>(job: { state: S; updatedAt: string; error?: string }, now: Date): { state: S | 'failed'; error?: string } {
  if (RUNNING_STATES.includes(job.state) && now.getTime() - Date.parse(job.updatedAt) > STALLED_AFTER_MS) {
    return { state: 'failed', error: 'The job stopped without finishing (no progress for 5 minutes); start it again.' };
  }
  return { state: job.state, ...(job.error ? { error: job.error } : {}) };
}

/** `应急避难场所调查表_20211129.csv` — the download name of an export. */
export function exportFileName(def: Pick<FormDefinition, 'title'>, at: Date, ext: string): string {
  const cst = new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
  return `${def.title.zh.replace(/[\\/:*?"<>|]/g, '_')}_${cst}.${ext}`;
}

/** A short, user-facing reason for a failed job (no stack traces). */
export function failureText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.slice(0, 300);
}
