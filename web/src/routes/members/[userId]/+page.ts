/** One member (admin): details with version (ETag) and history, the member list (names, handover) and the regions. */
import type { Region } from '$domain/regions';
import { api, ApiError } from '$lib/api';
import { config } from '$lib/config';
import { loadRegions } from '$lib/reference';
import type { PageLoad } from './$types';
import { currentMe, type Member, type MemberDetail } from '../members';

export interface MemberPageData {
  ready: boolean;
  forbidden: boolean;
  notFound: boolean;
  failure: { status: number; detail: string } | null;
  member: MemberDetail | null;
  members: Member[];
  regions: Region[];
  cognito: boolean;
}

export const load: PageLoad = async ({ params, depends }): Promise<MemberPageData> => {
  depends('app:member');
  const empty: MemberPageData = { ready: false, forbidden: false, notFound: false, failure: null, member: null, members: [], regions: [], cognito: false };
  try {
    const me = await currentMe();
    if (!me) return empty;
    if (me.role !== 'admin') return { ...empty, ready: true, forbidden: true };
    const [detail, members, regions, cfg] = await Promise.all([
      api.get<MemberDetail>(`/api/members/${encodeURIComponent(params.userId)}`),
      api.get<Member[]>('/api/members').then((r) => r.body),
      loadRegions(),
      config(),
    ]);
    // The ETag is the version If-Match needs; the body carries it too.
    const version = Number(detail.etag?.replace(/\D/g, '') || detail.body.version);
    return { ...empty, ready: true, member: { ...detail.body, version, history: detail.body.history ?? [] }, members, regions, cognito: cfg.authMode === 'cognito' };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return { ...empty, ready: true, notFound: true };
    if (e instanceof ApiError && e.status === 403) return { ...empty, ready: true, forbidden: true };
    return { ...empty, ready: true, failure: e instanceof ApiError ? { status: e.status, detail: e.detail } : { status: -1, detail: String(e) } };
  }
};
