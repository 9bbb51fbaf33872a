/**
 * A zipped shapefile read in the browser (also in Node, for the tests): unzipped with fflate, the `.dbf` decoded in
 * the encoding its `.cpg` names — or the one the person chose — and parsed by shpjs (loaded only when needed: the
 * boundaries page is the only one that reads shapefiles). shpjs reads a zip's `.cpg` itself but knows code pages only
 * as TextDecoder labels, and "936" (what Chinese GIS software writes for GBK) is none: it would fall back to UTF-8 and
 * garble every name. So the files are handed to it one by one with the encoding resolved here.
 */
/// <reference path="./shpjs.d.ts" />
import { encodingOfCpg, type EncodingChoice, type FeatureCollection, type TextEncodingName } from './boundaries';

export interface ShapefileRead {
  collection: FeatureCollection;
  /** The layer read (the first `.shp` of the zip), and the others the zip holds. */
  layer: string;
  otherLayers: string[];
  /** The `.cpg`'s text, or null without one. */
  cpg: string | null;
  /** The encoding the names were decoded with. */
  encoding: TextEncodingName;
  /** Whether the zip has a `.prj` (without one, coordinates are taken as they are: WGS84 lng/lat). */
  projected: boolean;
}

export class ShapefileError extends Error {
  constructor(readonly reason: 'zip' | 'no-shp' | 'parse') {
    super(reason);
  }
}

const utf8 = new TextDecoder();

export async function readZippedShapefile(bytes: Uint8Array, choice: EncodingChoice = 'auto'): Promise<ShapefileRead> {
  const { unzipSync } = await import('fflate');
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => !f.name.includes('__MACOSX') && /\.(shp|dbf|prj|cpg)$/i.test(f.name) });
  } catch {
    throw new ShapefileError('zip');
  }
  const names = Object.keys(files);
  const layers = names.filter((n) => /\.shp$/i.test(n)).map((n) => n.slice(0, -4)).sort();
  const layer = layers[0];
  if (layer === undefined) throw new ShapefileError('no-shp');
  const part = (ext: string) => {
    const key = names.find((n) => n.toLowerCase() === `${layer}.${ext}`.toLowerCase());
    return key === undefined ? undefined : files[key];
  };
  const shpBytes = part('shp')!;
  const dbf = part('dbf');
  const prj = part('prj');
  const cpgBytes = part('cpg');
  const cpg = cpgBytes ? utf8.decode(cpgBytes).trim() : null;
  const encoding: TextEncodingName = choice === 'auto' ? (encodingOfCpg(cpg) ?? 'utf-8') : choice;
  const shp = (await import('shpjs')).default;
  let out;
  try {
    out = await shp({ shp: shpBytes, ...(dbf ? { dbf } : {}), ...(prj ? { prj: utf8.decode(prj) } : {}), cpg: encoding });
  } catch {
    throw new ShapefileError('parse');
  }
  const collection = (Array.isArray(out) ? out[0] : out) as unknown as FeatureCollection;
  return { collection, layer, otherLayers: layers.slice(1), cpg, encoding, projected: !!prj };
}
