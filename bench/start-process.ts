/**
 * `npm start` for the time-to-ready figures: what infra/local/start.ts does — startLocalStack with the store of STORE,
 * DATA_DIR and PORT, demo records on a fresh DATA_DIR — except its check that web/build is up to date (a stale build
 * would be rebuilt by vite in the middle of the benchmark). Prints `READY {json}` and stops cleanly (as on Ctrl-C) when
 * its stdin closes. Timed from the outside by bench/run.ts (`timeToReady`): spawn to the first answer of /api/health.
 */
import { startLocalStack, storeFromEnv } from '../infra/local/stack';

process.env.LOG_LEVEL = 'silent';
const dataDir = process.env.DATA_DIR;
if (!dataDir) throw new Error('DATA_DIR is required');
const stack = await startLocalStack({ port: Number(process.env.PORT), host: '127.0.0.1', dataDir, store: storeFromEnv(), demoRecords: true });
process.stdout.write(`READY ${JSON.stringify({ url: stack.url, seeded: stack.seed.seeded, records: stack.seed.records ?? 0 })}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
