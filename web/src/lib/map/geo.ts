/**
 * Pure map arithmetic shared by the map engine, the form inputs and the tests: lng/lat ↔ Web Mercator (EPSG:3857), the
 * form values of shapes (exactly what the validator wants: a Polygon's ring closed, first vertex = last), bounding
 * boxes, the completion colour scale and the object-status symbols. No OpenLayers here: pages import this freely.
 */
import type { ObjectStatus } from '../../../../functions/domain/objects';

/** Earth radius of the spherical Mercator projection (EPSG:3857), metres. */
export const EARTH_RADIUS = 6378137;
/** Web Mercator's latitude limit: beyond it the projection runs to infinity. */
export const MAX_MERCATOR_LAT = 85.0511287798066;
/** Decimal places kept in stored coordinates (≈ 0.1 m). */
export const COORD_DIGITS = 6;

export type LngLat = [number, number];
export interface GeoPoint {
  lat: number;
  lng: number;
}
export type PolygonValue = { type: 'Polygon'; coordinates: number[][][] };
export type LineValue = { type: 'LineString'; coordinates: number[][] };

export function toMercator([lng, lat]: readonly number[]): [number, number] {
  const la = Math.max(-MAX_MERCATOR_LAT, Math.min(MAX_MERCATOR_LAT, lat!));
  const x = (EARTH_RADIUS * Math.PI * lng!) / 180;
  const y = EARTH_RADIUS * Math.log(Math.tan(Math.PI / 4 + (la * Math.PI) / 360));
  return [x, y];
}

export function fromMercator([x, y]: readonly number[]): LngLat {
  const lng = (x! / EARTH_RADIUS) * (180 / Math.PI);
  const lat = (2 * Math.atan(Math.exp(y! / EARTH_RADIUS)) - Math.PI / 2) * (180 / Math.PI);
  return [lng, lat];
}

