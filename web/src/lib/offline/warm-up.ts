/**
 * Get the device ready for a day without network: while online and once the service worker controls the page, fetch
 * what the forms need — the form list, every current definition of the user's sector, the regions, the profile — so
 * the service worker keeps a copy, and remember the user's recent records on the device, with the older form versions
 * that drafts and returned records are still on (they open under their own version). The page's own reference
 * cache (lib/reference.ts) is bypassed on purpose: it may have been filled before the service worker was in control.
 */
import { api } from '$lib/api';
import type { FormSummary } from '$lib/reference';
import type { Me } from '$lib/session.svelte';
import type { Submission } from '$lib/form/types';
import { rememberRecords } from './outbox.svelte';

async function controlled(): Promise<boolean> {
  const sw = navigator.serviceWorker;
  if (!sw) return false;
  if (sw.controller) return true;
  await sw.ready;
  if (sw.controller) return true;
  // The worker claims open pages when it activates; give it a moment.
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 5_000);
    sw.addEventListener('controllerchange', () => (clearTimeout(t), resolve()), { once: true });
  });
  return !!sw.controller;
}

/** True when everything a form needs offline was fetched through the service worker. */
export async function warmUp(me: Me): Promise<boolean> {
  if (!navigator.onLine || !(await controlled())) return false;
  const [forms] = await Promise.all([api.get<FormSummary[]>('/api/forms'), api.get('/api/regions'), api.get('/api/me')]);
  const mine = me.role === 'admin' ? [] : forms.body.filter((f) => f.sector === me.sector);
  for (const f of mine) await api.get(`/api/forms/${f.id}`);
  if (me.role === 'staff' || me.role === 'admin') {
    try {
      const r = await api.get<{ items: Submission[] }>('/api/submissions?mine=true&limit=100');
      await rememberRecords(r.body.items);
      const current = new Map(forms.body.map((f) => [f.id, f.version]));
      const older = new Set(
        r.body.items
          .filter((s) => (s.status === 'draft' || s.status === 'returned') && s.formVersion && s.formVersion !== current.get(s.formId))
          .map((s) => `/api/forms/${s.formId}/versions/${s.formVersion}`),
      );
      for (const path of older) await api.get(path).catch(() => {});
    } catch {
      /* recent records are a convenience */
    }
  }
  return true;
}
