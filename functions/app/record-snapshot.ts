/**
 * record-snapshot — one progress snapshot per district per day, read back by GET /api/progress/history for the trend chart.
 * Called by get-progress whenever the county's figures are read.
 *  1. The day is the calendar date of `asOf` (the moment the figures were read) in China Standard Time (UTC+8, no daylight
 *     saving): the district's working day, not the server's.
 *  2. The figures are the county-wide, unfiltered rollup: the district total and each sector's total. A report the caller
 *     already computed for the county without a sector filter is reused; otherwise the cells are read and rolled up here.
 *  3. Upsert `SNAPSHOT#<county>` / `<date>`: the day's snapshot is replaced through the day, but never by figures read
 *     earlier than the stored ones (the store's condition), so the last reading of a day wins.
 */
import { chinaDay } from '#domain/burndown';
import { progressReport, type ProgressReport } from '#domain/progress';
import { countyOf, RegionTree } from '#domain/regions';
import type { Ports, ProgressSnapshot } from './ports';

/** `YYYY-MM-DD` of an instant in China Standard Time (the day a snapshot is filed under). */
export const chinaDate = chinaDay;

export async function recordSnapshot(ports: Ports, county: string, asOf: Date, countyReport?: ProgressReport): Promise<ProgressSnapshot> {
  if (countyOf(county) !== county) throw new Error(`recordSnapshot needs a county code, got ${county}`);
  let report = countyReport && countyReport.region.code === county ? countyReport : undefined;
  if (!report) {
    const [cells, forms, regions] = await Promise.all([ports.progress.cellsForCounty(county), ports.directory.listForms(), ports.directory.regions()]);
    report = progressReport(cells, forms, new RegionTree(regions), county);
  }
  const snapshot: ProgressSnapshot = {
    county,
    date: chinaDate(asOf),
    at: asOf.toISOString(),
    total: report.total,
    sectors: report.sectors.map((s) => ({ sector: s.sector, total: s.total })),
  };
  await ports.progress.putDailySnapshot(snapshot);
  return snapshot;
}
