/**
 * run-export — the work of an export job (started by start-export; see jobs.ts for how it runs).
 *  1. read the job (one that is no longer `running` is left alone: the task ran already) and the form's versions —
 *     columns are the current version's fields, then those only older versions had (records line up by field name); recompute the regions the caller may read (start-export's rule, so a membership change between start
 *     and run is honoured);
 *  2. open the file writer (CSV, XLSX or GeoJSON; spreadsheets.ts) and stream its bytes into storage at
 *     `exports/<id>.<ext>` (`putStream`: spooled to a temporary file, then one PutObject);
 *  3. read the form's submissions page by page (500 per Query, the by-form index, region subtree prefixes), without
 *     voided ones unless `status` asks for them, hand each page to the writer and wait for back-pressure: memory holds
 *     one page and the writer's buffers, whatever the number of rows;
 *  4. record progress (`rows`) on the job at most once a second; at the end record `done` with the row and byte counts,
 *     or `failed` with a short reason.
 */
import { scopeFor } from '#domain/access';
import { unionOfVersions } from '#domain/form-diff';
import type { FormDefinition } from '#domain/forms';
import type { Principal } from '#domain/principal';
import { failureText, saveJob, type ExportJob } from './jobs';
import type { Ports } from './ports';
import { CONTENT_TYPES, writerFor } from './spreadsheets';
import { effectiveRegions } from './list-submissions';

/** The region subtrees an export of `def` by `principal` reads: scope ∩ requested region (empty = nothing visible). */
export async function exportRoots(ports: Ports, principal: Principal, def: FormDefinition, region: string | null): Promise<string[]> {
  const scope = scopeFor(principal, 'submission.read');
  if (scope.sectors !== 'all' && !scope.sectors.includes(def.sector)) return [];
  const regions = await ports.directory.regions();
  const district = regions.find((r) => r.level === 'county')?.code;
  if (!district) return [];
  return effectiveRegions(scope.regions, region ?? undefined, district);
}

/** The definition whose fields are an export's columns: the union of every published version (see unionOfVersions). */
export async function exportColumns(ports: Ports, formId: string): Promise<FormDefinition> {
  const current = await ports.directory.currentForm(formId);
  if (!current) throw new Error(`form ${formId} is gone`);
  if (current.version === 1) return current;
  const older: FormDefinition[] = [];
  for (const v of await ports.directory.formVersions(formId)) {
    if (v.version === current.version) continue;
    const def = await ports.directory.formVersion(formId, v.version);
    if (def) older.push(def);
  }
  return unionOfVersions(current, older);
}

export const EXPORT_PAGE = 500;
const PROGRESS_EVERY_MS = 1000;

export async function runExport(ports: Ports, principal: Principal, id: string): Promise<void> {
  const job = await ports.directory.getJob<ExportJob>('export', id);
  if (!job || job.state !== 'running') return;
  job.rows = 0;
  try {
    const def = await exportColumns(ports, job.formId);
    const roots = await exportRoots(ports, principal, def, job.region);
    const writer = writerFor(job.format, def);
    const upload = ports.files.putStream(job.key, writer.stream, CONTENT_TYPES[job.format]);
    // If storage fails, stop waiting for back-pressure that will never clear.
    const uploadFailed = upload.then(
      () => new Promise<never>(() => {}),
      (e) => Promise.reject(e),
    );
    uploadFailed.catch(() => {});
    try {
      let cursor: string | undefined;
      let last = Date.now();
      if (roots.length) {
        do {
          const page = await ports.submissions.list({ formId: job.formId, regions: roots, status: job.status ?? undefined, cursor, limit: EXPORT_PAGE });
          const rows = job.status ? page.items : page.items.filter((s) => s.status !== 'voided');
          await Promise.race([writer.write(rows), uploadFailed]);
          job.rows += rows.length;
          cursor = page.nextCursor ?? undefined;
          if (Date.now() - last >= PROGRESS_EVERY_MS) {
            last = Date.now();
            await saveJob(ports, job);
          }
        } while (cursor);
      }
      await Promise.race([writer.end(), uploadFailed]);
    } catch (e) {
      writer.stream.destroy(e as Error);
      await upload.catch(() => {});
      throw e;
    }
    const { bytes } = await upload;
    job.bytes = bytes;
    job.state = 'done';
    await saveJob(ports, job);
  } catch (e) {
    job.state = 'failed';
    job.error = failureText(e);
    await saveJob(ports, job).catch(() => {});
  }
}
