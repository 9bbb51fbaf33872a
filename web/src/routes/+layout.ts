// A single-page app: everything renders in the browser; nothing is prerendered except the shell.
import type { LayoutLoad } from './$types';
import { config } from '$lib/config';
import { session } from '$lib/session.svelte';
import { loadSyncStatus } from '$lib/offline/lazy';

export const ssr = false;
export const prerender = false;
export const trailingSlash = 'never';

// Started as soon as the app's code runs, while the router still fetches the page's own code:
// - /config.json, which every API request waits for (the API base);
// - with a session on the device (signed in or expired), the header's sync status and the offline outbox behind it, so
//   the header is complete in the first paint and nothing below it moves. Signed out (the login page) they are not part
//   of the first load: the layout fetches them later if the device may hold unsent records, or after sign-in.
void config();
const syncStatus = session.current ? loadSyncStatus() : null;

export const load: LayoutLoad = async () => ({ syncStatus: syncStatus ? await syncStatus.catch(() => null) : null });
