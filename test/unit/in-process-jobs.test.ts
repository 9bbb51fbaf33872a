/**
 * InProcessJobQueue over real SQLite files (no mocks of the database): a started task is recorded before start()
 * resolves and runs later, once; failures are recorded with their text; the same task is not queued twice; concurrency
 * is respected, oldest first; a task interrupted by a "crash" (the handle closed, the queue dropped) is resumed from the
 * file by the next queue, up to maxAttempts; stop() refuses new work and waits, within its grace, for running work;
 * idle() waits for in-flight work; finished rows older than a week are deleted at start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INTERRUPTED_TOO_OFTEN, InProcessJobQueue, taskKey } from '#adapters/jobs/in-process';
import { openDatabase, type Db } from '#adapters/sqlite/database';
import type { JobTask } from '#app/ports';

interface QueueRow {
  task_key: string;
  task: string;
  state: string;
  attempts: number;
  created_at: string;
  updated_at: string;
  error: string | null;
}

let dir: string;
let file: string;
const opened: Db[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'risk-census-jobs-'));
  file = join(dir, 'census.db');
});

afterEach(() => {
  for (const db of opened.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(): Db {
  const db = openDatabase({ file });
  opened.push(db);
  return db;
}

function rows(db: Db): QueueRow[] {
  return db.prepare('SELECT * FROM job_queue ORDER BY rowid').all() as QueueRow[];
}

function row(db: Db, task: JobTask): QueueRow | undefined {
  return db.prepare('SELECT * FROM job_queue WHERE task_key = ?').get(taskKey(task)) as QueueRow | undefined;
}

function task(id: string, job: JobTask['job'] = 'export'): JobTask {
  return { job, id, userId: 'user-1' };
}

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Let the worker's setImmediate turns (and the microtasks after them) run. */
async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** A run that records its calls and never finishes (a worker that dies with its process). */
function hanging() {
  const calls: JobTask[] = [];
  return { calls, run: (t: JobTask) => (calls.push(t), new Promise<void>(() => {})) };
}

