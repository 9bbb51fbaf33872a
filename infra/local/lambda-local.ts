/**
 * A small emulator of the Lambda Invoke API for the local stack, as s3rver stands in for S3: the job queue adapter
 * (functions/adapters/jobs/lambda.ts) sends the same InvokeCommand it sends on AWS, and the emulator runs the named
 * handler in this process.
 *
 *   POST /2015-03-31/functions/{name or ARN}/invocations
 *     X-Amz-Invocation-Type: Event           → 202 at once, the handler runs afterwards (errors are logged, as Lambda does)
 *     RequestResponse (the default)           → 200 with the handler's JSON result, or X-Amz-Function-Error: Unhandled
 *     DryRun                                  → 204
 *   unknown function → 404 ResourceNotFoundException; body not JSON → 400; payload over 1 MB (256 KB sync) → 413.
 *
 * It listens on 127.0.0.1 only — like DynamoDB Local and s3rver it is a local-mode service with no authentication.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type LocalFunction = (event: unknown) => Promise<unknown>;

export interface LambdaLocal {
  endpoint: string;
  /** Invocations accepted and not yet finished. */
  pending(): number;
  /** Resolves when every accepted invocation has finished. */
  idle(): Promise<void>;
  /** Stop accepting; wait up to `graceMs` for invocations in progress. */
  stop(graceMs?: number): Promise<void>;
}

const ASYNC_LIMIT = 1024 * 1024;
const SYNC_LIMIT = 256 * 1024;
const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

function reply(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': crypto.randomUUID(), ...headers });
  res.end(text);
}

function awsError(res: ServerResponse, status: number, type: string, message: string) {
  reply(res, status, { Type: 'User', message }, { 'x-amzn-errortype': type });
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `risk-census-jobs`, or the function name inside an ARN / partial ARN (`…:function:risk-census-jobs[:qualifier]`). */
export function functionNameOf(raw: string): string {
  const name = decodeURIComponent(raw);
  const m = /(?:^|:)function:([^:]+)/.exec(name);
  return m ? m[1]! : name;
}

export async function startLambdaLocal(opts: { port?: number; functions: Record<string, LocalFunction> }): Promise<LambdaLocal> {
  const running = new Set<Promise<void>>();
  let closing = false;

  const server = createServer((req, res) => {
    void (async () => {
      const m = PATH.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
      if (req.method !== 'POST' || !m) return awsError(res, 404, 'UnrecognizedClientException', 'Only POST /2015-03-31/functions/{name}/invocations is served here');
      const name = functionNameOf(m[1]!);
      const fn = Object.hasOwn(opts.functions, name) ? opts.functions[name] : undefined;
      if (!fn) return awsError(res, 404, 'ResourceNotFoundException', `Function not found: ${name}`);
      if (closing) return awsError(res, 429, 'TooManyRequestsException', 'The local job runner is shutting down');
      const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
      if (!['Event', 'RequestResponse', 'DryRun'].includes(type)) return awsError(res, 400, 'InvalidParameterValueException', `Unknown invocation type ${type}`);
      const limit = type === 'Event' ? ASYNC_LIMIT : SYNC_LIMIT;
      const raw = await readBody(req, limit);
      if (!raw) return awsError(res, 413, 'RequestTooLargeException', `The payload is larger than ${limit} bytes`);
      let event: unknown;
      try {
        event = raw.length ? JSON.parse(raw.toString('utf8')) : {};
      } catch {
        return awsError(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
      }
      if (type === 'DryRun') return reply(res, 204);
      if (type === 'Event') {
        const p: Promise<void> = Promise.resolve()
          .then(() => fn(event))
          .then(
            () => undefined,
            (e) => console.error(JSON.stringify({ level: 'error', msg: 'asynchronous invocation failed', function: name, error: String(e) })),
          )
          .finally(() => running.delete(p));
        running.add(p);
        return reply(res, 202);
      }
      try {
        return reply(res, 200, (await fn(event)) ?? null, { 'x-amz-executed-version': '$LATEST' });
      } catch (e) {
        return reply(res, 200, { errorType: (e as Error)?.name ?? 'Error', errorMessage: String((e as Error)?.message ?? e) }, { 'x-amz-function-error': 'Unhandled' });
      }
    })().catch(() => {
      if (!res.headersSent) awsError(res, 500, 'ServiceException', 'The local job runner failed');
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const idle = async () => {
    while (running.size) await Promise.allSettled([...running]);
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pending: () => running.size,
    idle,
    async stop(graceMs = 15_000) {
      closing = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([idle(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
