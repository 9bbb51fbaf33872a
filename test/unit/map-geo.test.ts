/**
 * The map's pure arithmetic (web/src/lib/map/geo.ts): Web Mercator both ways, the answers a drawing becomes (the
 * validator's format: a polygon's ring closed, rounded lng/lat), boxes, centroids, the completion colour steps.
 */
import { describe, expect, it } from 'vitest';
import { fromLonLat, toLonLat } from 'ol/proj';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import {
  bboxOf,
  COMPLETION_STEPS,
  completionFill,
  completionStep,
  fromMercator,
  lineValue,
  NO_TARGET_FILL,
  openRing,
  pointValue,
  polygonValue,
  ringCentroid,
  STATUS_SYMBOLS,
  toMercator,
} from '../../web/src/lib/map/geo';
import { validate } from '../../functions/domain/validate';
import { defineForm } from '../../functions/domain/forms';

describe('Web Mercator', () => {
  it.each([
    [114.3, 30.6],
    [0, 0],
    [-179.5, -60.25],
    [135.1, 53.6],
  ])('agrees with OpenLayers for %d, %d and comes back', (lng, lat) => {
    const m = toMercator([lng, lat]);
    const o = fromLonLat([lng, lat]);
    expect(m[0]).toBeCloseTo(o[0]!, 6);
    expect(m[1]).toBeCloseTo(o[1]!, 6);
    const back = fromMercator(m);
    expect(back[0]).toBeCloseTo(lng, 9);
    expect(back[1]).toBeCloseTo(lat, 9);
    const ol = toLonLat(m);
    expect(back[1]).toBeCloseTo(ol[1]!, 9);
  });

  it('clamps latitudes beyond the projection instead of running to infinity', () => {
    expect(Number.isFinite(toMercator([0, 90])[1])).toBe(true);
    expect(toMercator([0, 90])[1]).toBeCloseTo(toMercator([0, 85.0511287798066])[1], 3);
  });
});

describe('drawn shapes become the stored answers', () => {
  it('closes a polygon ring, drops the double-click repeat, rounds to 6 places', () => {
    const v = polygonValue([
      [114.30000001, 30.6],
      [114.31, 30.6],
      [114.31, 30.61],
      [114.31, 30.61],
    ]);
    expect(v).toEqual({
      type: 'Polygon',
      coordinates: [
        [
          [114.3, 30.6],
          [114.31, 30.6],
          [114.31, 30.61],
          [114.3, 30.6],
        ],
      ],
    });
  });

  it('keeps an already closed ring closed once', () => {
    const ring = [
      [1, 1],
      [2, 1],
      [2, 2],
      [1, 1],
    ];
    expect(polygonValue(ring)!.coordinates[0]).toEqual(ring);
    expect(openRing(ring)).toEqual(ring.slice(0, 3));
  });

  it('refuses a polygon of fewer than three distinct vertices and a line of fewer than two', () => {
    expect(polygonValue([[1, 1], [2, 2], [1, 1]])).toBeUndefined();
    expect(polygonValue([])).toBeUndefined();
    expect(lineValue([[1, 1], [1, 1]])).toBeUndefined();
    expect(lineValue([[1, 1], [1.0000001, 1], [2, 2]])).toEqual({ type: 'LineString', coordinates: [[1, 1], [2, 2]] });
  });

  it('a point from the map is {lat, lng} rounded', () => {
    expect(pointValue([114.123456789, 30.987654321])).toEqual({ lat: 30.987654, lng: 114.123457 });
  });

  it('what the map produces passes the shared validator (geoshape, geotrace, geopoint)', () => {
    const def = defineForm({
      id: 'test.map',
      version: 1,
      sector: 'housing',
      part: 'rural',
      title: { zh: 't', en: 't' },
      regionLevel: 'village',
      unit: 'object',
      sections: [{ id: 's', title: { zh: 's', en: 's' } }],
      fields: [
        { name: 'p', type: 'geopoint', label: { zh: 'p', en: 'p' }, section: 's' },
        { name: 'shape', type: 'geoshape', label: { zh: 's', en: 's' }, section: 's' },
        { name: 'trace', type: 'geotrace', label: { zh: 't', en: 't' }, section: 's' },
      ],
    });
    const data = {
      p: pointValue([114.3, 30.6]),
      shape: polygonValue([[114.3, 30.6], [114.301, 30.6], [114.301, 30.601], [114.301, 30.601]]),
      trace: lineValue([[114.3, 30.6], [114.302, 30.603]]),
    };
    const r = validate(def, data, { mode: 'submit' });
    expect(r.errors).toEqual([]);
    expect(r.data.shape).toEqual(data.shape);
    // And an open ring (what a naive editor would store) is refused: the test can fail.
    const bad = validate(def, { shape: { type: 'Polygon', coordinates: [[[114.3, 30.6], [114.301, 30.6], [114.301, 30.601]]] } }, { mode: 'submit' });
    expect(bad.errors.map((e) => e.path)).toContain('data.shape');
  });
});

describe('boxes and centroids', () => {
  it('boxes every coordinate of mixed geometries', () => {
    expect(
      bboxOf([
        { type: 'Point', coordinates: [114.3, 30.6] },
        { type: 'Polygon', coordinates: [[[114, 30], [115, 30], [115, 31.5], [114, 30]]] },
        { type: 'MultiPolygon', coordinates: [[[[113.5, 29.9], [113.6, 29.9], [113.6, 30], [113.5, 29.9]]]] },
        null,
      ]),
    ).toEqual([113.5, 29.9, 115, 31.5]);
    expect(bboxOf([])).toBeNull();
  });

  it("a convex ring's centroid lies inside it", () => {
    const ring = [[114.2, 30.5], [114.3, 30.5], [114.3, 30.6], [114.2, 30.6], [114.2, 30.5]];
    const c = ringCentroid(ring);
    expect(c[0]).toBeCloseTo(114.25, 9);
    expect(c[1]).toBeCloseTo(30.55, 9);
    expect(booleanPointInPolygon(c, { type: 'Polygon', coordinates: [ring] })).toBe(true);
  });
});

describe('completion colours', () => {
  it('five steps of 20 %, 100 % in the last, no target grey', () => {
    expect(COMPLETION_STEPS).toHaveLength(5);
    expect([0, 19.9, 20, 59.9, 60, 80, 100, 140].map(completionStep)).toEqual([0, 0, 1, 2, 3, 4, 4, 4]);
    expect(completionStep(null)).toBeNull();
    expect(completionFill(null)).toBe(NO_TARGET_FILL);
    expect(new Set(COMPLETION_STEPS.map((s) => s.fill)).size).toBe(5);
  });

  it('each object status has its own shape as well as its own colour', () => {
    const s = Object.values(STATUS_SYMBOLS);
    expect(new Set(s.map((x) => x.shape)).size).toBe(4);
    expect(new Set(s.map((x) => x.color)).size).toBe(4);
  });
});
