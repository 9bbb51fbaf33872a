/**
 * Zipped size of each Lambda bundle, measured with esbuild directly (the options of the house function construct),
 * without synthesizing the stack:  node --import tsx infra/aws/bundle-sizes.ts
 *
 * One bundle per handler module (functions of the same module share it; Lambda stores one asset per distinct bundle).
 * The zip size is computed exactly as a deflate-9 archive of index.mjs + index.mjs.map (local headers, central directory).
 */
import { build } from 'esbuild';
import { deflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { JOB_WORKER, ROUTES } from '../../functions/http/routes';
import { deployedRoutes } from './api';
import { BANNER } from './function';
import { HANDLERS_DIR, REPO_ROOT } from './paths';

function zipSize(files: Record<string, Uint8Array>): number {
  let size = 22; // end of central directory
  for (const [name, data] of Object.entries(files)) {
    const n = Buffer.byteLength(name);
    size += 30 + n + deflateRawSync(data, { level: 9 }).length; // local header + data
    size += 46 + n; // central directory entry
  }
  return size;
}

export async function bundleSizes(): Promise<{ module: string; handlers: string[]; bytes: number; zipped: number; zippedCodeOnly: number }[]> {
  const modules = new Map<string, string[]>();
  for (const r of deployedRoutes(ROUTES)) modules.set(r.module, [...(modules.get(r.module) ?? []), r.handler]);
  modules.set(JOB_WORKER.module, [JOB_WORKER.handler]);
  const out = [];
  for (const [module, handlers] of [...modules].sort()) {
    const r = await build({
      entryPoints: [join(HANDLERS_DIR, `${module}.ts`)],
      absWorkingDir: REPO_ROOT,
      bundle: true,
      write: false,
      outfile: 'index.mjs',
      platform: 'node',
      format: 'esm',
      target: 'node24',
      mainFields: ['module', 'main'],
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      external: ['@aws-sdk/*'],
      banner: { js: BANNER },
      logLevel: 'warning',
    });
    const files = Object.fromEntries(r.outputFiles.map((f) => [f.path.split('/').pop()!, f.contents]));
    const code = r.outputFiles.find((f) => f.path.endsWith('.mjs'))!.contents;
    out.push({ module, handlers, bytes: code.length, zipped: zipSize(files), zippedCodeOnly: zipSize({ 'index.mjs': code }) });
  }
  return out;
}

if (process.argv[1]?.endsWith('bundle-sizes.ts')) {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  for (const b of await bundleSizes()) {
    console.log(
      `${b.module.padEnd(12)} index.mjs ${kb(b.bytes).padStart(9)}  zip ${kb(b.zipped).padStart(9)} (code only ${kb(b.zippedCodeOnly)})  ← ${b.handlers.join(', ')}`,
    );
  }
}
