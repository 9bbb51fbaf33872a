/**
 * `npm run restore -- <dir>` (node --import tsx infra/local/restore.ts <dir>): put the backup in <dir> (made by
 * `npm run backup`) in place as DATA_DIR (env DATA_DIR, default .data/ like `npm start`). The server must be stopped.
 * Everything in the backup is checked first (manifest and its checksum, every file's size and SHA-256, no extra file,
 * the database's integrity and schema version); the new content is built beside DATA_DIR, then swapped in by renames;
 * the previous content is kept in <DATA_DIR>.before-restore-<timestamp>. Exit 0 when restored; 1 with the reason
 * otherwise, DATA_DIR unchanged.
 */
import { resolve } from 'node:path';
import { rmSync } from 'node:fs';
import { BackupError, explain, resolveDataDir, restoreBackup } from './backup-core';

const USAGE = `Usage: npm run restore -- <dir>
  Replaces the content of DATA_DIR (now ${resolveDataDir()}) with the backup in <dir>, after checking it.
  Stop the server first. The previous content is moved to <DATA_DIR>.before-restore-<timestamp>, not deleted.`;

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  if (args.length !== 1 || args[0] === '-h' || args[0] === '--help' || args[0]!.startsWith('-')) {
    console.error(USAGE);
    return args[0] === '-h' || args[0] === '--help' ? 0 : 1;
  }
  const controller = new AbortController();
  const temps = new Set<string>();
  let signals = 0;
  const onSignal = (signal: string) => {
    if (++signals === 1) {
      console.error(`\n${signal}: stopping the restore (DATA_DIR is left as it was)…`);
      controller.abort();
      return;
    }
    for (const t of temps) rmSync(t, { recursive: true, force: true });
    process.exit(130);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  try {
    await restoreBackup({
      source: resolve(args[0]!),
      dataDir: resolveDataDir(),
      log: (l) => console.log(l),
      onTemp: (d) => (d ? temps.add(d) : temps.clear()),
      signal: controller.signal,
    });
    return 0;
  } catch (e) {
    const err = e instanceof BackupError ? e : explain(e, resolveDataDir(), '');
    console.error(`Cannot restore: ${err.message}`);
    if (process.env.DEBUG) console.error(e);
    return controller.signal.aborted ? 130 : 1;
  }
}

process.exitCode = await main();
