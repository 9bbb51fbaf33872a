/**
 * Zipped shapefiles with Chinese names, as district GIS offices hand them over: the DBF in GBK and a .cpg naming it.
 * shpjs (the reader the boundaries page uses, here in Node) decodes the names right when the .cpg names an encoding
 * TextDecoder knows ("GBK"), and garbles them without one — which is why the page shows the names before uploading.
 * The page's own reading (web/src/lib/objects/read-shapefile.ts) also understands the code page "936" that most
 * Chinese software writes, which shpjs alone does not, and lets the person override the encoding; boundaries.ts turns
 * what was read plus the chosen code attribute into the FeatureCollection PUT /api/regions/boundaries takes.
 */
import { describe, expect, it } from 'vitest';
import shp from 'shpjs';
import { encodeGbk, squareRing, writeShapefile, zipShapefile, type PolygonFeature } from '../support/shapefile';
import { readZippedShapefile, ShapefileError } from '../../web/src/lib/objects/read-shapefile';
import { attributeNames, defaultCodeAttribute, encodingOfCpg, normalizeCode, parseGeoJson, toBoundaries, type FeatureCollection } from '../../web/src/lib/objects/boundaries';

const FEATURES: PolygonFeature[] = [
  { rings: [squareRing(30.6, 114.3)], attributes: { CODE: '420999001000', NAME: '示范镇' } },
  { rings: [squareRing(30.62, 114.32, 0.004)], attributes: { CODE: '420999001001', NAME: '东湖村' } },
];
const NAMES = ['示范镇', '东湖村'];

type Collection = { features: { properties: Record<string, unknown> | null; geometry: { type: string; coordinates?: unknown } | null }[] };
const one = (r: Collection | Collection[]) => (Array.isArray(r) ? r[0]! : r);
const namesOf = (fc: Collection) => fc.features.map((f) => f.properties?.NAME);

describe('the test shapefile writer', () => {
  it('writes GBK bytes for Chinese text', () => {
    // 示 = CA BE, 范 = B7 B6 in GBK (GB2312 row/cell 42/30 and 23/22).
    expect([...encodeGbk('示范')]).toEqual([0xca, 0xbe, 0xb7, 0xb6]);
    expect(new TextDecoder('gbk').decode(encodeGbk('东湖村 A1'))).toBe('东湖村 A1');
    expect(() => encodeGbk('😀')).toThrow(/no GBK code/);
  });

  it('writes the five files of a layer', () => {
    const files = writeShapefile(FEATURES, { encoding: 'gbk', cpg: '936' });
    expect(Object.keys(files).sort()).toEqual(['boundaries.cpg', 'boundaries.dbf', 'boundaries.prj', 'boundaries.shp', 'boundaries.shx']);
    expect(new DataView(files['boundaries.shp']!.buffer).getInt32(0, false)).toBe(9994);
  });
});

describe('shpjs reading a zipped GBK shapefile', () => {
  it('decodes the Chinese names when the .cpg says GBK', async () => {
    const fc = one(await shp(zipShapefile(FEATURES, { encoding: 'gbk', cpg: 'GBK' })));
    expect(namesOf(fc)).toEqual(NAMES);
    expect(fc.features.map((f) => f.properties?.CODE)).toEqual(['420999001000', '420999001001']);
    expect(fc.features[0]!.geometry?.type).toBe('Polygon');
  });

  it('garbles them without a .cpg', async () => {
    const fc = one(await shp(zipShapefile(FEATURES, { encoding: 'gbk', cpg: null })));
    const names = namesOf(fc);
    expect(names).toHaveLength(2);
    for (const [i, n] of names.entries()) expect(n).not.toBe(NAMES[i]);
  });

  it('garbles them too when the .cpg says 936 (no TextDecoder label): the trap the page works around', async () => {
    const fc = one(await shp(zipShapefile(FEATURES, { encoding: 'gbk', cpg: '936' })));
    expect(namesOf(fc)).not.toEqual(NAMES);
  });
});

