/** Administration: targets of one form (`?form=`) per region at its level (members have their own page, /members). Admin only. */
import { can } from '$domain/access';
import type { Region } from '$domain/regions';
import { api, ApiError } from '$lib/api';
import { loadForms, loadMe, loadRegions, type FormSummary } from '$lib/reference';
import { session, type Me } from '$lib/session.svelte';
import type { PageLoad } from './$types';

export interface TargetCell {
  formId: string;
  regionCode: string;
  target: number;
  draft: number;
  submitted: number;
  returned: number;
  approved: number;
  /** The region has a survey list: its target is the listed objects. */
  listed?: number;
}

export interface AdminData {
  formId: string;
  forbidden: boolean;
  failure: { status: number; detail: string } | null;
  forms: FormSummary[];
  regions: Region[];
  cells: TargetCell[];
}

async function currentMe(): Promise<Me | null> {
  if (session.me) return session.me;
  if (!session.token) return null;
  const me = await loadMe();
  session.setMe(me);
  return me;
}

export const load: PageLoad = async ({ url, depends }): Promise<AdminData> => {
  depends('app:admin');
  const formId = url.searchParams.get('form') ?? '';
  const empty: AdminData = { formId, forbidden: false, failure: null, forms: [], regions: [], cells: [] };
  try {
    const me = await currentMe();
    if (!me) return empty;
    if (!can(me, 'targets.write')) return { ...empty, forbidden: true };
    const [forms, regions, cells] = await Promise.all([
      loadForms(),
      loadRegions(),
      formId ? api.get<TargetCell[]>(`/api/targets?formId=${encodeURIComponent(formId)}`).then((r) => r.body) : Promise.resolve([]),
    ]);
    return { ...empty, forms, regions, cells };
  } catch (e) {
    return { ...empty, failure: e instanceof ApiError ? { status: e.status, detail: e.detail } : { status: -1, detail: String(e) } };
  }
};
