/**
 * `npm start`: the whole product on one machine. Opens the embedded store under DATA_DIR (SQLite, files, in-process
 * jobs; `STORE=dynamodb` runs DynamoDB Local and the S3 emulator instead), seeds a fresh DATA_DIR with the demo
 * district, serves /api/* and the web app on PORT, prints the URL and the demo logins, and shuts down cleanly on
 * Ctrl-C or SIGTERM. A restart keeps all data and resumes background jobs that were interrupted.
 * TLS_CERT + TLS_KEY (PEM files; TLS_CA appended as the chain) make it HTTPS, and HTTP_PORT then answers plain http
 * with redirects; README, "Running it on the office network (HTTPS)".
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startLocalStack, storeFromEnv } from './stack';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from './demo-district';
import { certificateWarnings, isLoopback, TlsConfigError, tlsFromEnv } from './tls';

const root = resolve(import.meta.dirname, '../..');
const port = Number(process.env.PORT ?? 8787);
const dataDir = resolve(process.env.DATA_DIR ?? join(root, '.data'));
const host = process.env.HOST ?? '127.0.0.1';
const httpPort = process.env.HTTP_PORT ? Number(process.env.HTTP_PORT) : undefined;
const README_SECTION = 'README.md, "Running it on the office network (HTTPS)"';

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
  if (httpPort !== undefined && (!Number.isInteger(httpPort) || httpPort < 1 || httpPort > 65535)) throw new Error(`HTTP_PORT must be a port number, not ${process.env.HTTP_PORT}`);
  // Certificate and key are read and checked first: a wrong file stops here, before anything is built or opened.
  const tls = tlsFromEnv();
  if (httpPort !== undefined && !tls) throw new TlsConfigError('HTTP_PORT (the redirect to HTTPS) needs TLS_CERT and TLS_KEY: without TLS there is nothing to redirect to.');
  const started = Date.now();
  ensureWebBuild();
  const store = storeFromEnv();
  console.log(`Starting Risk Census (data in ${dataDir}, ${store === 'embedded' ? 'embedded store' : 'DynamoDB Local + S3 emulator'})…`);
  const stack = await startLocalStack({
    port,
    host,
    dataDir,
    store,
    demoRecords: true,
    demoGeo: true,
    onStep: (s) => console.log(`  · ${s}`),
    ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    ...(httpPort !== undefined ? { httpRedirectPort: httpPort } : {}),
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log('');
  console.log(`Risk Census is running at ${stack.url}  (ready in ${secs} s)`);
  if (tls) {
    const names = tls.info.names.map((n) => `https://${n.includes(':') ? `[${n}]` : n}${port === 443 ? '' : `:${port}`}`);
    console.log(`HTTPS certificate for ${tls.info.names.join(', ') || tls.info.subject}, valid until ${tls.info.validTo.toISOString().slice(0, 10)}${tls.info.selfSigned ? ' (self-signed)' : `, issued by ${tls.info.issuer}`}.`);
    if (names.length) console.log(`On the office network: ${names.join('  ')}`);
    if (stack.redirectPort !== undefined) console.log(`Plain http on port ${stack.redirectPort} redirects to HTTPS on port ${port}.`);
    for (const w of certificateWarnings(tls.info)) console.warn(`Warning: ${w}`);
  } else if (!isLoopback(host)) {
    console.warn('');
    console.warn(`警告：HOST=${host} 使本机之外的设备可以访问，但未启用 HTTPS（未设置 TLS_CERT 和 TLS_KEY）。在普通 http 下，除 localhost 之外，`);
    console.warn('浏览器不允许离线使用（Service Worker）、GPS 定位和相机访问，也不能安装为应用。请启用 HTTPS，见 README「Running it on the office network (HTTPS)」。');
    console.warn(`Warning: HOST=${host} serves other machines over plain http (TLS_CERT and TLS_KEY are not set). Beyond localhost, browsers`);
    console.warn(`refuse the offline app (service worker), GPS and camera access, and installing the app, on plain http. Turn on HTTPS: ${README_SECTION}.`);
    console.warn('');
  }
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
  console.error(`Risk Census could not start: ${(e as Error).message}${(e as Error).name === 'TlsConfigError' ? ` See ${README_SECTION}.` : ''}`);
  process.exit(1);
});