describe("the boundaries page's reading", () => {
  it('takes GBK from a .cpg saying 936', async () => {
    const r = await readZippedShapefile(zipShapefile(FEATURES, { encoding: 'gbk', cpg: '936' }), 'auto');
    expect(r.cpg).toBe('936');
    expect(r.encoding).toBe('gbk');
    expect(r.projected).toBe(true);
    expect(r.collection.features.map((f) => f.properties?.NAME)).toEqual(NAMES);
  });

  it('reads UTF-8 without a .cpg, and GBK when the person chooses it', async () => {
    const zip = zipShapefile(FEATURES, { encoding: 'gbk', cpg: null });
    const auto = await readZippedShapefile(zip, 'auto');
    expect(auto.cpg).toBeNull();
    expect(auto.encoding).toBe('utf-8');
    expect(auto.collection.features.map((f) => f.properties?.NAME)).not.toEqual(NAMES);
    const chosen = await readZippedShapefile(zip, 'gbk');
    expect(chosen.collection.features.map((f) => f.properties?.NAME)).toEqual(NAMES);
  });

  it('a chosen encoding wins over the .cpg', async () => {
    const utf8 = zipShapefile(FEATURES, { encoding: 'utf-8', cpg: 'GBK' });
    expect((await readZippedShapefile(utf8, 'auto')).collection.features.map((f) => f.properties?.NAME)).not.toEqual(NAMES);
    expect((await readZippedShapefile(utf8, 'utf-8')).collection.features.map((f) => f.properties?.NAME)).toEqual(NAMES);
  });

  it('refuses what is not a zipped shapefile', async () => {
    await expect(readZippedShapefile(new TextEncoder().encode('not a zip'), 'auto')).rejects.toBeInstanceOf(ShapefileError);
    const { zipSync } = await import('fflate');
    await expect(readZippedShapefile(zipSync({ 'readme.txt': new Uint8Array([65]) }), 'auto')).rejects.toMatchObject({ reason: 'no-shp' });
  });

  it('makes the FeatureCollection the API takes, codes from the chosen attribute', async () => {
    const r = await readZippedShapefile(zipShapefile(FEATURES, { encoding: 'gbk', cpg: '936' }), 'auto');
    const attrs = attributeNames(r.collection);
    expect(attrs).toEqual(['CODE', 'NAME']);
    expect(defaultCodeAttribute(attrs)).toBe('CODE');
    const b = toBoundaries(r.collection, 'CODE');
    expect(b.skipped).toEqual([]);
    expect(b.collection.type).toBe('FeatureCollection');
    expect(b.collection.features.map((f) => f.properties)).toEqual([
      { code: '420999001000', name: '示范镇' },
      { code: '420999001001', name: '东湖村' },
    ]);
    expect(b.collection.features[1]!.geometry?.type).toBe('Polygon');
    // The outer ring comes back as lng/lat, as written.
    const ring = (b.collection.features[0]!.geometry!.coordinates as number[][][])[0]!;
    expect(ring[0]![0]).toBeCloseTo(114.29, 6);
    expect(ring[0]![1]).toBeCloseTo(30.59, 6);
    // Another attribute chosen as the code: names are not region codes, and nothing else is sent.
    expect(toBoundaries(r.collection, 'NAME').collection.features.map((f) => f.properties?.code)).toEqual(NAMES);
  });
});

describe('boundaries helpers', () => {
  it('knows the encodings .cpg files name', () => {
    expect(['936', 'CP936', 'ANSI 936', 'GBK', 'gb2312', 'windows-936'].map(encodingOfCpg)).toEqual(Array(6).fill('gbk'));
    expect(['GB18030', '54936'].map(encodingOfCpg)).toEqual(['gb18030', 'gb18030']);
    expect(['UTF-8', 'utf8', '65001'].map(encodingOfCpg)).toEqual(['utf-8', 'utf-8', 'utf-8']);
    expect(encodingOfCpg('1252')).toBeNull();
    expect(encodingOfCpg(null)).toBeNull();
  });

  it('picks the code attribute by its usual names', () => {
    expect(defaultCodeAttribute(['名称', '行政区划代码'])).toBe('行政区划代码');
    expect(defaultCodeAttribute(['XZQMC', 'XZQDM'])).toBe('XZQDM');
    expect(defaultCodeAttribute(['id', 'Code'])).toBe('Code');
    expect(defaultCodeAttribute(['id', 'label'])).toBe('id');
  });

  it('normalizes codes and leaves out features without a polygon or a code', () => {
    expect(normalizeCode(420999001)).toBe('420999001000');
    expect(normalizeCode(' 420999001002 ')).toBe('420999001002');
    expect(normalizeCode(null)).toBe('');
    const fc = parseGeoJson(
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          { type: 'Feature', properties: { 行政区划代码: 420999002000, 名称: '柳河镇' }, geometry: { type: 'MultiPolygon', coordinates: [[squareRing(30.5, 114.2)]] } },
          { type: 'Feature', properties: { 行政区划代码: '420999002001' }, geometry: { type: 'Point', coordinates: [114.2, 30.5] } },
          { type: 'Feature', properties: { 名称: '无代码' }, geometry: { type: 'Polygon', coordinates: [squareRing(30.5, 114.2)] } },
        ],
      }),
    ) as FeatureCollection;
    const b = toBoundaries(fc, defaultCodeAttribute(attributeNames(fc)));
    expect(b.collection.features.map((f) => f.properties)).toEqual([{ code: '420999002000', name: '柳河镇' }]);
    expect(b.skipped).toEqual([
      { index: 2, reason: 'geometry' },
      { index: 3, reason: 'code' },
    ]);
    expect(parseGeoJson('{"type":"Point"}')).toBeNull();
    expect(parseGeoJson('not json')).toBeNull();
  });
});
