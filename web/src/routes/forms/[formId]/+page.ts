/** One form (admin): its summary (retired or not), its published versions, and the members' names for "published by". */
import { api, ApiError } from '$lib/api';
import type { PageLoad } from './$types';
import { currentMe, type FormRow, type VersionInfo } from '../forms-admin';

export interface FormPageData {
  ready: boolean;
  forbidden: boolean;
  notFound: boolean;
  failure: { status: number; detail: string } | null;
  form: FormRow | null;
  versions: VersionInfo[];
  /** userId → display name. */
  names: Record<string, string>;
}

export const load: PageLoad = async ({ params, depends }): Promise<FormPageData> => {
  depends('app:form');
  const empty: FormPageData = { ready: false, forbidden: false, notFound: false, failure: null, form: null, versions: [], names: {} };
  try {
    const me = await currentMe();
    if (!me) return empty;
    if (me.role !== 'admin') return { ...empty, ready: true, forbidden: true };
    const id = encodeURIComponent(params.formId);
    const [forms, versions, members] = await Promise.all([
      api.get<FormRow[]>('/api/forms').then((r) => r.body),
      api.get<VersionInfo[]>(`/api/forms/${id}/versions`).then((r) => r.body),
      // Names are a convenience: the page works without them.
      api.get<{ userId: string; displayName: string }[]>('/api/members').then((r) => r.body, () => []),
    ]);
    const form = forms.find((f) => f.id === params.formId) ?? null;
    if (!form) return { ...empty, ready: true, notFound: true };
    return {
      ...empty,
      ready: true,
      form,
      versions: [...versions].sort((a, b) => b.version - a.version),
      names: Object.fromEntries(members.map((m) => [m.userId, m.displayName])),
    };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return { ...empty, ready: true, notFound: true };
    if (e instanceof ApiError && e.status === 403) return { ...empty, ready: true, forbidden: true };
    return { ...empty, ready: true, failure: e instanceof ApiError ? { status: e.status, detail: e.detail } : { status: -1, detail: String(e) } };
  }
};
