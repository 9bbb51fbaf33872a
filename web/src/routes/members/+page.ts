/** Members: everyone for an administrator; a reviewer's own sector within their regions, read only. */
import type { Region } from '$domain/regions';
import { api, ApiError } from '$lib/api';
import { loadRegions } from '$lib/reference';
import type { Me } from '$lib/session.svelte';
import type { PageLoad } from './$types';
import { currentMe, type Member } from './members';

export interface MembersData {
  me: Me | null;
  forbidden: boolean;
  failure: { status: number; detail: string } | null;
  members: Member[];
  regions: Region[];
}

export const load: PageLoad = async ({ depends }): Promise<MembersData> => {
  depends('app:members');
  const empty: MembersData = { me: null, forbidden: false, failure: null, members: [], regions: [] };
  try {
    const me = await currentMe();
    if (!me) return empty;
    if (me.role !== 'admin' && me.role !== 'reviewer') return { ...empty, me, forbidden: true };
    const [members, regions] = await Promise.all([api.get<Member[]>('/api/members').then((r) => r.body), loadRegions()]);
    return { ...empty, me, members, regions };
  } catch (e) {
    return { ...empty, failure: e instanceof ApiError ? { status: e.status, detail: e.detail } : { status: -1, detail: String(e) } };
  }
};
