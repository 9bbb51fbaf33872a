/**
 * Background jobs (exports, imports): their records and how they are started.
 *
 * A job is started by a use case that writes the job record and answers 202 at once; the work itself
 * (`runExport`, `validateImport`, `commitImport`) takes only the ports, the principal and the job id, reads everything
 * else from the record, and records its outcome (progress, `done`/`failed`) on the record. That is the shape an
 * asynchronous self-invocation needs on AWS (the event would carry `{ job, id, userId }`, the function resolves the
 * member and calls the same run function). Locally — and today on AWS too, see the README note — `runDetached` starts
 * the promise in this process without awaiting it; every failure ends in the job's `failed` state, never as an
 * unhandled rejection.
 */
import type { FormDefinition } from '#domain/forms';
import type { RowError } from '#domain/tabular';
import type { Status } from '#domain/workflow';
import type { JobRecord, Ports } from './ports';
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

const running = new Set<Promise<void>>();

/** Start work that outlives the request (see the module comment). */
export function runDetached(task: () => Promise<void>): void {
  const p = Promise.resolve()
    .then(task)
    .catch((e) => console.error(JSON.stringify({ level: 'error', msg: 'background job failed', error: String(e), stack: (e as Error)?.stack })))
    .finally(() => running.delete(p));
  running.add(p);
}

/** Jobs still running in this process (for a graceful shutdown or a test that must not leave work behind). */
export function runningJobs(): Promise<void> {
  return Promise.all([...running]).then(() => undefined);
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
