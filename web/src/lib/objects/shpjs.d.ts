/** shpjs 6 ships no types: the part of its API the boundaries import uses. */
declare module 'shpjs' {
  export interface ShpInput {
    shp: ArrayBuffer | ArrayBufferView;
    dbf?: ArrayBuffer | ArrayBufferView;
    /** The projection's WKT (the .prj): coordinates are reprojected to WGS84 lng/lat. */
    prj?: string | ArrayBuffer | ArrayBufferView;
    /** The DBF's text encoding (the .cpg's content), as a TextDecoder label. */
    cpg?: string | ArrayBuffer | ArrayBufferView;
  }
  interface Collection {
    type: 'FeatureCollection';
    features: { type: 'Feature'; geometry: { type: string; coordinates?: unknown } | null; properties: Record<string, unknown> | null }[];
    fileName?: string;
  }
  /** A URL, the bytes of a zip, or the files of one shapefile. */
  export default function shp(input: string | ArrayBuffer | ArrayBufferView | ShpInput): Promise<Collection | Collection[]>;
}
