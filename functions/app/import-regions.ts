/**
 * import-regions — POST /api/regions/import[?dryRun=true] { csv } | { xlsx (base64) } (admin)
 *   → { dryRun, total, errors: [{ row, column, code, message }], changes: [{ row, code, name, level, parent, change }], written }
 *  1. check the body (400) and the parameter; only admins (403);
 *  2. read the rows (CSV text, or the first sheet of an XLSX file) and plan against the district's tree
 *     (reference-import.ts: 12-digit codes, level from the code, parent implied and present, one county);
 *  3. a dry run answers the plan; a real run with any error answers 422 with every error (`rows[<row>].<column>`)
 *     and writes nothing; otherwise new and renamed regions are upserted (regions are never deleted here).
 */
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { planRegionImport } from '#domain/reference-import';
import type { CellValue, RowError } from '#domain/tabular';
import type { Ports } from './ports';
import { readCsv, readXlsx } from './spreadsheets';
import { validationError } from './submission-support';

export const MAX_REFERENCE_ROWS = 20_000;

/** Rows of a reference-data body `{ csv }` or `{ xlsx }`, after checking the body and the dryRun parameter. */
export async function referenceRows(body: unknown, q: Record<string, string | undefined>): Promise<{ rows: CellValue[][]; dryRun: boolean }> {
  const unknownParam = Object.keys(q).filter((k) => k !== 'dryRun');
  if (unknownParam.length) throw new DomainError('request.bad-parameter', `Unknown parameter ${unknownParam[0]}`);
  if (q.dryRun !== undefined && q.dryRun !== 'true' && q.dryRun !== 'false') throw new DomainError('request.bad-parameter', 'dryRun is true or false');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('request.malformed', 'The body must be { csv } or { xlsx }');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== 'csv' && k !== 'xlsx');
  if (unknown.length) throw new DomainError('request.unknown-key', `Unknown key ${unknown[0]}`);
  let rows: CellValue[][];
  if (typeof b.csv === 'string' && b.xlsx === undefined) rows = readCsv(new TextEncoder().encode(b.csv));
  else if (typeof b.xlsx === 'string' && b.csv === undefined) {
    try {
      rows = await readXlsx(Buffer.from(b.xlsx, 'base64'));
    } catch {
      throw new DomainError('request.malformed', 'xlsx is not a readable XLSX file (base64)', [{ path: 'xlsx', code: 'invalid', message: { zh: '无法读取此 XLSX 文件', en: 'Not a readable XLSX file' } }]);
    }
  } else throw new DomainError('request.malformed', 'Send the file as { csv: "<text>" } or { xlsx: "<base64>" }');
  if (rows.length > MAX_REFERENCE_ROWS) throw new DomainError('request.malformed', `At most ${MAX_REFERENCE_ROWS} rows per import`);
  return { rows, dryRun: q.dryRun === 'true' };
}

/** Row errors as problem+json field errors. */
export function rowFieldErrors(errors: readonly RowError[]) {
  return errors.map((e) => ({ path: `rows[${e.row}]${e.column ? `.${e.column}` : ''}`, code: e.code, message: e.message }));
}

export async function importRegions(ports: Ports, principal: Principal, body: unknown, q: Record<string, string | undefined>) {
  // The region tree is district configuration: administrators only (access.ts has no finer action for it).
  if (principal.role !== 'admin') throw new DomainError('access.forbidden', 'Only administrators import regions');
  const { rows, dryRun } = await referenceRows(body, q);
  const plan = planRegionImport(rows, await ports.directory.regions());
  if (!dryRun && plan.errors.length) throw validationError(rowFieldErrors(plan.errors));
  if (!dryRun && plan.writes.length) await ports.directory.putRegions(plan.writes);
  return {
    dryRun,
    total: plan.total,
    errors: plan.errors,
    changes: plan.changes.map((c) => ({ row: c.row, code: c.region.code, name: c.region.name, level: c.region.level, parent: c.region.parent, change: c.change })),
    written: dryRun ? 0 : plan.writes.length,
  };
}
