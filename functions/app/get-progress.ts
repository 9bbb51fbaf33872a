/**
 * get-progress — GET /api/progress?region=<code>[&sector=S]
 * One Query reads the district's cells (items read = cells, independent of the number of submissions); the pure
 * progress module rolls them up by sector → part → form and by child region. A read of the county also upserts the
 * day's snapshot for the trend chart (record-snapshot; one more write, so the route declares directory write).
 */
import { can } from '#domain/access';
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { progressReport } from '#domain/progress';
import { countyOf, isRegionCode, RegionTree } from '#domain/regions';
import { isSectorId } from '#domain/sectors';
import type { Ports } from './ports';
import { recordSnapshot } from './record-snapshot';

export async function getProgress(ports: Ports, principal: Principal, q: Record<string, string | undefined>) {
  const unknown = Object.keys(q).filter((k) => k !== 'region' && k !== 'sector');
  if (unknown.length) throw new DomainError('request.bad-parameter', `Unknown parameter ${unknown[0]}`);
  const regions = await ports.directory.regions();
  const tree = new RegionTree(regions);
  // Without a region: the district for those who see it all, otherwise the caller's first region.
  const district = regions.find((r) => r.level === 'county')?.code;
  const code = q.region ?? (principal.role === 'admin' || principal.regions.includes(district ?? '') ? district : principal.regions[0]);
  if (!code || !isRegionCode(code)) throw new DomainError('request.bad-parameter', 'region is a 12-digit region code', [{ path: 'region', code: 'invalid', message: { zh: '区划代码不正确', en: 'Invalid region code' } }]);
  if (q.sector !== undefined && !isSectorId(q.sector)) throw new DomainError('request.bad-parameter', 'Unknown sector', [{ path: 'sector', code: 'invalid', message: { zh: '没有此系统', en: 'No such sector' } }]);
  if (!tree.has(code)) throw new DomainError('resource.not-found', `No region ${code}`);
  if (!can(principal, 'progress.read', { regionCode: code, ...(q.sector ? { sector: q.sector } : {}) })) throw new DomainError('resource.not-found', `No region ${code}`);
  const asOf = ports.now();
  const [cells, forms] = await Promise.all([ports.progress.cellsForCounty(countyOf(code)), ports.directory.listForms()]);
  const report = progressReport(cells, forms, tree, code, q.sector && isSectorId(q.sector) ? q.sector : undefined);
  // Reading the district's figures keeps today's trend snapshot current (record-snapshot); filtered reports are recomputed there.
  if (code === countyOf(code)) await recordSnapshot(ports, code, asOf, q.sector === undefined ? report : undefined);
  return report;
}
