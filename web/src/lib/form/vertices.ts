/** Vertices typed one per line as "longitude,latitude" (geoshape and geotrace inputs share this reading). */
import { asciiDigits, type LocalError } from './context';

/** The [lng, lat] pairs of the non-blank lines, or the first line that is not a vertex (1-based). */
export function parseVertexLines(src: string): { points: number[][]; error?: LocalError } {
  const lines = asciiDigits(src).split('\n');
  const points: number[][] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const m = /^(-?\d+(?:\.\d+)?)\s*[,\s]\s*(-?\d+(?:\.\d+)?)$/.exec(line);
    if (!m) return { points, error: { key: 'shape.badLine', params: { n: i + 1 } } };
    points.push([Number(m[1]), Number(m[2])]);
  }
  return { points };
}

/** Vertices as the text box shows them: one "lng,lat" per line. */
export function vertexLines(points: readonly (readonly number[])[]): string {
  return points.map((p) => `${p[0]},${p[1]}`).join('\n');
}

export const distinctVertices = (points: readonly (readonly number[])[]): number => new Set(points.map((p) => `${p[0]},${p[1]}`)).size;
