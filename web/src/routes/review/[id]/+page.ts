/** One record to review: the record with its history, the definition of the version it was filed with, names. */
import { can } from '$domain/access';
import type { FormDefinition } from '$domain/forms';
import type { Region } from '$domain/regions';
import { api } from '$lib/api';
import { loadDefinition, loadForms, loadRegions, type FormSummary } from '$lib/reference';
import type { Me } from '$lib/session.svelte';
import type { PageLoad } from './$types';
import { currentMe, failure, loadMemberNames, type LoadFailure, type SubmissionView } from '../review-support';

export interface DetailData {
  id: string;
  me: Me | null;
  forbidden: boolean;
  failure: LoadFailure | null;
  submission: SubmissionView | null;
  definition: FormDefinition | null;
  forms: FormSummary[];
  regions: Region[];
  names: Map<string, string>;
}

export const load: PageLoad = async ({ params, depends }): Promise<DetailData> => {
  depends('app:review-detail');
  const empty: DetailData = { id: params.id, me: null, forbidden: false, failure: null, submission: null, definition: null, forms: [], regions: [], names: new Map() };
  try {
    const me = await currentMe();
    if (!me) return empty;
    if (!can(me, 'submission.review')) return { ...empty, me, forbidden: true };
    const r = await api.get<SubmissionView>(`/api/submissions/${encodeURIComponent(params.id)}`);
    const s = r.body;
    // The ETag is the version the decision must name in If-Match.
    const version = Number(/\d+/.exec(r.etag ?? '')?.[0] ?? s.version);
    const [definition, forms, regions, names] = await Promise.all([loadDefinition(s.formId, s.formVersion), loadForms(), loadRegions(), loadMemberNames()]);
    return { ...empty, me, submission: { ...s, version }, definition, forms, regions, names };
  } catch (e) {
    return { ...empty, failure: failure(e) };
  }
};
