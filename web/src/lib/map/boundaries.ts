/**
 * Region outlines from `GET /api/regions/boundaries?level=…`, kept for offline use: the last good answer per level is
 * stored in Cache Storage and answered when the network is not there (a form in a village shows its outline without a
 * signal). One request per level and session.
 */
import { api, ApiError } from '$lib/api';
import { levelOf } from '$domain/regions';
import type { GeoFeatureCollection } from './engine';

const CACHE = 'risk-census-boundaries-v1';
const key = (level: string) => `/__device__/boundaries/${level}.json`;
const memo = new Map<string, Promise<GeoFeatureCollection>>();

async function fromCache(level: string): Promise<GeoFeatureCollection | null> {
  if (typeof caches === 'undefined') return null;
  const res = await (await caches.open(CACHE)).match(key(level));
  return res ? ((await res.json()) as GeoFeatureCollection) : null;
}

async function fetchLevel(level: string): Promise<GeoFeatureCollection> {
  try {
    const fc = (await api.get<GeoFeatureCollection>(`/api/regions/boundaries?level=${level}`)).body;
    if (typeof caches !== 'undefined') {
      void caches
        .open(CACHE)
        .then((c) => c.put(key(level), new Response(JSON.stringify(fc), { headers: { 'content-type': 'application/json' } })))
        .catch(() => undefined);
    }
    return fc;
  } catch (e) {
    if (e instanceof ApiError && !e.network) throw e;
    const cached = await fromCache(level);
    if (cached) return cached;
    throw e;
  }
}

/** Every outline of a level ('township' | 'village' | 'county'). */
export function loadBoundaries(level: string): Promise<GeoFeatureCollection> {
  let p = memo.get(level);
  if (!p) {
    p = fetchLevel(level);
    p.catch(() => memo.delete(level));
    memo.set(level, p);
  }
  return p;
}

/** The outlines of some regions of one level, or of one region; an empty collection when none is stored. */
export async function loadRegionBoundaries(codes: readonly string[]): Promise<GeoFeatureCollection> {
  const level = codes.length ? levelOf(codes[0]!) : null;
  if (!level) return { type: 'FeatureCollection', features: [] };
  const fc = await loadBoundaries(level);
  const want = new Set(codes);
  return { type: 'FeatureCollection', features: fc.features.filter((f) => want.has(String(f.properties?.code ?? ''))) };
}
