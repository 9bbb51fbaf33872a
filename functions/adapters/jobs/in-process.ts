/**
 * The embedded job queue (`npm start`): background work runs in the server process itself, and every task is kept in
 * the SQLite table `job_queue` (migration 1 in ../sqlite/database.ts) so that a task survives a restart or a crash.
 *
 * Contract:
 *  - `start(task)` writes the task (state `queued`) in one fsynced commit and only then resolves, so a 202 answered to
 *    the client is never for a task that a crash can lose. The worker picks it up on a later turn of the event loop
 *    (setImmediate): the caller never waits for the work. A task whose key (`job:id`) is already queued or running is
 *    not queued twice; one that is `done` or `failed` is queued afresh (a new request for the same job).
 *  - The worker runs up to `concurrency` tasks at a time, oldest first. It marks a task `running` (attempts + 1)
 *    before calling `run`, then `done` or `failed` (with the error's text) when `run` settles. A failed run is not
 *    retried: the runners (functions/app/run-job.ts) record their own failure on the job record, and running them again
 *    would only fail again.
 *  - The one exception is a task interrupted by the death of its process (a crash, `kill -9`, power loss): its row is
 *    left `running`. `resume()`, called once at start-up, runs such tasks again — and the tasks that were still
 *    `queued` — which is safe because the runners re-read the job record and restart its work (exports and validation
 *    start over; commit-import is idempotent per row). `attempts` bounds this: a task that has already been started
 *    `maxAttempts` times (one that perhaps kills the process itself, e.g. by running out of memory) is marked `failed`
 *    instead of taking the server down at every start. Its job record is left alone: it is shown as failed once it has
 *    not moved for STALLED_AFTER_MS (viewState in functions/app/jobs.ts).
 *  - `stop(graceMs)` refuses new tasks and waits up to `graceMs` for the running ones. Tasks that have not started stay
 *    `queued`, and tasks still running when the grace ends stay `running`: both are resumed at the next start.
 *  - Finished rows are only kept for a week (like the job records, JOB_TTL_S): they are deleted when the queue starts.
 *
 * better-sqlite3 is synchronous and this process is the only writer of the file (see database.ts), so each state change
 * below is one statement or one IMMEDIATE transaction and cannot interleave with another.
 */
import { performance } from 'node:perf_hooks';
import { failureText, JOB_TTL_S } from '#app/jobs';
import type { JobQueue, JobTask } from '#app/ports';
import type { Db } from '#adapters/sqlite/database';

export interface InProcessJobQueueOptions {
  /** Tasks run at the same time (default 1: an export or an import already keeps the single SQLite writer busy). */
  concurrency?: number;
  /** How many times a task may be started before `resume()` gives up on it (default 3). */
  maxAttempts?: number;
  now?: () => Date;
  /** One entry per finished or failed task (default: none). */
  log?: (entry: Record<string, unknown>) => void;
}

/** What `resume()` did with the tasks a previous process left unfinished. */
export interface ResumeResult {
  /** Tasks queued to run again. */
  resumed: number;
  /** Tasks marked failed (started too often, or unreadable). */
  failed: number;
}

/** The error text of a task that `resume()` stops retrying. */
export const INTERRUPTED_TOO_OFTEN = 'interrupted too often';

interface Waiting {
  key: string;
  task: JobTask;
  createdAt: string;
  seq: number;
}

interface Row {
  seq: number;
  task_key: string;
  task: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  attempts: number;
  created_at: string;
}

const WEEK_MS = JOB_TTL_S * 1000;

export function taskKey(task: JobTask): string {
  return `${task.job}:${task.id}`;
}

/** The stored task, or undefined when the row does not hold one (written by hand, or by a future release). */
function readTask(json: string): JobTask | undefined {
  try {
    const t = JSON.parse(json) as Partial<JobTask> | null;
    if (t && typeof t.job === 'string' && typeof t.id === 'string' && typeof t.userId === 'string') return { job: t.job, id: t.id, userId: t.userId };
  } catch {
    // fall through: unreadable
  }
  return undefined;
}