describe('InProcessJobQueue', () => {
  it('records the task before start() resolves, then runs it once, later, and marks it done', async () => {
    const db = open();
    const calls: JobTask[] = [];
    const log: Record<string, unknown>[] = [];
    const q = new InProcessJobQueue(db, async (t) => void calls.push(t), { log: (e) => log.push(e) });
    const t = task('e1');
    await q.start(t);
    // Durable and not yet run: the caller never waits for the work.
    expect(calls).toEqual([]);
    expect(row(db, t)).toMatchObject({ state: 'queued', attempts: 0, error: null });
    expect(JSON.parse(row(db, t)!.task)).toEqual(t);
    expect(q.pending()).toBe(1);
    await q.idle();
    expect(calls).toEqual([t]);
    expect(row(db, t)).toMatchObject({ state: 'done', attempts: 1, error: null });
    expect(q.pending()).toBe(0);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ msg: 'job finished', job: 'export', id: 'e1', userId: 'user-1', attempts: 1 });
    expect(typeof log[0]!.ms).toBe('number');
  });

  it('keeps only the task fields in the row', async () => {
    const db = open();
    const q = new InProcessJobQueue(db, async () => {});
    const t = { ...task('e1'), extra: 'not a task field' } as JobTask;
    await q.start(t);
    await q.idle();
    expect(JSON.parse(row(db, t)!.task)).toEqual({ job: 'export', id: 'e1', userId: 'user-1' });
  });

  it('marks a task whose run rejects (or throws) as failed with the first 300 characters of the message, and does not retry it', async () => {
    const db = open();
    let runs = 0;
    const log: Record<string, unknown>[] = [];
    const long = 'x'.repeat(500);
    const q = new InProcessJobQueue(
      db,
      (t) => {
        runs++;
        if (t.id === 'sync') throw new Error('thrown at once');
        return Promise.reject(new Error(t.id === 'long' ? long : 'the export file could not be written'));
      },
      { log: (e) => log.push(e) },
    );
    await q.start(task('e1'));
    await q.start(task('long'));
    await q.start(task('sync'));
    await q.idle();
    expect(row(db, task('e1'))).toMatchObject({ state: 'failed', attempts: 1, error: 'the export file could not be written' });
    expect(row(db, task('long'))!.error).toBe('x'.repeat(300));
    expect(row(db, task('sync'))).toMatchObject({ state: 'failed', error: 'thrown at once' });
    await turns();
    expect(runs).toBe(3);
    expect(log.map((e) => e.msg)).toEqual(['job failed', 'job failed', 'job failed']);
    expect(log[0]).toMatchObject({ id: 'e1', error: 'the export file could not be written' });
  });

  it('does not queue the same task twice while it is queued or running', async () => {
    const db = open();
    const gate = deferred();
    const calls: string[] = [];
    const q = new InProcessJobQueue(db, (t) => {
      calls.push(t.id);
      return t.id === 'a' ? gate.promise : Promise.resolve();
    });
    const a = task('a');
    const b = task('b');
    await q.start(a);
    await turns(); // a is running and holds the only slot
    expect(row(db, a)!.state).toBe('running');
    await q.start(b);
    await q.start(b); // queued: not duplicated
    await q.start(a); // running: not duplicated
    expect(q.pending()).toBe(2);
    expect(rows(db)).toHaveLength(2);
    expect(row(db, a)).toMatchObject({ state: 'running', attempts: 1 });
    expect(row(db, b)).toMatchObject({ state: 'queued', attempts: 0 });
    gate.resolve();
    await q.idle();
    expect(calls).toEqual(['a', 'b']);
    expect(rows(db).map((r) => [r.task_key, r.state, r.attempts])).toEqual([
      ['export:a', 'done', 1],
      ['export:b', 'done', 1],
    ]);
  });

  it('tells tasks apart by job and id (validation and commit of the same import are two tasks)', async () => {
    const db = open();
    const calls: string[] = [];
    const q = new InProcessJobQueue(db, async (t) => void calls.push(taskKey(t)));
    await q.start(task('i1', 'validate-import'));
    await q.idle();
    await q.start(task('i1', 'commit-import'));
    await q.idle();
    expect(calls).toEqual(['validate-import:i1', 'commit-import:i1']);
    expect(rows(db).map((r) => r.state)).toEqual(['done', 'done']);
  });

  it('queues afresh a task that has finished', async () => {
    const db = open();
    let fail = true;
    let runs = 0;
    const q = new InProcessJobQueue(db, async () => {
      runs++;
      if (fail) throw new Error('first time');
    });
    const t = task('again');
    await q.start(t);
    await q.idle();
    expect(row(db, t)).toMatchObject({ state: 'failed', error: 'first time' });
    fail = false;
    await q.start(t);
    expect(row(db, t)).toMatchObject({ state: 'queued', attempts: 0, error: null });
    await q.idle();
    expect(runs).toBe(2);
    expect(row(db, t)).toMatchObject({ state: 'done', attempts: 1, error: null });
  });

  it('runs at most `concurrency` tasks at a time, oldest first', async () => {
    const db = open();
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const order: string[] = [];
    let running = 0;
    let most = 0;
    const q = new InProcessJobQueue(
      db,
      async (t) => {
        order.push(t.id);
        running++;
        most = Math.max(most, running);
        const g = deferred();
        gates.set(t.id, g);
        try {
          await g.promise;
        } finally {
          running--;
        }
      },
      { concurrency: 2 },
    );
    for (const id of ['t1', 't2', 't3', 't4', 't5']) await q.start(task(id));
    await turns();
    expect(running).toBe(2);
    expect(order).toEqual(['t1', 't2']);
    expect(rows(db).map((r) => r.state)).toEqual(['running', 'running', 'queued', 'queued', 'queued']);
    gates.get('t2')!.resolve();
    await turns();
    expect(order).toEqual(['t1', 't2', 't3']);
    expect(running).toBe(2);
    // Release whatever runs until all are done.
    while (order.length < 5 || running > 0) {
      for (const g of gates.values()) g.resolve();
      await turns();
    }
    await q.idle();
    expect(order).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(most).toBe(2);
    expect(rows(db).every((r) => r.state === 'done' && r.attempts === 1)).toBe(true);
  });

  it('resumes a task interrupted by a crash from the file, as its second attempt', async () => {
    const t = task('crashed');
    const before = open();
    const first = hanging();
    const q1 = new InProcessJobQueue(before, first.run);
    expect(q1.resume()).toEqual({ resumed: 0, failed: 0 });
    await q1.start(t);
    await turns();
    expect(first.calls).toEqual([t]);
    expect(row(before, t)).toMatchObject({ state: 'running', attempts: 1 });
    // The crash: the handle goes away with the work unfinished, and the queue with it.
    before.close();

    const after = open();
    const calls: JobTask[] = [];
    const q2 = new InProcessJobQueue(after, async (x) => void calls.push(x));
    expect(calls).toEqual([]); // nothing runs before resume()
    expect(q2.resume()).toEqual({ resumed: 1, failed: 0 });
    await q2.idle();
    expect(calls).toEqual([t]);
    expect(row(after, t)).toMatchObject({ state: 'done', attempts: 2, error: null });
  });

  it('resumes a task that was queued but never started, oldest first ahead of newer tasks', async () => {
    const old = task('old');
    const before = open();
    const log: Record<string, unknown>[] = [];
    const q1 = new InProcessJobQueue(before, async () => {}, { log: (e) => log.push(e) });
    await q1.start(old);
    // The crash comes before the worker's turn: the row is durable and still queued.
    before.close();
    await turns();
    expect(log).toMatchObject([{ msg: 'job could not start', id: 'old' }]);

    const after = open();
    expect(row(after, old)).toMatchObject({ state: 'queued', attempts: 0 });
    const order: string[] = [];
    const q2 = new InProcessJobQueue(after, async (x) => void order.push(x.id));
    await q2.start(task('new')); // started before resume(), but newer
    expect(q2.resume()).toEqual({ resumed: 1, failed: 0 });
    await q2.idle();
    expect(order).toEqual(['old', 'new']);
    expect(row(after, old)).toMatchObject({ state: 'done', attempts: 1 });
  });

  it('marks a task failed instead of resuming it once it has been started maxAttempts times', async () => {
    const t = task('poison');
    // Two crashes in a row, with maxAttempts 2: the task is started twice, then given up.
    for (let i = 0; i < 2; i++) {
      const db = open();
      const h = hanging();
      const q = new InProcessJobQueue(db, h.run, { maxAttempts: 2 });
      if (i === 0) await q.start(t);
      else expect(q.resume()).toEqual({ resumed: 1, failed: 0 });
      await turns();
      expect(h.calls).toEqual([t]);
      expect(row(db, t)).toMatchObject({ state: 'running', attempts: i + 1 });
      db.close();
    }
    const db = open();
    const calls: JobTask[] = [];
    const log: Record<string, unknown>[] = [];
    const q = new InProcessJobQueue(db, async (x) => void calls.push(x), { maxAttempts: 2, log: (e) => log.push(e) });
    expect(q.resume()).toEqual({ resumed: 0, failed: 1 });
    await q.idle();
    await turns();
    expect(calls).toEqual([]);
    expect(row(db, t)).toMatchObject({ state: 'failed', attempts: 2, error: INTERRUPTED_TOO_OFTEN });
    expect(log).toMatchObject([{ msg: 'job failed', error: INTERRUPTED_TOO_OFTEN }]);
  });

  it('marks an unreadable leftover row failed', () => {
    const db = open();
    db.prepare(`INSERT INTO job_queue (task_key, task, state, attempts, created_at, updated_at) VALUES ('export:x', 'not json', 'running', 1, ?, ?)`).run(
      new Date().toISOString(),
      new Date().toISOString(),
    );
    const q = new InProcessJobQueue(db, async () => {});
    expect(q.resume()).toEqual({ resumed: 0, failed: 1 });
    expect(rows(db)[0]).toMatchObject({ state: 'failed', error: 'unreadable task' });
  });

  it('resume() leaves alone the tasks this process is already running', async () => {
    const db = open();
    const h = hanging();
    const q = new InProcessJobQueue(db, h.run);
    await q.start(task('mine'));
    await turns();
    expect(q.resume()).toEqual({ resumed: 0, failed: 0 });
    await turns();
    expect(h.calls).toHaveLength(1);
    expect(row(db, task('mine'))).toMatchObject({ state: 'running', attempts: 1 });
  });

  it('refuses new tasks after stop(), recording nothing', async () => {
    const db = open();
    const q = new InProcessJobQueue(db, async () => {});
    await expect(q.stop()).resolves.toEqual({ unfinished: 0 });
    await expect(q.start(task('late'))).rejects.toThrow(/stopping/);
    expect(rows(db)).toEqual([]);
  });

  it('stop() waits for running tasks within its grace, and leaves unstarted tasks queued', async () => {
    const db = open();
    const gate = deferred();
    const calls: string[] = [];
    const q = new InProcessJobQueue(db, (t) => (calls.push(t.id), gate.promise));
    await q.start(task('running'));
    await q.start(task('waiting'));
    await turns();
    let stopped = false;
    const stopping = q.stop(10_000).then((r) => ((stopped = true), r));
    await turns();
    expect(stopped).toBe(false);
    gate.resolve();
    await expect(stopping).resolves.toEqual({ unfinished: 0 });
    await turns();
    expect(calls).toEqual(['running']);
    expect(row(db, task('running'))!.state).toBe('done');
    expect(row(db, task('waiting'))).toMatchObject({ state: 'queued', attempts: 0 });
    expect(q.pending()).toBe(0);
  });

  it('stop() gives up after its grace, leaving the task running for the next start', async () => {
    const db = open();
    const q = new InProcessJobQueue(db, hanging().run);
    await q.start(task('slow'));
    await turns();
    const t0 = Date.now();
    await expect(q.stop(100)).resolves.toEqual({ unfinished: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(row(db, task('slow'))).toMatchObject({ state: 'running', attempts: 1 });
  });

  it('idle() waits for in-flight work and resolves at once when there is none', async () => {
    const db = open();
    const gate = deferred();
    const q = new InProcessJobQueue(db, () => gate.promise);
    await q.idle(); // nothing to wait for
    await q.start(task('slow'));
    let idle = false;
    const waiting = q.idle().then(() => (idle = true));
    await turns(5);
    expect(idle).toBe(false);
    expect(row(db, task('slow'))!.state).toBe('running');
    gate.resolve();
    await waiting;
    // The outcome is recorded before idle() resolves.
    expect(row(db, task('slow'))!.state).toBe('done');
  });

  it('deletes finished rows older than a week when it starts, keeping recent and open ones', () => {
    const db = open();
    const now = new Date('2024-06-10T00:00:00Z');
    const ins = db.prepare(`INSERT INTO job_queue (task_key, task, state, attempts, created_at, updated_at) VALUES (?, '{}', ?, 1, ?, ?)`);
    const at = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
    ins.run('export:old-done', 'done', at(9), at(8));
    ins.run('export:old-failed', 'failed', at(9), at(8));
    ins.run('export:recent-done', 'done', at(2), at(1));
    ins.run('export:old-queued', 'queued', at(9), at(8));
    new InProcessJobQueue(db, async () => {}, { now: () => now });
    expect(rows(db).map((r) => r.task_key)).toEqual(['export:recent-done', 'export:old-queued']);
  });
});
