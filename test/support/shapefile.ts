/**
 * A tiny shapefile writer for tests: polygons with text attributes, written as .shp/.shx/.dbf/.prj (WGS84) and an
 * optional .cpg, zipped — what a district's GIS office hands over. Text is written in the chosen encoding; for GBK
 * (what Chinese GIS software writes, .cpg "936") there is no encoder in Node, so one is built by decoding every
 * two-byte GBK code with TextDecoder('gbk') and inverting the table.
 */
import { zipSync } from 'fflate';

export type Ring = [lng: number, lat: number][];
export interface PolygonFeature {
  /** Closed rings (first point repeated last), outer rings clockwise as the shapefile format wants. */
  rings: Ring[];
  attributes: Record<string, string>;
}
export type DbfEncoding = 'gbk' | 'utf-8';

let gbkTable: Map<string, [number, number]> | undefined;

/** Text as GBK bytes (ASCII as is; a character GBK has no code for is an error, not a silent '?'). */
export function encodeGbk(s: string): Uint8Array {
  if (!gbkTable) {
    gbkTable = new Map();
    const dec = new TextDecoder('gbk', { fatal: true });
    for (let a = 0x81; a <= 0xfe; a++) {
      for (let b = 0x40; b <= 0xfe; b++) {
        if (b === 0x7f) continue;
        let ch: string;
        try {
          ch = dec.decode(new Uint8Array([a, b]));
        } catch {
          continue;
        }
        if (ch.length === 1 && !gbkTable.has(ch)) gbkTable.set(ch, [a, b]);
      }
    }
  }
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else {
      const pair = gbkTable.get(ch);
      if (!pair) throw new Error(`no GBK code for ${ch}`);
      out.push(...pair);
    }
  }
  return new Uint8Array(out);
}

export function encodeText(s: string, encoding: DbfEncoding): Uint8Array {
  return encoding === 'gbk' ? encodeGbk(s) : new TextEncoder().encode(s);
}

/** A clockwise square ring around a point (lng/lat order), closed. */
export function squareRing(lat: number, lng: number, d = 0.01): Ring {
  return [
    [lng - d, lat - d],
    [lng - d, lat + d],
    [lng + d, lat + d],
    [lng + d, lat - d],
    [lng - d, lat - d],
  ];
}

export const WGS84_PRJ =
  'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]';

function bbox(points: Ring): [number, number, number, number] {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of points) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return [x0, y0, x1, y1];
}

function header(view: DataView, fileBytes: number, box: [number, number, number, number]) {
  view.setInt32(0, 9994, false);
  view.setInt32(24, fileBytes / 2, false);
  view.setInt32(28, 1000, true);
  view.setInt32(32, 5, true); // polygon
  box.forEach((v, i) => view.setFloat64(36 + i * 8, v, true));
}

/** The .shp and .shx of polygon features. */
function writeGeometry(features: PolygonFeature[]): { shp: Uint8Array; shx: Uint8Array } {
  const contents = features.map((f) => {
    const points = f.rings.flat();
    const bytes = 44 + 4 * f.rings.length + 16 * points.length;
    const v = new DataView(new ArrayBuffer(bytes));
    v.setInt32(0, 5, true);
    bbox(points).forEach((x, i) => v.setFloat64(4 + i * 8, x, true));
    v.setInt32(36, f.rings.length, true);
    v.setInt32(40, points.length, true);
    let start = 0;
    f.rings.forEach((r, i) => {
      v.setInt32(44 + i * 4, start, true);
      start += r.length;
    });
    const p0 = 44 + 4 * f.rings.length;
    points.forEach(([x, y], i) => {
      v.setFloat64(p0 + i * 16, x, true);
      v.setFloat64(p0 + i * 16 + 8, y, true);
    });
    return new Uint8Array(v.buffer);
  });
  const all = bbox(features.flatMap((f) => f.rings.flat()));
  const shpBytes = 100 + contents.reduce((n, c) => n + 8 + c.length, 0);
  const shp = new Uint8Array(shpBytes);
  const sv = new DataView(shp.buffer);
  header(sv, shpBytes, all);
  const shxBytes = 100 + 8 * contents.length;
  const shx = new Uint8Array(shxBytes);
  const xv = new DataView(shx.buffer);
  header(xv, shxBytes, all);
  let off = 100;
  contents.forEach((c, i) => {
    sv.setInt32(off, i + 1, false);
    sv.setInt32(off + 4, c.length / 2, false);
    shp.set(c, off + 8);
    xv.setInt32(100 + i * 8, off / 2, false);
    xv.setInt32(100 + i * 8 + 4, c.length / 2, false);
    off += 8 + c.length;
  });
  return { shp, shx };
}

