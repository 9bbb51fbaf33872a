/**
 * The embedded adapter set that `npm start` runs by default: one SQLite database, a directory of files and an
 * in-process job queue, all under DATA_DIR, behind the same ports as the AWS set. Nothing here loads the AWS SDK.
 *
 *   DATA_DIR/census.db (+ -wal, -shm)   submissions, progress, directory, audit, job records and the job queue
 *   DATA_DIR/files/                     attachments/, imports/, exports/ (each file beside its .meta.json)
 *   DATA_DIR/keys/                      the token signing key pair and the file-link secret
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ports } from '../../functions/app/ports';
import { runJob } from '../../functions/app/run-job';
import { openDatabase, type Db } from '../../functions/adapters/sqlite/database';
import { SqliteDirectoryStore } from '../../functions/adapters/sqlite/directory';
import { SqliteObjectStore } from '../../functions/adapters/sqlite/objects';
import { SqliteProgressStore } from '../../functions/adapters/sqlite/progress';
import { SqliteSubmissionStore } from '../../functions/adapters/sqlite/submissions';
import { LocalFileStore, loadFileSecret } from '../../functions/adapters/files/local-files';
import { InProcessJobQueue } from '../../functions/adapters/jobs/in-process';
import { LocalIdentity } from '../../functions/adapters/identity/local';

export interface Embedded {
  ports: Ports;
  db: Db;
  files: LocalFileStore;
  queue: InProcessJobQueue;
  /** Run the jobs a previous process left queued or running (call once the server is ready). */
  resume(): { resumed: number; failed: number };
  close(): Promise<void>;
}

export const DATABASE_FILE = 'census.db';
export const LOCK_FILE = 'server.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One server per DATA_DIR: two would each run the job queue and each cache form versions. The lock file holds the
 * owner's pid; a lock left by a process that no longer runs (a crash, kill -9, power loss) is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new Error(`${dataDir} is in use by another Risk Census server (process ${owner}); stop it first, or choose another DATA_DIR`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock ${dataDir}`);
}

export function openEmbedded(dataDir: string): Embedded {
  const unlock = lockDataDir(dataDir);
  let db: Db;
  try {
    db = openDatabase({ file: join(dataDir, DATABASE_FILE) });
  } catch (e) {
    unlock();
    throw e;
  }
  const files = new LocalFileStore({ root: join(dataDir, 'files'), secret: loadFileSecret(join(dataDir, 'keys', 'files-secret')) });
  let ports: Ports;
  const queue = new InProcessJobQueue(db, (task) => runJob(ports, task), {
    log: (e) => {
      if (process.env.LOG_LEVEL !== 'silent') console.log(JSON.stringify({ level: e.error ? 'error' : 'info', ...e }));
    },
  });
  const directory = new SqliteDirectoryStore(db);
  ports = {
    identity: new LocalIdentity(directory),
    submissions: new SqliteSubmissionStore(db),
    progress: new SqliteProgressStore(db),
    directory,
    objects: new SqliteObjectStore(db),
    files,
    jobs: queue,
    now: () => new Date(),
    newId: () => randomUUID(),
  };
  return {
    ports,
    db,
    files,
    queue,
    resume: () => queue.resume(),
    async close() {
      await queue.stop();
      db.close();
      unlock();
    },
  };
}
