/**
 * `npm start`: the whole product on one machine. Opens the embedded store under DATA_DIR (SQLite, files, in-process
 * jobs; `STORE=dynamodb` runs DynamoDB Local and the S3 emulator instead), seeds a fresh DATA_DIR with the demo
 * district, serves /api/* and the web app on PORT, prints the URL and the demo logins, and shuts down cleanly on
 * Ctrl-C or SIGTERM. A restart keeps all data and resumes background jobs that were interrupted.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startLocalStack, storeFromEnv } from './stack';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from './demo-district';

const root = resolve(import.meta.dirname, '../..');
const port = Number(process.env.PORT ?? 8787);
const dataDir = resolve(process.env.DATA_DIR ?? join(root, '.data'));
const host = process.env.HOST ?? '127.0.0.1';

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'build' || name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/**
 * Build the web app when its build is missing or older than its sources (and the domain it imports). The API does not
 * depend on the web app: when there is no `build:web` script yet, or the build fails, say so and serve whatever
 * web/build holds (or the placeholder page) rather than refusing to start.
 */
function ensureWebBuild() {
  const web = join(root, 'web');
  const pkgScript = join(web, 'svelte.config.js');
  if (!existsSync(pkgScript)) return;
  const built = join(web, 'build', 'index.html');
  const stale = !existsSync(built) || Math.max(newestMtime(join(web, 'src')), newestMtime(join(root, 'functions', 'domain'))) > statSync(built).mtimeMs;
  if (!stale) return;
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  if (!scripts['build:web']) {
    console.log('Not building the web app: package.json has no "build:web" script; serving the API and a placeholder page.');
    return;
  }
  console.log('Building the web app (web/build is missing or stale)…');
  const r = spawnSync('npm', ['run', 'build:web'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.warn(
      `Warning: the web app build failed (see the output above); serving ${existsSync(built) ? 'the previous build' : 'a placeholder page'} and the API.`,
    );
  }
}

async function main() {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT must be a port number, not ${process.env.PORT}`);
  const started = Date.now();
  ensureWebBuild();
  const store = storeFromEnv();
  console.log(`Starting Risk Census (data in ${dataDir}, ${store === 'embedded' ? 'embedded store' : 'DynamoDB Local + S3 emulator'})…`);
  const stack = await startLocalStack({ port, host, dataDir, store, demoRecords: true, onStep: (s) => console.log(`  · ${s}`) });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log('');
  console.log(`Risk Census is running at ${stack.url}  (ready in ${secs} s)`);
  if (stack.seed.seeded) {
    console.log(
      `Seeded demo data: ${stack.seed.regions} regions, ${stack.seed.forms} census tables, ${stack.seed.targets} targets, ${stack.seed.accounts} accounts, ${stack.seed.records ?? 0} demo records.`,
    );
  }
  console.log(`Demo logins (local mode only), password ${DEMO_PASSWORD}:`);
  for (const a of DEMO_ACCOUNTS) console.log(`  ${a.username.padEnd(22)} ${a.role}${a.sector ? ` · ${a.sector}` : ''}`);
  console.log('Press Ctrl-C to stop.');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await stack.stop();
    console.log('Stopped. Data is kept in', dataDir);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e) => {
  console.error(`Risk Census could not start: ${(e as Error).message}`);
  process.exit(1);
});
