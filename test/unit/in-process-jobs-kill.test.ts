/**
 * Durability of InProcessJobQueue across a real process death: a child process (test/support/job-queue-child.ts)
 * opens the database file, starts a task whose run never finishes and is killed with SIGKILL, so nothing of it gets to
 * clean up. The task must then be in the file as `running` (the commit of start() and of the worker's mark were
 * fsynced), and a queue opened on the same file afterwards resumes it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessJobQueue, taskKey } from '#adapters/jobs/in-process';
import { openDatabase, type Db } from '#adapters/sqlite/database';
import type { JobTask } from '#app/ports';

const root = resolve(import.meta.dirname, '../..');
const child = join(root, 'test/support/job-queue-child.ts');

let dir: string;
let db: Db | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'risk-census-jobs-kill-'));
});

afterEach(() => {
  if (db?.open) db.close();
  db = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Run the child until it prints READY, then kill it with SIGKILL; resolves with the signal it died of. */
function runAndKill(file: string, task: JobTask): Promise<NodeJS.Signals | null> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, file, JSON.stringify(task)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killed = false;
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`the child did not print READY in time; stdout: ${out} stderr: ${err}`));
    }, 20_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      if (!killed && out.includes('READY')) {
        killed = true;
        p.kill('SIGKILL');
      }
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!killed) reject(new Error(`the child exited (code ${code}) before READY; stderr: ${err}`));
      else resolvePromise(signal);
    });
  });
}

describe('InProcessJobQueue across a process kill', () => {
  it('resumes from the file a task whose process was killed with SIGKILL mid-run', async () => {
    const file = join(dir, 'census.db');
    const task: JobTask = { job: 'commit-import', id: 'imp-1', userId: 'user-1' };
    await expect(runAndKill(file, task)).resolves.toBe('SIGKILL');

    db = openDatabase({ file });
    const left = db.prepare('SELECT state, attempts, task FROM job_queue WHERE task_key = ?').get(taskKey(task)) as
      | { state: string; attempts: number; task: string }
      | undefined;
    expect(left).toMatchObject({ state: 'running', attempts: 1 });
    expect(JSON.parse(left!.task)).toEqual(task);

    const calls: JobTask[] = [];
    const queue = new InProcessJobQueue(db, async (t) => void calls.push(t));
    expect(queue.resume()).toEqual({ resumed: 1, failed: 0 });
    await queue.idle();
    expect(calls).toEqual([task]);
    expect(db.prepare('SELECT state, attempts, error FROM job_queue WHERE task_key = ?').get(taskKey(task))).toEqual({
      state: 'done',
      attempts: 2,
      error: null,
    });
  });
});
