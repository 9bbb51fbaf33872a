/** Census forms (admin): every form with its current version and whether it is retired. Others see the not-allowed state. */
import { api, ApiError } from '$lib/api';
import type { PageLoad } from './$types';
import { currentMe, type FormRow } from './forms-admin';

export interface FormsData {
  ready: boolean;
  forbidden: boolean;
  failure: { status: number; detail: string } | null;
  forms: FormRow[];
}

export const load: PageLoad = async ({ depends }): Promise<FormsData> => {
  depends('app:forms');
  const empty: FormsData = { ready: false, forbidden: false, failure: null, forms: [] };
  try {
    const me = await currentMe();
    if (!me) return empty;
    if (me.role !== 'admin') return { ...empty, ready: true, forbidden: true };
    // Straight from the API, not the session's reference cache: this page is where forms change.
    const forms = (await api.get<FormRow[]>('/api/forms')).body;
    return { ...empty, ready: true, forms };
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) return { ...empty, ready: true, forbidden: true };
    return { ...empty, ready: true, failure: e instanceof ApiError ? { status: e.status, detail: e.detail } : { status: -1, detail: String(e) } };
  }
};