/** A dBase III table of text fields (type C), each as wide as its longest value in bytes. */
function writeDbf(features: PolygonFeature[], encoding: DbfEncoding): Uint8Array {
  const names = [...new Set(features.flatMap((f) => Object.keys(f.attributes)))];
  const encoded = features.map((f) => names.map((n) => encodeText(f.attributes[n] ?? '', encoding)));
  const widths = names.map((_, i) => Math.max(1, ...encoded.map((row) => row[i]!.length)));
  const headerLen = 32 + 32 * names.length + 1;
  const recordLen = 1 + widths.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(headerLen + recordLen * features.length + 1);
  const v = new DataView(out.buffer);
  out[0] = 0x03;
  out[1] = 121; // 2021
  out[2] = 11;
  out[3] = 29;
  v.setUint32(4, features.length, true);
  v.setUint16(8, headerLen, true);
  v.setUint16(10, recordLen, true);
  out[29] = encoding === 'gbk' ? 0x4d : 0x00; // language driver: 936 (GBK)
  names.forEach((n, i) => {
    const at = 32 + i * 32;
    const nb = new TextEncoder().encode(n);
    if (nb.length > 10) throw new Error(`DBF field names are at most 10 bytes: ${n}`);
    out.set(nb, at);
    out[at + 11] = 'C'.charCodeAt(0);
    out[at + 16] = widths[i]!;
    out[at + 17] = 0;
  });
  out[headerLen - 1] = 0x0d;
  encoded.forEach((row, r) => {
    let at = headerLen + r * recordLen;
    out[at++] = 0x20;
    row.forEach((bytes, i) => {
      out.fill(0x20, at, at + widths[i]!);
      out.set(bytes, at);
      at += widths[i]!;
    });
  });
  out[out.length - 1] = 0x1a;
  return out;
}

export interface ShapefileOptions {
  /** Base name of the files in the zip. */
  name?: string;
  /** Encoding of the DBF's text. */
  encoding: DbfEncoding;
  /** The .cpg's text ("936", "GBK", "UTF-8"…), or null to leave the .cpg out. */
  cpg: string | null;
  /** Leave out the .prj. */
  noPrj?: boolean;
}

/** The files of one shapefile layer. */
export function writeShapefile(features: PolygonFeature[], opts: ShapefileOptions): Record<string, Uint8Array> {
  const name = opts.name ?? 'boundaries';
  const { shp, shx } = writeGeometry(features);
  const files: Record<string, Uint8Array> = { [`${name}.shp`]: shp, [`${name}.shx`]: shx, [`${name}.dbf`]: writeDbf(features, opts.encoding) };
  if (!opts.noPrj) files[`${name}.prj`] = new TextEncoder().encode(WGS84_PRJ);
  if (opts.cpg !== null) files[`${name}.cpg`] = new TextEncoder().encode(opts.cpg);
  return files;
}

/** The zipped shapefile (what people upload). */
export function zipShapefile(features: PolygonFeature[], opts: ShapefileOptions): Uint8Array {
  return zipSync(writeShapefile(features, opts));
}