export function round(n: number, digits = COORD_DIGITS): number {
  const f = 10 ** digits;
  const r = Math.round(n * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

export const roundPair = (p: readonly number[]): LngLat => [round(p[0]!), round(p[1]!)];

const same = (a: readonly number[], b: readonly number[]) => a[0] === b[0] && a[1] === b[1];

/** Vertices with consecutive repeats removed (a double-click that ends a drawing adds the last vertex twice). */
export function dropRepeats(points: readonly (readonly number[])[]): LngLat[] {
  const out: LngLat[] = [];
  for (const p of points) if (!out.length || !same(out[out.length - 1]!, p)) out.push([p[0]!, p[1]!]);
  return out;
}

/** A ring's vertices without its closing vertex (the ring as drawn or typed). */
export function openRing(ring: readonly (readonly number[])[]): LngLat[] {
  const pts = dropRepeats(ring);
  if (pts.length > 1 && same(pts[0]!, pts[pts.length - 1]!)) pts.pop();
  return pts;
}

/**
 * The geoshape answer for drawn vertices (lng/lat, rounded to COORD_DIGITS): a GeoJSON Polygon with one ring, closed
 * (first = last), at least three distinct vertices; undefined when there are fewer.
 */
export function polygonValue(vertices: readonly (readonly number[])[]): PolygonValue | undefined {
  const open = openRing(vertices.map(roundPair));
  if (new Set(open.map((p) => `${p[0]},${p[1]}`)).size < 3) return undefined;
  return { type: 'Polygon', coordinates: [[...open, [open[0]![0], open[0]![1]]]] };
}

/** The geotrace answer for drawn vertices: a GeoJSON LineString, at least two distinct vertices; else undefined. */
export function lineValue(vertices: readonly (readonly number[])[]): LineValue | undefined {
  const pts = dropRepeats(vertices.map(roundPair));
  if (new Set(pts.map((p) => `${p[0]},${p[1]}`)).size < 2) return undefined;
  return { type: 'LineString', coordinates: pts };
}

/** The geopoint answer for a place on the map (any accuracy of a device fix no longer applies). */
export function pointValue(lngLat: readonly number[]): GeoPoint {
  return { lat: round(lngLat[1]!), lng: round(lngLat[0]!) };
}

/** [minLng, minLat, maxLng, maxLat] of every coordinate in GeoJSON geometries; null when there are none. */
export type BBox = [number, number, number, number];
export function bboxOf(geometries: Iterable<{ type: string; coordinates?: unknown } | null | undefined>): BBox | null {
  let b: BBox | null = null;
  const visit = (c: unknown) => {
    if (!Array.isArray(c)) return;
    if (typeof c[0] === 'number' && typeof c[1] === 'number') {
      const [x, y] = c as number[];
      if (!b) b = [x!, y!, x!, y!];
      else b = [Math.min(b[0], x!), Math.min(b[1], y!), Math.max(b[2], x!), Math.max(b[3], y!)];
      return;
    }
    for (const x of c) visit(x);
  };
  for (const g of geometries) if (g) visit(g.coordinates);
  return b;
}

/** The area-weighted centroid of a ring (shoelace); the mean of the vertices for a degenerate ring. */
export function ringCentroid(ring: readonly (readonly number[])[]): LngLat {
  const pts = openRing(ring);
  if (!pts.length) return [NaN, NaN];
  // Relative to the first vertex: lng/lat products of ~114 × ~30 would otherwise cancel away the digits that matter.
  const [ox, oy] = pts[0]!;
  let a = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < pts.length; i++) {
    const x0 = pts[i]![0] - ox;
    const y0 = pts[i]![1] - oy;
    const x1 = pts[(i + 1) % pts.length]![0] - ox;
    const y1 = pts[(i + 1) % pts.length]![1] - oy;
    const f = x0 * y1 - x1 * y0;
    a += f;
    cx += (x0 + x1) * f;
    cy += (y0 + y1) * f;
  }
  if (Math.abs(a) < 1e-18) return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
  return [ox + cx / (3 * a), oy + cy / (3 * a)];
}

// ── completion colour scale: the progress bars' green, in five steps, always shown with its text

export interface CompletionStep {
  /** Lower bound (inclusive), percent. */
  from: number;
  /** Upper bound (exclusive; the last step includes 100). */
  to: number;
  fill: string;
  /** Text colour that reads on the fill (WCAG AA for the labels drawn on the map). */
  ink: string;
}

/** Light to dark green (the bars' `--ok` is the darkest step's neighbour). */
export const COMPLETION_STEPS: readonly CompletionStep[] = [
  { from: 0, to: 20, fill: '#edf8e9', ink: '#1f2937' },
  { from: 20, to: 40, fill: '#bae4b3', ink: '#1f2937' },
  { from: 40, to: 60, fill: '#74c476', ink: '#1f2937' },
  { from: 60, to: 80, fill: '#31a354', ink: '#ffffff' },
  { from: 80, to: 100, fill: '#006d2c', ink: '#ffffff' },
];
/** Regions without a target ("未设任务量"): grey. */
export const NO_TARGET_FILL = '#e5e7eb';

/** The step index (0–4) of a completion percentage; null for no target. */
export function completionStep(pct: number | null | undefined): number | null {
  if (pct === null || pct === undefined || !Number.isFinite(pct)) return null;
  const p = Math.max(0, Math.min(100, pct));
  const i = COMPLETION_STEPS.findIndex((s) => p >= s.from && p < s.to);
  return i === -1 ? COMPLETION_STEPS.length - 1 : i;
}

export function completionFill(pct: number | null | undefined): string {
  const i = completionStep(pct);
  return i === null ? NO_TARGET_FILL : COMPLETION_STEPS[i]!.fill;
}

// ── object statuses: a colour and a shape each (never colour alone)

export type SymbolShape = 'circle' | 'square' | 'triangle' | 'cross';
export const STATUS_SYMBOLS: Readonly<Record<ObjectStatus, { color: string; shape: SymbolShape }>> = {
  pending: { color: '#b45309', shape: 'circle' },
  surveyed: { color: '#1d4ed8', shape: 'square' },
  'not-required': { color: '#4b5563', shape: 'triangle' },
  duplicate: { color: '#7e22ce', shape: 'cross' },
};