export class InProcessJobQueue implements JobQueue {
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly now: () => Date;
  private readonly log: (entry: Record<string, unknown>) => void;

  /** Tasks this process has taken on and not started yet, oldest first (created_at, then insertion order). */
  private readonly waiting: Waiting[] = [];
  /** Tasks running in this process: key → a promise that settles (never rejects) once the outcome is recorded. */
  private readonly active = new Map<string, Promise<void>>();
  private readonly idleWaiters: (() => void)[] = [];
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly run: (task: JobTask) => Promise<void>,
    opts: InProcessJobQueueOptions = {},
  ) {
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 1));
    this.maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? 3));
    this.now = opts.now ?? (() => new Date());
    this.log = opts.log ?? (() => {});
    // Housekeeping: finished rows only serve to answer "was this task run"; a week is as long as its job record lives.
    const cutoff = new Date(this.now().getTime() - WEEK_MS).toISOString();
    this.db.prepare(`DELETE FROM job_queue WHERE state IN ('done', 'failed') AND updated_at < ?`).run(cutoff);
  }

  /**
   * Record the task durably, then hand it to the worker. Resolves once the row is committed; rejects after `stop()`
   * or when the database refuses the write (then nothing was queued).
   */
  async start(task: JobTask): Promise<void> {
    if (this.stopped) throw new Error('The job queue is stopping, so no new background job can start; try again once the server is back');
    const key = taskKey(task);
    const at = this.now().toISOString();
    // Keep only the task's own fields: the row is read back as a task at the next start.
    const json = JSON.stringify({ job: task.job, id: task.id, userId: task.userId });
    const row = this.db.transaction((): Row | undefined => {
      // Insert, or queue afresh a task that has finished; a task already queued or running is left as it is.
      const r = this.db
        .prepare(
          `INSERT INTO job_queue (task_key, task, state, attempts, created_at, updated_at, error) VALUES (?, ?, 'queued', 0, ?, ?, NULL)
           ON CONFLICT (task_key) DO UPDATE SET task = excluded.task, state = 'queued', attempts = 0, created_at = excluded.created_at,
             updated_at = excluded.updated_at, error = NULL
           WHERE job_queue.state IN ('done', 'failed')`,
        )
        .run(key, json, at, at);
      if (r.changes === 0) return undefined;
      return this.db.prepare(`SELECT rowid AS seq, * FROM job_queue WHERE task_key = ?`).get(key) as Row;
    }).immediate();
    // Already queued or running: in this process (nothing to do), or left by a previous one (resume() takes it).
    if (!row) return;
    this.enqueue({ key, task: { job: task.job, id: task.id, userId: task.userId }, createdAt: row.created_at, seq: row.seq });
  }

  /**
   * Take on the tasks a previous process left `queued` or `running` (it stopped or died before finishing them): run
   * them again, oldest first, unless they were already started `maxAttempts` times, which marks them `failed`.
   * Tasks this process already holds are not touched, so a call after `start()` does no harm.
   */
  resume(): ResumeResult {
    if (this.stopped) return { resumed: 0, failed: 0 };
    const at = this.now().toISOString();
    const taken: Waiting[] = [];
    const gaveUp: { row: Row; error: string }[] = [];
    this.db.transaction(() => {
      const rows = this.db
        .prepare(`SELECT rowid AS seq, * FROM job_queue WHERE state IN ('queued', 'running') ORDER BY created_at, rowid`)
        .all() as Row[];
      const fail = this.db.prepare(`UPDATE job_queue SET state = 'failed', error = ?, updated_at = ? WHERE task_key = ?`);
      const requeue = this.db.prepare(`UPDATE job_queue SET state = 'queued', updated_at = ? WHERE task_key = ? AND state = 'running'`);
      for (const row of rows) {
        if (this.owns(row.task_key)) continue;
        const task = readTask(row.task);
        if (!task || row.attempts >= this.maxAttempts) {
          const error = task ? INTERRUPTED_TOO_OFTEN : 'unreadable task';
          fail.run(error, at, row.task_key);
          gaveUp.push({ row, error });
          continue;
        }
        // An interrupted task is `queued` again until the worker takes it, so the table says what is true.
        requeue.run(at, row.task_key);
        taken.push({ key: row.task_key, task, createdAt: row.created_at, seq: row.seq });
      }
    }).immediate();
    for (const { row, error } of gaveUp) {
      this.log({ level: 'warn', msg: 'job failed', key: row.task_key, task: readTask(row.task) ?? row.task, attempts: row.attempts, error });
    }
    for (const w of taken) this.enqueue(w);
    return { resumed: taken.length, failed: gaveUp.length };
  }

  /** Resolves when this process has nothing queued or running (at once if it has nothing). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Tasks queued or running in this process. */
  pending(): number {
    return this.waiting.length + this.active.size;
  }

  /**
   * Refuse new tasks, start no more, and wait up to `graceMs` for the running ones. Tasks not started stay `queued`
   * and tasks still running stay `running` in the table: `resume()` takes both at the next start.
   * Resolves with how many tasks were still running when it gave up waiting.
   */
  async stop(graceMs = 15_000): Promise<{ unfinished: number }> {
    this.stopped = true;
    this.waiting.length = 0;
    if (this.active.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, graceMs));
      });
      await Promise.race([Promise.all(this.active.values()), grace]);
      clearTimeout(timer);
    }
    this.notifyIdle();
    return { unfinished: this.active.size };
  }

  private owns(key: string): boolean {
    return this.active.has(key) || this.waiting.some((w) => w.key === key);
  }

  private isIdle(): boolean {
    return this.waiting.length === 0 && this.active.size === 0;
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private enqueue(w: Waiting): void {
    if (this.owns(w.key)) return;
    this.waiting.push(w);
    // Oldest first: resumed tasks (older) go before tasks started since, whatever the order of the calls.
    this.waiting.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.seq - b.seq));
    this.schedule();
  }

  /** Run the worker on a later turn of the event loop: `start()` returns before any work begins. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.stopped && this.active.size < this.concurrency && this.waiting.length > 0) {
      const w = this.waiting.shift()!;
      let attempts: number;
      try {
        // Marked before `run` is called: a death from here on leaves `running`, which resume() counts as an attempt.
        const row = this.db
          .prepare(`UPDATE job_queue SET state = 'running', attempts = attempts + 1, updated_at = ? WHERE task_key = ? AND state = 'queued' RETURNING attempts`)
          .get(this.now().toISOString(), w.key) as { attempts: number } | undefined;
        if (!row) continue; // no longer queued (deleted by hand): nothing to run
        attempts = row.attempts;
      } catch (e) {
        // The database is unusable (closed, disk error): the row stays queued for the next start.
        this.log({ level: 'error', msg: 'job could not start', key: w.key, ...w.task, error: failureText(e) });
        continue;
      }
      this.active.set(w.key, this.execute(w, attempts));
    }
    this.notifyIdle();
  }

  private async execute(w: Waiting, attempts: number): Promise<void> {
    const started = performance.now();
    let error: string | undefined;
    try {
      // `new Promise` turns a synchronous throw of `run` into a rejection like any other.
      await new Promise<void>((resolve) => resolve(this.run(w.task)));
    } catch (e) {
      error = failureText(e);
    }
    const ms = Math.round(performance.now() - started);
    try {
      this.db
        .prepare(`UPDATE job_queue SET state = ?, error = ?, updated_at = ? WHERE task_key = ? AND state = 'running'`)
        .run(error === undefined ? 'done' : 'failed', error ?? null, this.now().toISOString(), w.key);
      this.log(
        error === undefined
          ? { level: 'info', msg: 'job finished', key: w.key, ...w.task, attempts, ms }
          : { level: 'warn', msg: 'job failed', key: w.key, ...w.task, attempts, ms, error },
      );
    } catch (e) {
      // The database was closed under a task that outlived stop(): the row stays `running` and is resumed next start.
      this.log({ level: 'error', msg: 'job outcome not recorded', key: w.key, ...w.task, attempts, ms, error: error ?? null, cause: failureText(e) });
    } finally {
      this.active.delete(w.key);
      if (!this.stopped) this.schedule();
      this.notifyIdle();
    }
  }
}
