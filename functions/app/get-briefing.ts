/**
 * get-briefing — GET /api/briefing?region=<code>[&lang=zh|en]
 *   → { asOf, lang, region: { code, name }, text, total, sectors: [{ sector, name, state, total, parts }], lagging,
 *       previous: { date, total } | null, deadline: string | null }
 *  1. parameters: `region` (default as /api/progress: the district, or the caller's first region), `lang` (zh by default);
 *  2. the caller reads progress in that region (404 otherwise, as /api/progress answers);
 *  3. `asOf` = now; one Query of the district's cells rolled up by the same pure function as /api/progress
 *     (progressReport), so every figure in `sectors`, `total` and the text equals /api/progress at `asOf`;
 *  4. for the district, the last daily snapshot of an earlier day (China Standard Time) gives "change since";
 *  5. the admin's deadline (PUT /api/settings/deadline) gives the days left and the daily rate needed;
 *  6. the paragraph is written by domain/briefing.ts. This route only reads (GET /api/progress records snapshots).
 */
import { can } from '#domain/access';
import { briefingText, laggingRegions } from '#domain/briefing';
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { classifySector, progressReport } from '#domain/progress';
import { countyOf, isRegionCode, RegionTree } from '#domain/regions';
import { sectorById } from '#domain/sectors';
import { readDeadline } from './get-deadline';
import type { Ports } from './ports';
import { chinaDate } from './record-snapshot';

export async function getBriefing(ports: Ports, principal: Principal, q: Record<string, string | undefined>) {
  const unknown = Object.keys(q).filter((k) => k !== 'region' && k !== 'lang');
  if (unknown.length) throw new DomainError('request.bad-parameter', `Unknown parameter ${unknown[0]}`);
  if (q.lang !== undefined && q.lang !== 'zh' && q.lang !== 'en') {
    throw new DomainError('request.bad-parameter', 'lang is zh or en', [{ path: 'lang', code: 'invalid', message: { zh: '语言应为 zh 或 en', en: 'lang is zh or en' } }]);
  }
  const lang = q.lang === 'en' ? 'en' : 'zh';
  const regions = await ports.directory.regions();
  const tree = new RegionTree(regions);
  const district = regions.find((r) => r.level === 'county')?.code;
  const code = q.region ?? (principal.role === 'admin' || principal.regions.includes(district ?? '') ? district : principal.regions[0]);
  if (!code || !isRegionCode(code)) {
    throw new DomainError('request.bad-parameter', 'region is a 12-digit region code', [{ path: 'region', code: 'invalid', message: { zh: '区划代码不正确', en: 'Invalid region code' } }]);
  }
  if (!tree.has(code) || !can(principal, 'progress.read', { regionCode: code })) throw new DomainError('resource.not-found', `No region ${code}`);

  const asOf = ports.now();
  const county = countyOf(code);
  const [cells, forms, snapshots, deadline] = await Promise.all([
    ports.progress.cellsForCounty(county),
    ports.directory.listForms(),
    code === county ? ports.progress.listSnapshots(county) : Promise.resolve([]),
    readDeadline(ports),
  ]);
  const report = progressReport(cells, forms, tree, code);
  const today = chinaDate(asOf);
  const previous = [...snapshots].reverse().find((s) => s.date < today);
  const text = briefingText({
    lang,
    asOfDate: today,
    region: report.region,
    total: report.total,
    sectors: report.sectors,
    children: report.children,
    ...(previous ? { previous: { date: previous.date, total: previous.total } } : {}),
    deadline: deadline?.date ?? null,
  });
  return {
    asOf: asOf.toISOString(),
    lang,
    region: report.region,
    text,
    total: report.total,
    sectors: report.sectors.map((s) => ({
      sector: s.sector,
      name: sectorById(s.sector).name,
      state: classifySector(s.total),
      total: s.total,
      parts: s.parts.map((p) => ({ part: p.part, name: sectorById(s.sector).parts.find((x) => x.id === p.part)?.name ?? { zh: p.part, en: p.part }, state: classifySector(p.total), total: p.total })),
    })),
    lagging: laggingRegions(report.children),
    previous: previous ? { date: previous.date, total: previous.total } : null,
    deadline: deadline?.date ?? null,
  };
}
