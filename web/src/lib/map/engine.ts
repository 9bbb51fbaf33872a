/**
 * The OpenLayers side of MapView (loaded with a dynamic import, so pages without a map never download `ol`): a 2D
 * canvas map in EPSG:3857 with a layer of region outlines, a layer of object points, an editing layer the form inputs
 * draw on (edit.ts), and an optional base map read from a PMTiles file on the device (basemap-layer.ts). Nothing here
 * fetches anything: without a base map the map shows outlines and points on a plain background.
 *
 * Hit-testing (`hitAt`) is OpenLayers' own pixel hit detection — the same path a click takes — so a test that asks it
 * what lies under a pixel exercises what a user's click does.
 */
import 'ol/ol.css';
import OlMap from 'ol/Map';
import View from 'ol/View';
import Feature from 'ol/Feature';
import Point from 'ol/geom/Point';
import VectorLayer from 'ol/layer/Vector';
import VectorSource from 'ol/source/Vector';
import GeoJSON from 'ol/format/GeoJSON';
import type BaseLayer from 'ol/layer/Base';
import { defaults as defaultInteractions } from 'ol/interaction/defaults';
import { Circle as CircleStyle, Fill, RegularShape, Stroke, Style, Text } from 'ol/style';
import type { FeatureLike } from 'ol/Feature';
import type { ObjectStatus } from '$domain/objects';
import { fromMercator, STATUS_SYMBOLS, toMercator, type BBox } from './geo';

export const FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

export interface RegionLook {
  fill: string;
  ink: string;
  /** Text drawn inside the outline (name and percentage): the colour is never the only carrier. */
  label?: string;
}

export interface GeoFeatureCollection {
  type: 'FeatureCollection';
  features: { type: 'Feature'; geometry: { type: string; coordinates?: unknown } | null; properties: Record<string, unknown> | null }[];
}

export interface MapPoint {
  id: string;
  lng: number;
  lat: number;
  status: ObjectStatus;
  label?: string;
  submissionId?: string;
}

export type Hit = { kind: 'region'; code: string } | { kind: 'point'; id: string; submissionId?: string };

export interface MapEngine {
  readonly map: OlMap;
  /** The layer the form editors draw on (edit.ts). */
  readonly editSource: VectorSource;
  setRegions(fc: GeoFeatureCollection | null, look: (code: string) => RegionLook): void;
  setPoints(points: readonly MapPoint[]): void;
  /** Show a lng/lat box (or a point, at street zoom). */
  fit(bbox: BBox | null): void;
  hitAt(pixel: readonly number[]): Hit | null;
  /** The CSS pixel (relative to the map element) of a lng/lat, at the current view. */
  pixelOf(lng: number, lat: number): [number, number] | null;
  lngLatAt(pixel: readonly number[]): [number, number];
  zoomBy(delta: number): void;
  onClick(cb: (hit: Hit | null, lngLat: [number, number]) => void): () => void;
  /** Resolves once the map has drawn everything it has (the next `rendercomplete`). */
  rendered(): Promise<void>;
  setBaseMap(file: Blob | null): Promise<{ kind: 'raster' | 'vector' } | null>;
  destroy(): void;
}

const geojson = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });

function regionStyle(f: FeatureLike, resolution: number): Style {
  const fill = (f.get('fill') as string) ?? '#e5e7eb';
  const ink = (f.get('ink') as string) ?? '#1f2937';
  const label = f.get('label') as string | undefined;
  return new Style({
    fill: new Fill({ color: fill }),
    stroke: new Stroke({ color: '#1f2937', width: 1.25 }),
    text:
      label && resolution < 400
        ? new Text({
            text: label,
            font: `600 13px ${FONT}`,
            fill: new Fill({ color: ink }),
            stroke: new Stroke({ color: ink === '#ffffff' ? 'rgba(0,0,0,0.55)' : 'rgba(255,255,255,0.85)', width: 3 }),
            overflow: false,
          })
        : undefined,
  });
}

const pointStyles = new Map<ObjectStatus, Style>();
function pointStyle(status: ObjectStatus): Style {
  let s = pointStyles.get(status);
  if (s) return s;
  const { color, shape } = STATUS_SYMBOLS[status] ?? STATUS_SYMBOLS.pending;
  const fill = new Fill({ color });
  const stroke = new Stroke({ color: '#ffffff', width: 1.5 });
  const image =
    shape === 'circle'
      ? new CircleStyle({ radius: 6, fill, stroke })
      : shape === 'square'
        ? new RegularShape({ points: 4, radius: 7.5, angle: Math.PI / 4, fill, stroke })
        : shape === 'triangle'
          ? new RegularShape({ points: 3, radius: 8, fill, stroke })
          : new RegularShape({ points: 4, radius: 8, radius2: 0, angle: Math.PI / 4, stroke: new Stroke({ color, width: 3.5 }) });
  s = new Style({ image });
  pointStyles.set(status, s);
  return s;
}

