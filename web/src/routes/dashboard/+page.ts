/**
 * The progress dashboard for one region (`?region=`, default: the district for those who see it all, otherwise the
 * caller's first region), and the district's daily history and the census deadline for the trend and burn-down charts
 * when the caller may read the district.
 */
import { can } from '$domain/access';
import type { Counts, ProgressReport } from '$domain/progress';
import type { Region } from '$domain/regions';
import type { SectorId } from '$domain/sectors';
import { api, ApiError } from '$lib/api';
import { loadForms, loadMe, loadRegions, type FormSummary } from '$lib/reference';
import { session, type Me } from '$lib/session.svelte';
import type { PageLoad } from './$types';

export interface Snapshot {
  date: string;
  at: string;
  total: Counts;
  sectors: { sector: SectorId; total: Counts }[];
}

export interface DashboardData {
  me: Me | null;
  forbidden: boolean;
  failure: { status: number; detail: string } | null;
  report: ProgressReport | null;
  regions: Region[];
  forms: FormSummary[];
  /** null = not readable by this caller (township scope) or not loaded. */
  history: Snapshot[] | null;
  historyState: 'ok' | 'district-only' | 'failed';
  /** The census deadline an administrator set (YYYY-MM-DD), null when none is set; loaded with the history. */
  deadline: string | null;
  deadlineState: 'ok' | 'failed';
  county: Region | null;
}

async function currentMe(): Promise<Me | null> {
  if (session.me) return session.me;
  if (!session.token) return null;
  const me = await loadMe();
  session.setMe(me);
  return me;
}

export const load: PageLoad = async ({ url, depends }): Promise<DashboardData> => {
  depends('app:progress');
  const region = url.searchParams.get('region');
  const empty: DashboardData = { me: null, forbidden: false, failure: null, report: null, regions: [], forms: [], history: null, historyState: 'ok', deadline: null, deadlineState: 'ok', county: null };
  try {
    const me = await currentMe();
    if (!me) return empty;
    if (!can(me, 'progress.read')) return { ...empty, me, forbidden: true };
    const [report, regions, forms] = await Promise.all([
      api.get<ProgressReport>(region ? `/api/progress?region=${encodeURIComponent(region)}` : '/api/progress'),
      loadRegions(),
      loadForms(),
    ]);
    const county = regions.find((r) => r.level === 'county') ?? null;
    let history: Snapshot[] | null = null;
    let historyState: DashboardData['historyState'] = 'district-only';
    let deadline: string | null = null;
    let deadlineState: DashboardData['deadlineState'] = 'ok';
    // After the report: reading the district's figures is what records today's snapshot.
    if (county && can(me, 'progress.read', { regionCode: county.code })) {
      await Promise.all([
        api.get<{ snapshots: Snapshot[] }>(`/api/progress/history?region=${county.code}`).then(
          (r) => ((history = r.body.snapshots), (historyState = 'ok')),
          () => (historyState = 'failed'),
        ),
        api.get<{ date: string | null }>('/api/settings/deadline').then(
          (r) => (deadline = r.body.date ?? null),
          () => (deadlineState = 'failed'),
        ),
      ]);
    }
    return { ...empty, me, report: report.body, regions, forms, history, historyState, deadline, deadlineState, county };
  } catch (e) {
    return { ...empty, failure: e instanceof ApiError ? { status: e.status, detail: e.detail } : { status: -1, detail: String(e) } };
  }
};
