/**
 * The job queue on Lambda: an asynchronous invocation (InvocationType Event) of the job function, whose name the
 * stack sets in JOB_FUNCTION for the routes that start jobs. Lambda keeps the event in its own queue and retries
 * throttled invocations; the answer is 202 once the event is accepted. Locally LAMBDA_ENDPOINT points the same client
 * at the emulator in infra/local/lambda-local.ts.
 *
 * The SDK client is loaded on the first job, so the many functions that never start one do not pay for it at init.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { JobQueue, JobTask } from '#app/ports';

export class LambdaJobQueue implements JobQueue {
  private client?: Promise<{ client: LambdaClient; Invoke: typeof import('@aws-sdk/client-lambda').InvokeCommand }>;

  constructor(
    private readonly functionName: string,
    private readonly env: Record<string, string | undefined>,
  ) {}

  private load() {
    this.client ??= import('@aws-sdk/client-lambda').then(({ LambdaClient, InvokeCommand }) => {
      const endpoint = this.env.LAMBDA_ENDPOINT;
      const client = new LambdaClient(
        endpoint
          ? { endpoint, region: this.env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 3 }
          : { maxAttempts: 3 },
      );
      return { client, Invoke: InvokeCommand };
    });
    return this.client;
  }

  async start(task: JobTask): Promise<void> {
    const { client, Invoke } = await this.load();
    const r = await client.send(
      new Invoke({ FunctionName: this.functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(task)) }),
    );
    if (r.StatusCode !== 202) throw new Error(`The job function did not accept the task (status ${r.StatusCode})`);
  }
}

/** Where no job function is configured: starting a job fails clearly instead of leaving it waiting forever. */
export const NO_JOB_QUEUE: JobQueue = {
  async start() {
    throw new Error('JOB_FUNCTION is not set, so background jobs (exports, imports) cannot start');
  },
};
