/**
 * The district's own base map: a PMTiles file a person chooses on the device, kept in Cache Storage so the map has it
 * offline and after a reload. No tile server is ever asked; a device without the file shows outlines and points only.
 */
const CACHE = 'risk-census-basemap-v1';
/** A same-origin key that nothing serves: the cache entry is only ever read back here. */
const KEY = '/__device__/basemap.pmtiles';

export interface StoredBaseMap {
  name: string;
  size: number;
  file: File;
}

const available = () => typeof caches !== 'undefined';

export async function loadBaseMap(): Promise<StoredBaseMap | null> {
  if (!available()) return null;
  try {
    const res = await (await caches.open(CACHE)).match(KEY);
    if (!res) return null;
    const name = decodeURIComponent(res.headers.get('x-file-name') ?? 'basemap.pmtiles');
    const blob = await res.blob();
    return { name, size: blob.size, file: new File([blob], name, { type: 'application/octet-stream' }) };
  } catch {
    return null;
  }
}

export async function saveBaseMap(file: File): Promise<void> {
  const cache = await caches.open(CACHE);
  await cache.put(KEY, new Response(file, { headers: { 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent(file.name) } }));
}

export async function removeBaseMap(): Promise<void> {
  if (available()) await caches.delete(CACHE);
}
