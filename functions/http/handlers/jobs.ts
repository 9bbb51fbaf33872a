/**
 * The job function: not an HTTP route. Start routes (POST /api/exports, /api/imports, /api/imports/{id}/commit) hand it
 * a `JobTask` by asynchronous invocation (on AWS: Lambda Invoke with InvocationType Event; locally: the emulator in
 * infra/local/lambda-local.ts); it runs the job as the member who started it (app/run-job.ts).
 */
import { parseJobTask, runJob } from '#app/run-job';
import { getPorts } from '../ports';

export async function run(event: unknown): Promise<{ ok: true }> {
  const started = Date.now();
  const task = parseJobTask(event);
  try {
    await runJob(await getPorts(), task);
    if (process.env.LOG_LEVEL !== 'silent') console.log(JSON.stringify({ level: 'info', msg: 'job finished', ...task, ms: Date.now() - started }));
    return { ok: true };
  } catch (e) {
    // The run functions record their own failures on the job; this is storage failing underneath them.
    console.error(JSON.stringify({ level: 'error', msg: 'job failed', ...task, ms: Date.now() - started, error: String(e), stack: (e as Error)?.stack }));
    throw e;
  }
}