export function createMap(target: HTMLElement): MapEngine {
  const regionSource = new VectorSource();
  const pointSource = new VectorSource();
  const editSource = new VectorSource();
  const regions = new VectorLayer({ source: regionSource, style: regionStyle, properties: { name: 'regions' } });
  const points = new VectorLayer({ source: pointSource, style: (f) => pointStyle(f.get('status') as ObjectStatus), properties: { name: 'points' } });
  const edit = new VectorLayer({ source: editSource, properties: { name: 'edit' } });
  let base: BaseLayer | null = null;

  const map = new OlMap({
    target,
    layers: [regions, points, edit],
    controls: [],
    // Keyboard pan/zoom listen on the focused map element (it has a tabindex); the zoom buttons are MapView's own.
    interactions: defaultInteractions({ altShiftDragRotate: false, pinchRotate: false }),
    view: new View({ center: toMercator([105, 35]), zoom: 4, maxZoom: 20, constrainResolution: false }),
  });

  const hitAt = (pixel: readonly number[]): Hit | null => {
    let hit: Hit | null = null;
    map.forEachFeatureAtPixel(
      [pixel[0]!, pixel[1]!],
      (f, layer) => {
        if (layer === points) {
          hit = { kind: 'point', id: f.get('id') as string, ...(f.get('submissionId') ? { submissionId: f.get('submissionId') as string } : {}) };
          return true;
        }
        if (layer === regions && !hit) hit = { kind: 'region', code: f.get('code') as string };
        return undefined;
      },
      { hitTolerance: 3, layerFilter: (l) => l === points || l === regions },
    );
    return hit;
  };

  return {
    map,
    editSource,
    setRegions(fc, look) {
      regionSource.clear(true);
      if (!fc) return;
      const features = geojson.readFeatures(fc);
      for (const f of features) {
        const code = String(f.get('code') ?? '');
        const l = look(code);
        f.setProperties({ fill: l.fill, ink: l.ink, label: l.label }, true);
      }
      regionSource.addFeatures(features);
    },
    setPoints(list) {
      pointSource.clear(true);
      pointSource.addFeatures(
        list.map((p) => {
          const f = new Feature({ geometry: new Point(toMercator([p.lng, p.lat])) });
          f.setProperties({ id: p.id, status: p.status, submissionId: p.submissionId, label: p.label }, true);
          return f;
        }),
      );
    },
    fit(bbox) {
      if (!bbox) return;
      const [a, b] = [toMercator([bbox[0], bbox[1]]), toMercator([bbox[2], bbox[3]])];
      const size = map.getSize();
      if (a[0] === b[0] && a[1] === b[1]) {
        map.getView().setCenter(a);
        map.getView().setZoom(17);
        return;
      }
      map.getView().fit([a[0], a[1], b[0], b[1]], { padding: [24, 24, 24, 24], maxZoom: 18, ...(size ? { size } : {}) });
    },
    hitAt,
    pixelOf(lng, lat) {
      const p = map.getPixelFromCoordinate(toMercator([lng, lat]));
      return p ? [p[0]!, p[1]!] : null;
    },
    lngLatAt(pixel) {
      return fromMercator(map.getCoordinateFromPixel([pixel[0]!, pixel[1]!]));
    },
    zoomBy(delta) {
      const view = map.getView();
      const z = view.getZoom();
      if (z !== undefined) view.animate({ zoom: z + delta, duration: 200 });
    },
    onClick(cb) {
      const handler = (e: { pixel: number[]; coordinate: number[] }) => cb(hitAt(e.pixel), fromMercator(e.coordinate));
      map.on('click', handler);
      return () => map.un('click', handler);
    },
    rendered() {
      return new Promise((resolve) => {
        map.once('rendercomplete', () => resolve());
        map.render();
      });
    },
    async setBaseMap(file) {
      if (base) {
        map.removeLayer(base);
        base = null;
      }
      if (!file) return null;
      const { baseLayer } = await import('./basemap-layer');
      const made = await baseLayer(file);
      base = made.layer;
      map.getLayers().insertAt(0, base);
      return { kind: made.kind };
    },
    destroy() {
      map.setTarget(undefined);
      map.dispose();
    },
  };
}
