/**
 * The last list of "my objects" (GET /api/objects?assignee=me) kept on the device, in the offline store's settings
 * (IndexedDB, lib/offline/db), so My tasks and the fill page still know the member's objects without a network.
 * One list per member: a shared phone never shows one member's list to another.
 */
import { getMeta, setMeta } from '$lib/offline/db';
import type { SurveyObject } from '$domain/objects';

export interface CachedObjects {
  /** When the list was fetched (ISO). */
  at: string;
  items: SurveyObject[];
}

const key = (userId: string) => `objects.mine.${userId}`;

export async function rememberMyObjects(userId: string, items: SurveyObject[]): Promise<void> {
  try {
    await setMeta(key(userId), { at: new Date().toISOString(), items } satisfies CachedObjects);
  } catch {
    /* no IndexedDB (private mode): the list is simply not kept */
  }
}

export async function myCachedObjects(userId: string): Promise<CachedObjects | null> {
  try {
    return (await getMeta<CachedObjects>(key(userId))) ?? null;
  } catch {
    return null;
  }
}

/** One object of the kept list, with the list updated when the object changed (e.g. added in the field). */
export async function cachedObject(userId: string, id: string): Promise<SurveyObject | null> {
  return (await myCachedObjects(userId))?.items.find((o) => o.id === id) ?? null;
}

export async function rememberObject(userId: string, o: SurveyObject): Promise<void> {
  const cur = await myCachedObjects(userId);
  const items = [...(cur?.items ?? []).filter((x) => x.id !== o.id), o];
  try {
    await setMeta(key(userId), { at: cur?.at ?? new Date().toISOString(), items } satisfies CachedObjects);
  } catch {
    /* ignore */
  }
}
