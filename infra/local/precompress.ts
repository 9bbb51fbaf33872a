/**
 * `npm run build:web` runs this after `vite build`: `<file>.br` and `<file>.gz` beside every compressible file of the
 * build (infra/local/compression.ts), at maximum quality, for the local server to send as they are. Usage:
 * `node --import tsx infra/local/precompress.ts [dir]` (default: web/build).
 */
import { resolve } from 'node:path';
import { precompressDir } from './compression';

const dir = resolve(process.argv[2] ?? resolve(import.meta.dirname, '../../web/build'));
const started = Date.now();
precompressDir(dir).then(
  (r) => {
    const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
    console.log(`precompressed ${r.files} files in ${dir} (${r.written} .br/.gz written; ${kb(r.bytes)} → ${kb(r.brBytes)} with brotli) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  },
  (e: Error) => {
    console.error(`precompress failed: ${e.message}`);
    process.exit(1);
  },
);
