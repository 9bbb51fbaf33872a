/**
 * list-review-queue — GET /api/review-queue?formId=&regionCode=&cursor=&limit=
 * Submitted items of the reviewer's sector and regions, oldest first, from the sparse review-queue index.
 */
import { scopeFor } from '#domain/access';
import type { Principal } from '#domain/principal';
import { SECTOR_IDS } from '#domain/sectors';
import { effectiveRegions, parseLimit, readPage } from './list-submissions';
import type { Page, Ports } from './ports';
import { view, type SubmissionView } from './submission-support';

export async function listReviewQueue(ports: Ports, principal: Principal, q: Record<string, string | undefined>): Promise<Page<SubmissionView>> {
  const limit = parseLimit(q.limit);
  const scope = scopeFor(principal, 'submission.review');
  const sectors = scope.sectors === 'all' ? [...SECTOR_IDS] : scope.sectors;
  const regions = await ports.directory.regions();
  const district = regions.find((r) => r.level === 'county')?.code;
  if (!district || !sectors.length) return { items: [], nextCursor: null };
  const roots = effectiveRegions(scope.regions, q.regionCode, district);
  if (!roots.length) return { items: [], nextCursor: null };
  const page = await readPage(q.cursor, () => ports.submissions.listAwaitingReview({ sectors, regions: roots, formId: q.formId, cursor: q.cursor, limit }));
  return { items: page.items.map((s) => view(s)), nextCursor: page.nextCursor };
}
