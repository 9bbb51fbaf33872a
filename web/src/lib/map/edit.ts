/**
 * Editing on a map (the form inputs): a point placed by a click and dragged to adjust; a polygon or a line drawn with
 * OpenLayers Draw (each click a vertex; a double-click, or a click on the first vertex of a polygon, finishes it) and
 * changed with Modify (drag a vertex, drag an edge to add one). Every change is reported as the form's answer in the
 * validator's format (geo.ts: a Polygon's ring closed, coordinates lng/lat rounded to 6 places). Loaded with the first
 * map input of a form, not with the dashboard's map.
 */
import Draw from 'ol/interaction/Draw';
import Modify from 'ol/interaction/Modify';
import Feature from 'ol/Feature';
import Point from 'ol/geom/Point';
import Polygon from 'ol/geom/Polygon';
import LineString from 'ol/geom/LineString';
import type { Geometry } from 'ol/geom';
import { Circle as CircleStyle, Fill, Stroke, Style } from 'ol/style';
import type VectorLayer from 'ol/layer/Vector';
import type { MapEngine } from './engine';
import { fromMercator, lineValue, openRing, pointValue, polygonValue, toMercator } from './geo';

export type EditKind = 'point' | 'polygon' | 'line';
export interface EditState {
  /** A shape is being drawn (vertices placed, not finished). */
  drawing: boolean;
  /** Vertices placed so far while drawing. */
  vertices: number;
  /** The answer has a point or a finished shape. */
  has: boolean;
}
export interface Editor {
  /** Show an answer that changed elsewhere (typed coordinates); the editor's own answers are recognised and ignored. */
  setValue(v: unknown): void;
  clear(): void;
  undo(): void;
  destroy(): void;
}

const RED = '#b91c1c';
const editStyle = [
  new Style({
    fill: new Fill({ color: 'rgba(185, 28, 28, 0.15)' }),
    stroke: new Stroke({ color: '#ffffff', width: 5 }),
  }),
  new Style({
    stroke: new Stroke({ color: RED, width: 2.5 }),
    image: new CircleStyle({ radius: 7, fill: new Fill({ color: RED }), stroke: new Stroke({ color: '#ffffff', width: 2 }) }),
  }),
];

type Shape = { type: 'Polygon'; coordinates: number[][][] } | { type: 'LineString'; coordinates: number[][] };

function geometryOf(kind: EditKind, v: unknown): Geometry | null {
  if (!v || typeof v !== 'object') return null;
  if (kind === 'point') {
    const p = v as { lat?: unknown; lng?: unknown };
    return typeof p.lat === 'number' && typeof p.lng === 'number' ? new Point(toMercator([p.lng, p.lat])) : null;
  }
  const s = v as Shape;
  if (kind === 'polygon' && s.type === 'Polygon' && Array.isArray(s.coordinates?.[0]) && s.coordinates[0].length >= 4) {
    const ring = s.coordinates[0].map((c) => toMercator(c));
    return new Polygon([ring]);
  }
  if (kind === 'line' && s.type === 'LineString' && Array.isArray(s.coordinates) && s.coordinates.length >= 2) {
    return new LineString(s.coordinates.map((c) => toMercator(c)));
  }
  return null;
}

function valueOf(kind: EditKind, g: Geometry | undefined): unknown {
  if (!g) return undefined;
  if (kind === 'point') return pointValue(fromMercator((g as Point).getCoordinates()));
  if (kind === 'polygon') return polygonValue(((g as Polygon).getCoordinates()[0] ?? []).map((c) => fromMercator(c)));
  return lineValue((g as LineString).getCoordinates().map((c) => fromMercator(c)));
}

export function attachEditor(engine: MapEngine, kind: EditKind, onchange: (v: unknown) => void, onstate: (s: EditState) => void): Editor {
  const { map, editSource: source } = engine;
  const layer = map
    .getLayers()
    .getArray()
    .find((l) => l.get('name') === 'edit') as VectorLayer | undefined;
  layer?.setStyle(editStyle);

  let last = '\u0000';
  const json = (v: unknown) => JSON.stringify(v ?? null);
  const current = () => source.getFeatures()[0]?.getGeometry() ?? undefined;
  const emit = () => {
    const v = valueOf(kind, current());
    last = json(v);
    onchange(v);
  };
  const state = (drawing = false, vertices = 0) => onstate({ drawing, vertices, has: source.getFeatures().length > 0 });

  const modify = new Modify({ source, style: editStyle[1] });
  modify.on('modifyend', emit);
  map.addInteraction(modify);

  let draw: Draw | null = null;
  let offClick: (() => void) | null = null;
  if (kind === 'point') {
    offClick = engine.onClick((_hit, lngLat) => {
      const g = new Point(toMercator(lngLat));
      const f = source.getFeatures()[0];
      if (f) f.setGeometry(g);
      else source.addFeature(new Feature(g));
      emit();
      state();
    });
  } else {
    draw = new Draw({ source, type: kind === 'polygon' ? 'Polygon' : 'LineString', style: editStyle, stopClick: true });
    let sketch: Feature | null = null;
    let count = 0;
    const vertexCount = () => {
      const g = sketch?.getGeometry();
      if (!g) return 0;
      // The sketch carries the vertex under the pointer too (and a polygon its closing one).
      const pts = g instanceof Polygon ? openRing(g.getCoordinates()[0] ?? []) : (g as LineString).getCoordinates();
      return Math.max(0, pts.length - 1);
    };
    draw.on('drawstart', (e) => {
      sketch = e.feature;
      sketch.getGeometry()?.on('change', () => {
        const n = vertexCount();
        if (n !== count) state(true, (count = n));
      });
      state(true, 0);
    });
    draw.on('drawabort', () => {
      sketch = null;
      state();
    });
    // The finished feature is added to the source right after `drawend`.
    source.on('addfeature', () => {
      if (!sketch) return;
      sketch = null;
      count = 0;
      draw!.setActive(false);
      emit();
      state();
    });
    map.addInteraction(draw);
  }

  const show = (v: unknown) => {
    draw?.abortDrawing();
    source.clear(true);
    const g = geometryOf(kind, v);
    if (g) source.addFeature(new Feature(g));
    draw?.setActive(!g);
    state();
  };

  return {
    setValue(v) {
      if (json(v) === last) return;
      last = json(v);
      show(v);
    },
    clear() {
      show(undefined);
      last = json(undefined);
      onchange(undefined);
    },
    undo() {
      draw?.removeLastPoint();
    },
    destroy() {
      offClick?.();
      if (draw) map.removeInteraction(draw);
      map.removeInteraction(modify);
      source.clear(true);
    },
  };
}
