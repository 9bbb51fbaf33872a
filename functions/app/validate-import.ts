/**
 * validate-import — the preview phase of an import job (started by start-import; see jobs.ts for how it runs).
 *  1. read the job, the form's current definition, the district's regions and the file (at most 20 MB);
 *  2. read the sheet (CSV in UTF-8 or GB18030, or the first visible XLSX sheet), find the header by its code row and
 *     check every data row as import-rows.ts describes (the one validator, submit mode unless the job imports drafts);
 *  3. record progress (`done` of `phaseTotal` rows) at most once a second;
 *  4. write the full report (one CSV line per problem) to `imports/<id>/report.csv`, keep the first 200 problems on the
 *     job, and record `validated` with the counts of valid and invalid rows — or `failed` when the file is unreadable.
 */
import type { Principal } from '#domain/principal';
import { exportColumns, type RowError } from '#domain/tabular';
import { checkSheet } from './import-rows';
import { ERRORS_ON_RECORD, failureText, MAX_IMPORT_BYTES, saveJob, type ImportJob } from './jobs';
import type { Ports } from './ports';
import { readSheet, reportCsv } from './spreadsheets';
import { Readable } from 'node:stream';
import type { FormDefinition, Localized } from '#domain/forms';

const PROGRESS_EVERY_MS = 1000;

/** Label of a report column (meta or field) for the report file. */
export function columnLabeler(def: FormDefinition): (code: string | null) => Localized | undefined {
  const cols = new Map(exportColumns(def).map((c) => [c.code, c.label]));
  return (code) => (code ? cols.get(code) : undefined);
}

/** Write the report file of a job and point the job at it. */
export async function writeReport(ports: Ports, job: ImportJob, def: FormDefinition, errors: readonly RowError[]): Promise<void> {
  const key = `imports/${job.id}/report.csv`;
  await ports.files.putStream(key, Readable.from([reportCsv(errors, columnLabeler(def))]), 'text/csv; charset=utf-8');
  job.reportKey = key;
}

export async function validateImport(ports: Ports, principal: Principal, id: string): Promise<void> {
  const job = await ports.directory.getJob<ImportJob>('import', id);
  if (!job || job.state !== 'validating') return;
  job.total = job.valid = job.invalid = job.done = 0;
  try {
    const def = await ports.directory.currentForm(job.formId);
    if (!def) throw new Error(`form ${job.formId} is gone`);
    const bytes = await ports.files.getBytes(job.sourceKey, MAX_IMPORT_BYTES);
    if (!bytes) throw new Error('the uploaded file is gone');
    let rows;
    try {
      rows = await readSheet(job.format, bytes);
    } catch (e) {
      throw new Error(`${job.format === 'xlsx' ? 'Not a readable XLSX file' : 'Not a readable CSV file'} (${failureText(e)})`);
    }
    const regions = await ports.directory.regions();
    const sheet = checkSheet({ def, regions, principal, submit: job.submit, importKey: job.key }, rows);
    const errors: RowError[] = [...sheet.layout.errors];
    job.ignoredColumns = sheet.layout.ignored;
    job.phaseTotal = sheet.dataRows;
    let last = Date.now();
    for (const r of sheet.rows) {
      job.total++;
      if (r.errors.length) {
        job.invalid++;
        errors.push(...r.errors);
      } else job.valid++;
      job.done = job.total;
      if (Date.now() - last >= PROGRESS_EVERY_MS) {
        last = Date.now();
        job.errorCount = errors.length;
        await saveJob(ports, job);
      }
    }
    job.phaseTotal = job.total;
    job.errorCount = errors.length;
    job.errors = errors.slice(0, ERRORS_ON_RECORD);
    await writeReport(ports, job, def, errors);
    job.state = 'validated';
    await saveJob(ports, job);
  } catch (e) {
    job.state = 'failed';
    job.error = failureText(e);
    await saveJob(ports, job).catch(() => {});
  }
}
