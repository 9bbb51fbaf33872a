/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/**
 * The service worker: the app opens without a network.
 * - App shell: every built file and static file of this version (and the SPA page, index.html) is cached on install
 *   and served cache-first (the built files are content-hashed, so a cached one is never stale).
 * - Pages (navigations): network first, so a new deployment shows at once; offline, the cached shell.
 * - Reference data the forms need — GET /api/forms*, /api/regions, /api/me, /api/progress (My tasks) — network
 *   first, falling back to the last good answer when offline. Matched by path on any origin: on AWS the API has its own
 *   origin (config.json `apiBase`).
 * - /config.json: left to the network while the browser is online (so nothing stands between the page and a fresh
 *   deployment's settings), refreshed in the cache meanwhile, and answered from the cache when offline.
 * - Nothing else is touched: PUT/POST never, and records (/api/submissions*) travel between the page's outbox and the
 *   server only, so a cached answer can never be mistaken for a confirmed write.
 * The page asks for `clear-api-cache` on sign-out, so the next account does not see the previous one's cached data.
 */
import { build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;

const SHELL = `shell-${version}`;
const RUNTIME = 'api-runtime-v1';
const SHELL_PAGE = '/index.html';
const ASSETS = new Set([...build, ...files]);
/** Navigations wait this long for the network before the cached shell is used (field networks can hang). */
const NAVIGATION_TIMEOUT_MS = 4_000;

const CONFIG = '/config.json';

function cachedApi(path: string): boolean {
  return path === '/api/forms' || path.startsWith('/api/forms/') || path === '/api/regions' || path === '/api/me' || path === '/api/progress';
}

async function refreshConfig(): Promise<void> {
  try {
    const res = await fetch(CONFIG, { cache: 'no-store' });
    if (res.ok) await (await caches.open(RUNTIME)).put(CONFIG, res);
  } catch {
    /* offline: keep the last copy */
  }
}

async function cachedConfig(request: Request): Promise<Response> {
  return (await caches.match(CONFIG, { cacheName: RUNTIME })) ?? fetch(request);
}

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      await cache.addAll([...ASSETS, SHELL_PAGE]);
      await refreshConfig();
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== SHELL && key !== RUNTIME) await caches.delete(key);
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('message', (event) => {
  if (event.data?.type === 'clear-api-cache') event.waitUntil(caches.delete(RUNTIME));
});

async function withTimeout(p: Promise<Response>, ms: number): Promise<Response> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function navigation(request: Request): Promise<Response> {
  try {
    const res = await withTimeout(fetch(request), NAVIGATION_TIMEOUT_MS);
    if (res.ok && res.headers.get('content-type')?.includes('text/html')) {
      const cache = await caches.open(SHELL);
      await cache.put(SHELL_PAGE, res.clone());
    }
    return res;
  } catch (e) {
    const cached = await caches.match(SHELL_PAGE, { cacheName: SHELL });
    if (cached) return cached;
    throw e;
  }
}

async function shellFile(request: Request): Promise<Response> {
  const cached = await caches.match(request, { cacheName: SHELL });
  if (cached) return cached;
  const res = await fetch(request);
  if (res.ok) {
    const cache = await caches.open(SHELL);
    await cache.put(request, res.clone());
  }
  return res;
}

async function networkFirst(request: Request): Promise<Response> {
  const cache = await caches.open(RUNTIME);
  try {
    const res = await fetch(request);
    if (res.status === 200) await cache.put(request, res.clone());
    return res;
  } catch (e) {
    // The token changes at every sign-in: match on the URL alone.
    const cached = await cache.match(request, { ignoreVary: true });
    if (cached) return cached;
    throw e;
  }
}

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  const same = url.origin === sw.location.origin;
  if (cachedApi(url.pathname)) {
    event.respondWith(networkFirst(request));
  } else if (!same) {
    return;
  } else if (url.pathname.startsWith('/files/')) {
    // Downloads from the embedded file store (signed, short-lived links): straight to the network, never the shell.
    return;
  } else if (request.mode === 'navigate') {
    event.respondWith(navigation(request));
  } else if (ASSETS.has(url.pathname)) {
    event.respondWith(shellFile(request));
  } else if (url.pathname === CONFIG) {
    if (sw.navigator.onLine) event.waitUntil(refreshConfig());
    else event.respondWith(cachedConfig(request));
  }
});
