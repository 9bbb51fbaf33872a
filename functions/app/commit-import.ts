/**
 * commit-import — POST /api/imports/{id}/commit → 202 { id }, then the commit phase of the job.
 *  1. the job exists and was started by the caller (admins may commit any) — else 404; it must be `validated` (409
 *     while validating or after a failure); a commit that is already running or done is answered again as 202 (a retry);
 *  2. mark the job `committing` and hand `{ job: 'commit-import', id, userId }` to the job queue (jobs.ts), which runs
 *     `runCommit`:
 *  3. read the file again and check every row again (import-rows.ts); rows with problems are skipped;
 *  4. save each valid row through saveSubmission — the same use case as PUT /api/submissions/{id}[?submit=true], so the
 *     same authorization, validation, transaction and idempotency apply — under the row's stable id, without If-Match:
 *     a new id is `created`; an id that already holds the same answers is `unchanged` (a replay, or the same content
 *     saved by someone else); an id holding other content is a `conflict` and is left as it is; anything else `failed`;
 *  5. record progress (`done` of the valid rows) at most once a second, eight rows in flight at a time;
 *  6. rewrite the report with the commit's problems added and record `committed` with the outcome counts.
 */
import { DomainError, type FieldError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import type { RowError } from '#domain/tabular';
import { checkSheet, type CheckedRow } from './import-rows';
import { failureText, MAX_IMPORT_BYTES, saveJob, startJob, ERRORS_ON_RECORD, type ImportJob, type ImportOutcomes } from './jobs';
import type { Ports } from './ports';
import { saveSubmission } from './save-submission';
import { readSheet } from './spreadsheets';
import { canonicalJson, sha256 } from './submission-support';
import { writeReport } from './validate-import';

const CONCURRENCY = 8;
const PROGRESS_EVERY_MS = 1000;

export async function commitImport(ports: Ports, principal: Principal, id: string): Promise<{ id: string }> {
  const job = await ports.directory.getJob<ImportJob>('import', id);
  if (!job || (job.createdBy !== principal.userId && principal.role !== 'admin')) throw new DomainError('resource.not-found', `No import ${id}`);
  if (job.state === 'committing' || job.state === 'committed') return { id };
  if (job.state !== 'validated') throw new DomainError('workflow.invalid-transition', job.state === 'validating' ? 'The file is still being checked' : 'This import failed; start a new one');
  job.state = 'committing';
  job.done = 0;
  job.phaseTotal = job.valid;
  job.committedBy = principal.userId;
  job.outcomes = { created: 0, unchanged: 0, conflict: 0, failed: 0 };
  await saveJob(ports, job);
  await startJob(ports, job, { job: 'commit-import', id, userId: principal.userId });
  return { id };
}

function outcomeError(row: number, code: string, zh: string, en: string, errors?: FieldError[]): RowError {
  const detail = errors?.length ? errors.map((e) => e.message) : [];
  return {
    row,
    column: null,
    code,
    message: { zh: [zh, ...detail.map((d) => d.zh)].join('；'), en: [en, ...detail.map((d) => d.en)].join('; ') },
  };
}

/** Save one checked row; the outcome and, for conflicts and failures, a report line. */
async function saveRow(ports: Ports, principal: Principal, job: ImportJob, r: CheckedRow): Promise<{ outcome: keyof ImportOutcomes; error?: RowError }> {
  const body = { formId: job.formId, regionCode: r.regionCode!, data: r.data };
  const same = (s: { formId: string; regionCode: string; contentHash: string } | undefined) =>
    !!s && s.formId === body.formId && s.regionCode === body.regionCode && s.contentHash === sha256(canonicalJson(r.clean));
  try {
    const before = await ports.submissions.get(r.id);
    const res = await saveSubmission(ports, principal, { id: r.id, body, ifMatch: undefined, submit: job.submit });
    return { outcome: before ? 'unchanged' : res.status === 201 ? 'created' : 'unchanged' };
  } catch (e) {
    if (e instanceof DomainError && e.code === 'submission.conflict') {
      if (same(await ports.submissions.get(r.id))) return { outcome: 'unchanged' };
      return { outcome: 'conflict', error: outcomeError(r.row, 'conflict', '系统中已有此记录且内容不同，未覆盖', 'A different record with this key already exists; it was left unchanged') };
    }
    if (e instanceof DomainError) return { outcome: 'failed', error: outcomeError(r.row, e.code, '未能导入', e.detail ?? e.message, e.errors) };
    return { outcome: 'failed', error: outcomeError(r.row, 'internal', '未能导入（系统错误）', failureText(e)) };
  }
}

export async function runCommit(ports: Ports, principal: Principal, id: string): Promise<void> {
  const job = await ports.directory.getJob<ImportJob>('import', id);
  if (!job || job.state !== 'committing') return;
  // Counted from zero on every run (a second run of the same task finds the rows it saved as `unchanged`).
  const outcomes: ImportOutcomes = { created: 0, unchanged: 0, conflict: 0, failed: 0 };
  job.done = 0;
  try {
    const def = await ports.directory.currentForm(job.formId);
    if (!def) throw new Error(`form ${job.formId} is gone`);
    const bytes = await ports.files.getBytes(job.sourceKey, MAX_IMPORT_BYTES);
    if (!bytes) throw new Error('the uploaded file is gone');
    const rows = await readSheet(job.format, bytes);
    const regions = await ports.directory.regions();
    const sheet = checkSheet({ def, regions, principal, submit: job.submit, importKey: job.key }, rows);
    const errors: RowError[] = [...sheet.layout.errors];
    const commitErrors: RowError[] = [];
    let last = Date.now();
    const inFlight = new Set<Promise<void>>();
    for (const r of sheet.rows) {
      if (r.errors.length) {
        errors.push(...r.errors);
        continue;
      }
      const p = saveRow(ports, principal, job, r).then(async ({ outcome, error }) => {
        outcomes[outcome]++;
        if (error) commitErrors.push(error);
        job.done++;
        if (Date.now() - last >= PROGRESS_EVERY_MS) {
          last = Date.now();
          job.outcomes = outcomes;
          await saveJob(ports, job);
        }
      });
      inFlight.add(p);
      p.finally(() => inFlight.delete(p)).catch(() => {});
      if (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    commitErrors.sort((a, b) => a.row - b.row);
    const all = [...errors, ...commitErrors].sort((a, b) => a.row - b.row);
    job.outcomes = outcomes;
    job.errorCount = all.length;
    job.errors = all.slice(0, ERRORS_ON_RECORD);
    await writeReport(ports, job, def, all);
    job.state = 'committed';
    await saveJob(ports, job);
  } catch (e) {
    job.state = 'failed';
    job.outcomes = outcomes;
    job.error = failureText(e);
    await saveJob(ports, job).catch(() => {});
  }
}
