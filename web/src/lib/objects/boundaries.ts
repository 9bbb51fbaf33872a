/**
 * Region boundaries read from a file (GeoJSON, or a zipped shapefile via read-shapefile.ts) and made into what
 * `PUT /api/regions/boundaries` takes: a FeatureCollection of Polygon/MultiPolygon features whose `properties.code` is
 * a region code. Pure (no browser, no shpjs): the page and the unit tests share it.
 *
 * Chinese shapefiles name their text encoding in the `.cpg` beside the `.dbf` — mostly "936" (the GBK code page), also
 * "GBK", "GB2312", "GB18030" or "UTF-8". Read with the wrong one, every name comes out garbled, so the encoding is
 * taken from the `.cpg` unless the person chooses one, and the names read are shown before anything is sent.
 */

export type TextEncodingName = 'gbk' | 'gb18030' | 'utf-8';
/** What the person chooses: from the `.cpg` (auto), or one of the encodings. */
export type EncodingChoice = 'auto' | TextEncodingName;
export const ENCODING_CHOICES: readonly EncodingChoice[] = ['auto', 'gbk', 'gb18030', 'utf-8'];

export interface Geometry {
  type: string;
  coordinates?: unknown;
  [k: string]: unknown;
}
export interface Feature {
  type: 'Feature';
  geometry: Geometry | null;
  properties: Record<string, unknown> | null;
  [k: string]: unknown;
}
export interface FeatureCollection {
  type: 'FeatureCollection';
  features: Feature[];
  [k: string]: unknown;
}

/**
 * The encoding a `.cpg` names, or null when it names none we know. Code page 936 is GBK (Windows' simplified Chinese
 * code page; GB2312 files are read as GBK, its superset), 54936 is GB18030, 65001 is UTF-8.
 */
export function encodingOfCpg(cpg: string | null | undefined): TextEncodingName | null {
  if (!cpg) return null;
  const s = cpg.replace(/^\uFEFF/, '').trim().toUpperCase().replace(/^ANSI\s*/, '').replace(/^(CP|WINDOWS-|MS)/, '');
  if (s === '936' || s === 'GBK' || s === 'GB2312' || s === 'GB_2312-80' || s === 'EUC-CN' || s === 'X-GBK') return 'gbk';
  if (s === '54936' || s === 'GB18030') return 'gb18030';
  if (s === '65001' || s === 'UTF-8' || s === 'UTF8') return 'utf-8';
  return null;
}

/** Attribute names of a collection, in the order they first appear. */
export function attributeNames(fc: FeatureCollection): string[] {
  const seen = new Set<string>();
  for (const f of fc.features) for (const k of Object.keys(f.properties ?? {})) seen.add(k);
  return [...seen];
}

/** Names a region-code attribute goes by in district data (first match wins; then case-insensitively). */
export const CODE_ATTRIBUTES = ['code', '行政区划代码', 'XZQDM', 'CODE', 'xzqdm', '区划代码', 'QHDM', 'ADCODE'];
/** Names a name attribute goes by. */
export const NAME_ATTRIBUTES = ['name', '名称', 'XZQMC', 'NAME', 'xzqmc', 'MC', '区划名称', 'QHMC'];

function pick(names: readonly string[], wanted: readonly string[]): string | null {
  for (const w of wanted) if (names.includes(w)) return w;
  for (const w of wanted) {
    const hit = names.find((n) => n.toLowerCase() === w.toLowerCase());
    if (hit) return hit;
  }
  return null;
}

/** The attribute to take region codes from by default: one named code/行政区划代码/XZQDM/CODE, else the first. */
export function defaultCodeAttribute(names: readonly string[]): string {
  return pick(names, CODE_ATTRIBUTES) ?? names[0] ?? '';
}

export function defaultNameAttribute(names: readonly string[]): string | null {
  return pick(names, NAME_ATTRIBUTES);
}

/** A code as the API writes region codes: digits only; a 9-digit township code (乡级代码) gets its 000 village part. */
export function normalizeCode(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : '') : String(v).trim();
  if (/^\d{9}$/.test(s)) s += '000';
  return s;
}

export interface BoundaryRow {
  /** 1-based feature number in the file. */
  index: number;
  code: string;
  name: string;
  geometry: string;
}

export interface Boundaries {
  /** What is sent: polygon features with `properties.code` (and `name` when the file has one). */
  collection: FeatureCollection;
  /** Every feature as read, for the preview (also those left out). */
  rows: BoundaryRow[];
  /** Feature numbers left out: no polygon, or no code. */
  skipped: { index: number; reason: 'geometry' | 'code' }[];
}

const POLYGONAL = new Set(['Polygon', 'MultiPolygon']);

/** The features of a file (shpjs output or a parsed GeoJSON file) as boundaries keyed by the chosen code attribute. */
export function toBoundaries(fc: FeatureCollection, codeAttribute: string, nameAttribute: string | null = defaultNameAttribute(attributeNames(fc))): Boundaries {
  const rows: BoundaryRow[] = [];
  const skipped: Boundaries['skipped'] = [];
  const features: Feature[] = [];
  fc.features.forEach((f, i) => {
    const props = f.properties ?? {};
    const code = normalizeCode(props[codeAttribute]);
    const nameValue = nameAttribute ? props[nameAttribute] : undefined;
    const name = nameValue === undefined || nameValue === null ? '' : String(nameValue).trim();
    const type = f.geometry?.type ?? '';
    rows.push({ index: i + 1, code, name, geometry: type });
    if (!POLYGONAL.has(type)) return void skipped.push({ index: i + 1, reason: 'geometry' });
    if (!code) return void skipped.push({ index: i + 1, reason: 'code' });
    features.push({ type: 'Feature', geometry: f.geometry, properties: name ? { code, name } : { code } });
  });
  return { collection: { type: 'FeatureCollection', features }, rows, skipped };
}

/** A GeoJSON file's text as a FeatureCollection (a single Feature is wrapped), or null when it is none. */
export function parseGeoJson(text: string): FeatureCollection | null {
  let v: unknown;
  try {
    v = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const o = v as { type?: unknown; features?: unknown };
  if (o.type === 'FeatureCollection' && Array.isArray(o.features)) return v as FeatureCollection;
  if (o.type === 'Feature') return { type: 'FeatureCollection', features: [v as Feature] };
  return null;
}
