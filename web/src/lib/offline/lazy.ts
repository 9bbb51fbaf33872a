/**
 * The header's sync status (and with it the outbox, the device store and the offline strings) as a separate chunk: the
 * login page's first load does without it. See routes/+layout.ts and +layout.svelte for when it is loaded.
 */
import type { Component } from 'svelte';
import { DB_NAME } from './db-name';

let loading: Promise<Component> | undefined;

export function loadSyncStatus(): Promise<Component> {
  loading ??= import('./SyncStatus.svelte').then((m) => m.default as Component);
  loading.catch(() => (loading = undefined));
  return loading;
}

/** Whether this device may hold records waiting to be sent: the device store exists (a signed-out device still shows them). */
export async function mayHaveOfflineData(): Promise<boolean> {
  try {
    if (typeof indexedDB === 'undefined') return false;
    if (typeof indexedDB.databases !== 'function') return true;
    return (await indexedDB.databases()).some((d) => d.name === DB_NAME);
  } catch {
    return true;
  }
}
