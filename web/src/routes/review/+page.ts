/** The review queue: submitted records of my sector and regions, oldest first, filtered by form and region (in the URL). */
import { can } from '$domain/access';
import { RegionTree, withinAny } from '$domain/regions';
import { api } from '$lib/api';
import { loadForms, loadRegions, type FormSummary } from '$lib/reference';
import type { Region } from '$domain/regions';
import type { PageLoad } from './$types';
import { currentMe, failure, loadMemberNames, queuePath, type LoadFailure, type SubmissionView } from './review-support';

export interface QueuePage {
  items: SubmissionView[];
  nextCursor: string | null;
}

export interface QueueData {
  formId: string;
  regionCode: string;
  forbidden: boolean;
  failure: LoadFailure | null;
  queue: QueuePage;
  /** Forms the reviewer may filter by (their sector's). */
  forms: FormSummary[];
  /** Regions inside the reviewer's scope, tree order. */
  regionOptions: Region[];
  regions: Region[];
  names: Map<string, string>;
}

export const load: PageLoad = async ({ url, depends }): Promise<QueueData> => {
  depends('app:review-queue');
  const formId = url.searchParams.get('form') ?? '';
  const regionCode = url.searchParams.get('region') ?? '';
  const empty: QueueData = { formId, regionCode, forbidden: false, failure: null, queue: { items: [], nextCursor: null }, forms: [], regionOptions: [], regions: [], names: new Map() };
  try {
    const me = await currentMe();
    if (!me) return empty;
    if (!can(me, 'submission.review')) return { ...empty, forbidden: true };
    const [queue, forms, regions, names] = await Promise.all([api.get<QueuePage>(queuePath(formId, regionCode)), loadForms(), loadRegions(), loadMemberNames()]);
    const tree = new RegionTree(regions);
    const roots = me.role === 'admin' ? tree.all().filter((r) => r.level === 'county').map((r) => r.code) : me.regions;
    const regionOptions = tree.all().filter((r) => withinAny(roots, r.code));
    return {
      ...empty,
      queue: queue.body,
      forms: forms.filter((f) => me.role === 'admin' || f.sector === me.sector),
      regionOptions,
      regions,
      names,
    };
  } catch (e) {
    return { ...empty, failure: failure(e) };
  }
};
