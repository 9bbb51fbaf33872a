/**
 * run-job — the worker side of background jobs (see jobs.ts): one `JobTask` from the queue.
 *  1. check the task's shape (it arrives as JSON from an asynchronous invocation): anything else is refused with an
 *     error and runs nothing;
 *  2. read the member it runs as; if they are gone, a job still in its running state is recorded as failed (nobody
 *     may act for them);
 *  3. run the job's work as that member — runExport, validateImport or runCommit — which records its own progress and
 *     outcome on the job record and leaves a job that is no longer in its running state alone (a repeated task).
 */
import type { Principal } from '#domain/principal';
import { failureText, RUNNING_STATES, saveJob, type ExportJob, type ImportJob } from './jobs';
import type { JobTask, Ports } from './ports';
import { runCommit } from './commit-import';
import { runExport } from './run-export';
import { validateImport } from './validate-import';
import { runMemberImportCommit, validateMemberImport, type MemberImportJob } from './member-import';

type Runner = (ports: Ports, principal: Principal, id: string) => Promise<void>;

const RUNNERS: Record<JobTask['job'], { kind: 'export' | 'import' | 'member-import'; run: Runner }> = {
  export: { kind: 'export', run: runExport },
  'validate-import': { kind: 'import', run: validateImport },
  'commit-import': { kind: 'import', run: runCommit },
  'validate-member-import': { kind: 'member-import', run: validateMemberImport },
  'commit-member-import': { kind: 'member-import', run: runMemberImportCommit },
};

/** The task in an invocation payload, or an error naming what is wrong with it. */
export function parseJobTask(event: unknown): JobTask {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new TypeError('A job task is an object { job, id, userId }');
  const e = event as Record<string, unknown>;
  const extra = Object.keys(e).filter((k) => k !== 'job' && k !== 'id' && k !== 'userId');
  if (extra.length) throw new TypeError(`Unknown key ${extra[0]} in a job task`);
  if (typeof e.job !== 'string' || !Object.hasOwn(RUNNERS, e.job)) throw new TypeError(`job is one of ${Object.keys(RUNNERS).join(', ')}`);
  if (typeof e.id !== 'string' || !e.id || e.id.length > 100) throw new TypeError('id is the job id');
  if (typeof e.userId !== 'string' || !e.userId || e.userId.length > 200) throw new TypeError('userId is the member the job runs as');
  return { job: e.job as JobTask['job'], id: e.id, userId: e.userId };
}

export async function runJob(ports: Ports, task: JobTask): Promise<void> {
  const { kind, run } = RUNNERS[task.job];
  const member = await ports.directory.member(task.userId);
  if (!member) {
    const job = await ports.directory.getJob<ExportJob | ImportJob | MemberImportJob>(kind, task.id);
    if (!job || !RUNNING_STATES.includes(job.state)) return;
    job.state = 'failed';
    job.error = failureText(new Error('The member who started this job is no longer a member of the census office'));
    await saveJob(ports, job);
    return;
  }
  await run(ports, member, task.id);
}
