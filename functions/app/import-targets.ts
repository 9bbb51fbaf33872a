/**
 * import-targets — POST /api/targets/import[?dryRun=true] { csv } | { xlsx (base64) } (admin)
 *   → { dryRun, total, errors: [{ row, column, code, message }], changes: [{ row, formId, regionCode, before, target, changed }], updated }
 *  1. only admins (`targets.write`, 403); check the body (400);
 *  2. read the rows (columns formId, regionCode, target — English or Chinese headers) and plan them against the forms,
 *     the regions and today's targets (reference-import.ts);
 *  3. a dry run answers the plan; a real run with any error answers 422 with every error and writes nothing; otherwise
 *     the changed cells are set, each with a history entry (ProgressStore.setTargets, as PUT /api/targets does).
 */
import { can } from '#domain/access';
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { planTargetImport } from '#domain/reference-import';
import { countyOf } from '#domain/regions';
import { referenceRows, rowFieldErrors } from './import-regions';
import type { Ports } from './ports';
import { validationError } from './submission-support';

export async function importTargets(ports: Ports, principal: Principal, body: unknown, q: Record<string, string | undefined>) {
  if (!can(principal, 'targets.write')) throw new DomainError('access.forbidden', 'Only administrators set targets');
  const { rows, dryRun } = await referenceRows(body, q);
  const [forms, regions] = await Promise.all([ports.directory.listForms(), ports.directory.regions()]);
  const county = regions.find((r) => r.level === 'county')?.code;
  const cells = county ? await ports.progress.cellsForCounty(countyOf(county)) : [];
  const current = new Map(cells.map((c) => [`${c.formId}#${c.regionCode}`, c.target]));
  const plan = planTargetImport(rows, forms, regions, current);
  if (!dryRun && plan.errors.length) throw validationError(rowFieldErrors(plan.errors));
  const changed = plan.changes.filter((c) => c.changed);
  if (!dryRun && changed.length) {
    await ports.progress.setTargets(
      changed.map((c) => ({ formId: c.formId, regionCode: c.regionCode, target: c.target })),
      principal.userId,
      ports.now().toISOString(),
    );
  }
  return { dryRun, total: plan.total, errors: plan.errors, changes: plan.changes, updated: dryRun ? 0 : changed.length };
}
