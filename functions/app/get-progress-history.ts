/**
 * get-progress-history — GET /api/progress/history[?region=<county>]: the district's daily progress snapshots, oldest
 * first (see record-snapshot). Snapshots are kept for the district only.
 *  1. Parameters: `region` only; without it, the district. It must be the county code of this district (400 when it is
 *     not a county code; 404 when it is not this district).
 *  2. Authorize `progress.read` on the county, answering 404 like get-progress does (a township-scoped caller may not
 *     read district-wide figures).
 *  3. One Query of the snapshots; each is `{ date, at, total, sectors: [{ sector, total }] }`.
 */
import { can } from '#domain/access';
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { isRegionCode, levelOf } from '#domain/regions';
import type { Ports } from './ports';

export async function getProgressHistory(ports: Ports, principal: Principal, q: Record<string, string | undefined>) {
  const unknown = Object.keys(q).filter((k) => k !== 'region');
  if (unknown.length) throw new DomainError('request.bad-parameter', `Unknown parameter ${unknown[0]}`);
  const regions = await ports.directory.regions();
  const district = regions.find((r) => r.level === 'county');
  const code = q.region ?? district?.code;
  if (!code || !isRegionCode(code) || levelOf(code) !== 'county') {
    throw new DomainError('request.bad-parameter', 'region is the 12-digit code of the district (history is kept per district)', [
      { path: 'region', code: 'invalid', message: { zh: '进度历史按区（县）保存，请使用区（县）代码', en: 'History is kept per district: use the district code' } },
    ]);
  }
  const region = regions.find((r) => r.code === code);
  if (!region || !can(principal, 'progress.read', { regionCode: code })) throw new DomainError('resource.not-found', `No region ${code}`);
  const snapshots = await ports.progress.listSnapshots(code);
  return {
    region: { code: region.code, name: region.name },
    snapshots: snapshots.map((s) => ({ date: s.date, at: s.at, total: s.total, sectors: s.sectors })),
  };
}
