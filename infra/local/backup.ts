/**
 * `npm run backup -- <dir>` (node --import tsx infra/local/backup.ts <dir>): a consistent backup of DATA_DIR (env
 * DATA_DIR, default .data/ like `npm start`) into the new directory <dir>, while the server runs or not. See
 * backup-core.ts for what it holds and how it stays consistent. Exit 0 when the backup is complete and checked; 1 with a
 * one-line reason otherwise (nothing is left behind but the reason).
 */
import { resolve } from 'node:path';
import { rmSync } from 'node:fs';
import { BackupError, createBackup, explain, resolveDataDir } from './backup-core';

const USAGE = `Usage: npm run backup -- <dir>
  Writes a consistent backup of DATA_DIR (now ${resolveDataDir()}) into the new directory <dir>
  (which must not exist, or be empty). Safe while the server runs. Restore with: npm run restore -- <dir>`;

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  if (args.length !== 1 || args[0] === '-h' || args[0] === '--help' || args[0]!.startsWith('-')) {
    console.error(USAGE);
    return args[0] === '-h' || args[0] === '--help' ? 0 : 1;
  }
  const controller = new AbortController();
  let temp: string | undefined;
  let signals = 0;
  const onSignal = (signal: string) => {
    if (++signals === 1) {
      console.error(`\n${signal}: stopping the backup and removing what it wrote…`);
      controller.abort();
      return;
    }
    if (temp) rmSync(temp, { recursive: true, force: true });
    process.exit(130);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  try {
    await createBackup({ dataDir: resolveDataDir(), target: resolve(args[0]!), log: (l) => console.log(l), onTemp: (d) => (temp = d), signal: controller.signal });
    return 0;
  } catch (e) {
    const err = e instanceof BackupError ? e : explain(e, args[0]!, '');
    console.error(`Backup failed: ${err.message}`);
    if (process.env.DEBUG) console.error(e);
    return controller.signal.aborted ? 130 : 1;
  }
}

process.exitCode = await main();
