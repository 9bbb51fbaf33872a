/**
 * A base-map layer from a PMTiles file the district loaded onto the device (basemap.ts keeps it): raster tiles (PNG,
 * JPEG, WebP, AVIF) are decoded to bitmaps, vector tiles (MVT) are read with OpenLayers' MVT format and drawn in a plain
 * style. Tiles are read from the file with pmtiles' FileSource — never over the network. Loaded only when a device has
 * a base map, so the maps of other devices do not carry this code.
 */
import { FileSource, PMTiles, TileType } from 'pmtiles';
import TileLayer from 'ol/layer/Tile';
import VectorTileLayer from 'ol/layer/VectorTile';
import ImageTileSource from 'ol/source/ImageTile';
import VectorTileSource from 'ol/source/VectorTile';
import MVT from 'ol/format/MVT';
import type VectorTile from 'ol/VectorTile';
import type { FeatureLike } from 'ol/Feature';
import type BaseLayer from 'ol/layer/Base';
import { Fill, Stroke, Style } from 'ol/style';
import { transformExtent } from 'ol/proj';

const MIME: Partial<Record<TileType, string>> = { [TileType.Png]: 'image/png', [TileType.Jpeg]: 'image/jpeg', [TileType.Webp]: 'image/webp', [TileType.Avif]: 'image/avif' };

/** A transparent 1×1 tile for places the file has no tile for. */
let empty: Promise<ImageBitmap> | undefined;
const emptyTile = () => (empty ??= createImageBitmap(new ImageData(1, 1)));

const water = new Style({ fill: new Fill({ color: '#cfe3f3' }) });
const green = new Style({ fill: new Fill({ color: '#e4efd9' }) });
const building = new Style({ fill: new Fill({ color: '#e2e0dc' }) });
const road = new Style({ stroke: new Stroke({ color: '#c9c4bb', width: 1.5 }) });
const major = new Style({ stroke: new Stroke({ color: '#b3aca0', width: 2.5 }) });
const line = new Style({ stroke: new Stroke({ color: '#b8c4cc', width: 1 }) });

/** A quiet style for the usual vector-tile schemas (OpenMapTiles, Protomaps): water, green, buildings, roads. */
function vectorStyle(f: FeatureLike): Style | undefined {
  const layer = String(f.get('layer') ?? '');
  const kind = String(f.get('class') ?? f.get('kind') ?? '');
  const geom = f.getGeometry()?.getType() ?? '';
  if (/water|ocean|river|lake/.test(layer)) return geom.includes('Polygon') ? water : line;
  if (/park|landuse|landcover|natural|wood|forest/.test(layer) && geom.includes('Polygon')) return green;
  if (/building/.test(layer)) return building;
  if (/road|transport|transportation/.test(layer)) return /motorway|trunk|primary|highway|major/.test(kind) ? major : road;
  if (geom.includes('Line')) return line;
  return undefined;
}

export async function baseLayer(file: Blob): Promise<{ layer: BaseLayer; kind: 'raster' | 'vector' }> {
  const pm = new PMTiles(new FileSource(file instanceof File ? file : new File([file], 'basemap.pmtiles')));
  const h = await pm.getHeader();
  const extent = transformExtent([h.minLon, h.minLat, h.maxLon, h.maxLat], 'EPSG:4326', 'EPSG:3857');
  if (h.tileType === TileType.Mvt) {
    const format = new MVT();
    const source = new VectorTileSource({
      format,
      minZoom: h.minZoom,
      maxZoom: h.maxZoom,
      url: 'pmtiles://{z}/{x}/{y}',
      tileLoadFunction: (tile) => {
        const vt = tile as VectorTile<FeatureLike>;
        const [z, x, y] = vt.getTileCoord();
        vt.setLoader((ext, _resolution, projection) => {
          void pm.getZxy(z!, x!, y!).then(
            (r) => vt.setFeatures(r ? (format.readFeatures(r.data, { extent: ext, featureProjection: projection }) as FeatureLike[]) : []),
            () => vt.setFeatures([]),
          );
        });
      },
    });
    return { layer: new VectorTileLayer({ source, style: vectorStyle, extent, properties: { name: 'basemap' } }), kind: 'vector' };
  }
  const mime = MIME[h.tileType];
  if (!mime) throw new Error(`unsupported tile type ${h.tileType}`);
  const source = new ImageTileSource({
    minZoom: h.minZoom,
    maxZoom: h.maxZoom,
    loader: async (z, x, y) => {
      const r = await pm.getZxy(z, x, y);
      return r ? createImageBitmap(new Blob([r.data], { type: mime })) : emptyTile();
    },
  });
  return { layer: new TileLayer({ source, extent, properties: { name: 'basemap' } }), kind: 'raster' };
}
