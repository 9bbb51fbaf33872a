/**
 * Compression for the local server: which files are worth compressing, picking an encoding from Accept-Encoding, the
 * build-time precompression of web/build (`precompressDir`, run by `npm run build:web` through precompress.ts) and the
 * on-the-fly compression of JSON answers.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/** Text formats of the build; images, fonts and archives are compressed already and are never compressed again. */
export const COMPRESSIBLE_EXTENSIONS = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg', '.webmanifest', '.txt', '.xml', '.map']);

/** JSON answers smaller than this go out as they are (compression would save a packet at most). */
export const COMPRESS_MIN_BYTES = 1024;

export type Encoding = 'br' | 'gzip';
export const SUFFIX: Record<Encoding, string> = { br: '.br', gzip: '.gz' };

/**
 * The encoding to answer with: the acceptable one (q > 0) with the highest q among `available`, brotli winning ties;
 * undefined means identity. `*` stands for any encoding the header does not name.
 */
export function negotiate(header: string | string[] | undefined, available: readonly Encoding[] = ['br', 'gzip']): Encoding | undefined {
  if (!header) return undefined;
  const q = new Map<string, number>();
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    if (!token) continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m) weight = Number(m[1]);
    }
    q.set(token === 'x-gzip' ? 'gzip' : token, Number.isFinite(weight) ? weight : 0);
  }
  let best: Encoding | undefined;
  let bestQ = 0;
  for (const enc of available) {
    const w = q.get(enc) ?? q.get('*') ?? 0;
    if (w > bestQ) {
      best = enc;
      bestQ = w;
    }
  }
  return best;
}

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** On-the-fly compression of an answer: mid-level settings, fast enough per request (brotli 5, gzip 6). */
export function compressBody(body: Buffer, enc: Encoding): Promise<Buffer> {
  return enc === 'br'
    ? brotli(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
    : gz(body, { level: 6 });
}

/** Build-time compression: the smallest output, whatever it costs (brotli 11, gzip 9). */
function compressMax(body: Buffer, enc: Encoding): Promise<Buffer> {
  return enc === 'br'
    ? brotli(body, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
    : gz(body, { level: constants.Z_BEST_COMPRESSION });
}

export interface PrecompressResult {
  /** Compressible files seen. */
  files: number;
  /** `.br` and `.gz` files written (a copy that would not be smaller is not written, and an old one is removed). */
  written: number;
  bytes: number;
  brBytes: number;
}

/**
 * Write `<file>.br` and `<file>.gz` beside every compressible file under `dir`. A compressed copy that is not smaller
 * than the file is left out (the server then sends the file as it is).
 */
export async function precompressDir(dir: string): Promise<PrecompressResult> {
  const result: PrecompressResult = { files: 0, written: 0, bytes: 0, brBytes: 0 };
  const files: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && COMPRESSIBLE_EXTENSIONS.has(extname(e.name).toLowerCase())) files.push(p);
    }
  };
  await walk(dir);
  await Promise.all(
    files.map(async (file) => {
      const body = await readFile(file);
      result.files++;
      result.bytes += body.length;
      for (const enc of ['br', 'gzip'] as const) {
        const out = await compressMax(body, enc);
        const target = file + SUFFIX[enc];
        if (out.length < body.length) {
          await writeFile(target, out);
          result.written++;
          if (enc === 'br') result.brBytes += out.length;
        } else {
          await rm(target, { force: true });
          if (enc === 'br') result.brBytes += body.length;
        }
      }
    }),
  );
  return result;
}
