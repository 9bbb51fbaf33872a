/**
 * A server process that dies mid-job, for test/unit/in-process-jobs-kill.test.ts: it opens the database file given as
 * the first argument, starts the task given as JSON in the second with a run that never finishes, prints READY once
 * the task is marked running, and then waits to be killed (the parent sends SIGKILL, so nothing here gets to clean up).
 */
import { InProcessJobQueue } from '#adapters/jobs/in-process';
import { openDatabase } from '#adapters/sqlite/database';
import type { JobTask } from '#app/ports';

const [file, taskJson] = process.argv.slice(2);
if (!file || !taskJson) {
  console.error('usage: job-queue-child.ts <database file> <task JSON>');
  process.exit(2);
}
const task = JSON.parse(taskJson) as JobTask;
const db = openDatabase({ file });
const queue = new InProcessJobQueue(db, () => {
  // The run has begun, so the row is `running` (marked before run is called); the work itself never ends.
  process.stdout.write('READY\n');
  return new Promise<void>(() => {});
});
queue.resume();
await queue.start(task);
// A pending promise does not keep Node alive; this does, until the kill.
setInterval(() => {}, 60_000);
