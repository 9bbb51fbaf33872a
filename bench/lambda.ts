/**
 * Item 6: each handler module of the route table bundled the way infra/aws/function.ts bundles it (esbuild, ESM, platform
 * node, minified, `@aws-sdk/*` external — the Lambda runtime provides it — with a source map, createRequire banner), zipped
 * like a Lambda asset (index.mjs + index.mjs.map, deflate), and its module init time: a fresh `node` process importing
 * the bundle vs the same process importing an empty module, interleaved, medians. The import includes loading the
 * external AWS SDK packages from node_modules, as the Lambda runtime does on a cold start.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import { ROUTES } from '../functions/http/routes';
import { median } from './lib';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, '.tmp', 'bench-lambda');

export interface BundleFigure {
  module: string;
  jsKb: number;
  zipKb: number;
  initMs: number;
  initRatio: number;
}

/** A zip archive of these files (stored names, deflated), as the CDK asset is: returns its size in bytes. */
export function zipSize(files: { name: string; data: Buffer }[]): number {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name);
    const body = deflateRawSync(f.data, { level: 9 });
    const crc = crc32(f.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(f.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return offset + cd.length + end.length;
}

function importTime(file: string): Promise<number> {
  const script = `const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});console.log(performance.now()-t);`;
  return new Promise((res, rej) =>
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } }, (err, stdout, stderr) => {
      if (err) rej(new Error(`importing ${file}: ${stderr || err.message}`));
      else res(Number(stdout.trim().split('\n').pop()));
    }),
  );
}

export async function benchBundles(rounds = 9): Promise<BundleFigure[]> {
  rmSync(OUT, { recursive: true, force: true });
  const modules = [...new Set(ROUTES.map((r) => r.module))];
  const files: Record<string, string> = {};
  const sizes: Record<string, { js: number; zip: number }> = {};
  for (const m of modules) {
    const dir = join(OUT, m);
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, 'index.mjs');
    await build({
      entryPoints: [join(ROOT, 'functions', 'http', 'handlers', `${m}.ts`)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      mainFields: ['module', 'main'],
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      external: ['@aws-sdk/*'],
      banner: { js: "import{createRequire as __rcCreateRequire}from'node:module';const require=__rcCreateRequire(import.meta.url);" },
      outfile,
      logLevel: 'warning',
    });
    const js = readFileSync(outfile);
    const map = readFileSync(`${outfile}.map`);
    files[m] = outfile;
    sizes[m] = { js: js.length, zip: zipSize([{ name: 'index.mjs', data: js }, { name: 'index.mjs.map', data: map }]) };
  }
  const empty = join(OUT, 'empty.mjs');
  writeFileSync(empty, '');
  const times: Record<string, number[]> = { empty: [] };
  for (const m of modules) times[m] = [];
  await importTime(empty); // warm the OS file cache
  for (const m of modules) await importTime(files[m]!);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...modules].reverse() : modules;
    times.empty!.push(await importTime(empty));
    for (const m of order) times[m]!.push(await importTime(files[m]!));
  }
  const base = median(times.empty!);
  return modules.map((m) => ({ module: m, jsKb: sizes[m]!.js / 1024, zipKb: sizes[m]!.zip / 1024, initMs: median(times[m]!), initRatio: median(times[m]!) / base }));
}

export function emptyImportMs(): Promise<number> {
  const empty = join(OUT, 'empty.mjs');
  return importTime(empty);
}
