/** What the review pages share: the record shape, who is signed in, member names, and what a failed decision means. */
import { api, ApiError } from '$lib/api';
import { addMessages, loc, t } from '$lib/i18n.svelte';
import { review } from '$lib/messages/review';
import { loadMe } from '$lib/reference';
import { session, type Me } from '$lib/session.svelte';

addMessages(review);

export interface HistoryEntry {
  at: string;
  by: string;
  action: 'created' | 'updated' | 'submitted' | 'returned' | 'approved' | 'reopened' | 'voided';
  from: string | null;
  to: string;
  note?: string;
}

export interface SubmissionView {
  id: string;
  formId: string;
  formVersion: number;
  sector: 'emergency' | 'agriculture' | 'forestry' | 'housing';
  part: string;
  regionCode: string;
  status: 'draft' | 'submitted' | 'approved' | 'returned' | 'voided';
  version: number;
  data: Record<string, unknown>;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  submittedAt?: string;
  reviewNote?: string;
  history?: HistoryEntry[];
}

export const PAGE_SIZE = 50;

/** The queue request: oldest first, my scope narrowed by the optional filters; `cursor` continues a page. */
export function queuePath(formId: string, regionCode: string, cursor?: string | null): string {
  const qs = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (formId) qs.set('formId', formId);
  if (regionCode) qs.set('regionCode', regionCode);
  if (cursor) qs.set('cursor', cursor);
  return `/api/review-queue?${qs}`;
}

export interface LoadFailure {
  status: number;
  detail: string;
}

export function failure(e: unknown): LoadFailure {
  return e instanceof ApiError ? { status: e.status, detail: e.detail } : { status: -1, detail: (e as Error)?.message ?? String(e) };
}

/** The signed-in profile; on a fresh page load the layout may not have fetched it yet. */
export async function currentMe(): Promise<Me | null> {
  if (session.me) return session.me;
  if (!session.token) return null;
  const me = await loadMe();
  session.setMe(me);
  return me;
}

let names: { userId: string; names: Promise<Map<string, string>> } | undefined;

/**
 * userId → display name (history and lists carry user ids only), cached for the signed-in user only (what the API lets
 * one user see is not another's). A failure leaves the names out, never the page.
 */
export function loadMemberNames(): Promise<Map<string, string>> {
  const userId = session.me?.userId ?? '';
  if (names?.userId !== userId) {
    const p = api
      .get<{ userId: string; displayName: string; username: string }[]>('/api/members')
      .then((r) => new Map(r.body.map((m) => [m.userId, m.displayName || m.username])))
      .catch(() => {
        names = undefined;
        return new Map<string, string>();
      });
    names = { userId, names: p };
  }
  return names.names;
}

/** A review decision that failed, said in the user's words. */
export function explainDecisionError(e: unknown): string {
  if (!(e instanceof ApiError)) return t('common.error', { detail: (e as Error)?.message ?? '' });
  if (e.network) return t('common.offline');
  switch (e.status) {
    case 412:
      return t('review.error.stale');
    case 409:
      return t('review.error.conflict');
    case 404:
      return t('review.error.notFound');
    case 403:
      return t('review.error.forbidden');
    case 422:
      return t('review.error.invalid', { detail: e.errors.map((x) => loc(x.message)).join('；') || e.detail });
    default:
      return t('common.error', { detail: e.detail });
  }
}
