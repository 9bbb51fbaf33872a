/**
 * Region boundaries (API.md "boundaries"): the district uploads its township and village outlines as a GeoJSON
 * FeatureCollection whose features carry `properties.code`; outlines are matched to the region tree by code, and the
 * codes that are not regions of the district are listed back (nothing is stored for them). A feature with a broken
 * geometry refuses the whole upload with its location, so a half-read file never replaces good outlines.
 */
import { can } from '#domain/access';
import { DomainError, type FieldError } from '#domain/errors';
import { insideChina } from '#domain/objects';
import type { Principal } from '#domain/principal';
import type { Region } from '#domain/regions';
import type { Boundary, Ports } from './ports';

/** Vertices of one outline: a village drawn at survey precision has a few thousand; more is a file that needs simplifying. */
export const MAX_VERTICES = 20_000;

type Position = [number, number];

function isPosition(p: unknown): p is Position {
  return Array.isArray(p) && p.length >= 2 && typeof p[0] === 'number' && typeof p[1] === 'number' && Number.isFinite(p[0]) && Number.isFinite(p[1]);
}

/** The problem with a polygon's rings (closed, ≥ 4 positions, WGS84 inside China), or null. */
function ringProblem(rings: unknown): string | null {
  if (!Array.isArray(rings) || !rings.length) return 'a polygon is a list of rings';
  for (const ring of rings) {
    if (!Array.isArray(ring) || ring.length < 4) return 'every ring has at least 4 positions';
    if (!ring.every(isPosition)) return 'positions are [longitude, latitude] numbers';
    const first = ring[0] as Position;
    const last = ring[ring.length - 1] as Position;
    if (first[0] !== last[0] || first[1] !== last[1]) return 'every ring is closed (its last position equals its first)';
    if (!(ring as Position[]).every(([lng, lat]) => insideChina({ lat, lng }))) return 'positions must be WGS84 longitude/latitude inside China (is the file in a projected system, or are x and y swapped?)';
  }
  return null;
}

function geometryProblem(g: unknown): { problem: string; vertices: number } | { problem: null; vertices: number; geometry: Boundary['geometry'] } {
  const geom = g as { type?: unknown; coordinates?: unknown } | null;
  if (!geom || (geom.type !== 'Polygon' && geom.type !== 'MultiPolygon')) return { problem: 'the geometry is a Polygon or a MultiPolygon', vertices: 0 };
  const polygons = geom.type === 'Polygon' ? [geom.coordinates] : Array.isArray(geom.coordinates) ? geom.coordinates : null;
  if (!polygons || !polygons.length) return { problem: 'a MultiPolygon is a list of polygons', vertices: 0 };
  let vertices = 0;
  for (const p of polygons) {
    const problem = ringProblem(p);
    if (problem) return { problem, vertices };
    for (const ring of p as unknown[][]) vertices += ring.length;
  }
  if (vertices > MAX_VERTICES) return { problem: `at most ${MAX_VERTICES} vertices per outline (simplify the file)`, vertices };
  return { problem: null, vertices, geometry: { type: geom.type, coordinates: geom.coordinates } };
}

export async function putBoundaries(ports: Ports, principal: Principal, body: unknown): Promise<{ matched: number; unmatched: string[] }> {
  if (!can(principal, 'boundaries.write')) throw new DomainError('access.forbidden', 'Only administrators upload boundaries');
  let doc: unknown = body;
  if (body instanceof Uint8Array) {
    try {
      doc = JSON.parse(new TextDecoder('utf-8').decode(body).replace(/^\uFEFF/, ''));
    } catch {
      throw new DomainError('boundaries.invalid', 'The body is not JSON', [{ path: '(body)', code: 'json', message: { zh: '不是有效的 GeoJSON 文件', en: 'Not a valid GeoJSON file' } }]);
    }
  }
  const features = (doc as { type?: unknown; features?: unknown })?.type === 'FeatureCollection' ? (doc as { features: unknown }).features : undefined;
  if (!Array.isArray(features) || !features.length) {
    throw new DomainError('boundaries.invalid', 'Send a GeoJSON FeatureCollection', [
      { path: 'features', code: 'feature-collection', message: { zh: '应为含要素的 GeoJSON FeatureCollection', en: 'A GeoJSON FeatureCollection with features' } },
    ]);
  }
  const regions = new Map<string, Region>((await ports.directory.regions()).map((r) => [r.code, r]));
  const errors: FieldError[] = [];
  const out = new Map<string, Boundary>();
  const unmatched = new Set<string>();
  features.forEach((f, i) => {
    const props = (f as { properties?: Record<string, unknown> })?.properties;
    const code = props?.code === undefined || props.code === null ? '' : String(props.code).trim();
    if (!code) {
      errors.push({ path: `features[${i}].properties.code`, code: 'code', message: { zh: '缺少区划代码 (properties.code)', en: 'properties.code is missing' } });
      return;
    }
    const g = geometryProblem((f as { geometry?: unknown })?.geometry);
    if (g.problem !== null) {
      errors.push({ path: `features[${i}].geometry`, code: 'geometry', message: { zh: `区划 ${code} 的边界无效:${g.problem}`, en: `The outline of ${code} is invalid: ${g.problem}` } });
      return;
    }
    const region = regions.get(code);
    if (!region) unmatched.add(code);
    else out.set(code, { code, level: region.level, geometry: g.geometry });
  });
  if (errors.length) throw new DomainError('boundaries.invalid', `${errors.length} feature(s) need attention`, errors.slice(0, 200));
  const list = [...out.values()];
  for (let i = 0; i < list.length; i += 25) await ports.directory.putBoundaries(list.slice(i, i + 25));
  return { matched: list.length, unmatched: [...unmatched].sort() };
}

export async function getBoundaries(ports: Ports, _principal: Principal, level: string | undefined) {
  if (level !== undefined && !['county', 'township', 'village'].includes(level)) {
    throw new DomainError('request.bad-parameter', 'level is county, township or village', [{ path: 'level', code: 'invalid', message: { zh: '应为 county、township 或 village', en: 'county, township or village' } }]);
  }
  const regions = new Map((await ports.directory.regions()).map((r) => [r.code, r]));
  const boundaries = await ports.directory.boundaries(level as Region['level'] | undefined);
  return {
    type: 'FeatureCollection' as const,
    features: boundaries
      .filter((b) => regions.has(b.code))
      .map((b) => ({ type: 'Feature' as const, id: b.code, properties: { code: b.code, name: regions.get(b.code)!.name, level: b.level }, geometry: b.geometry })),
  };
}
