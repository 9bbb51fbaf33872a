/** The DynamoDB document client, configured from the environment (a local endpoint in local mode). */
import { DynamoDBClient, ProvisionedThroughputExceededException, ThrottlingException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { WriteConflict } from '#app/ports';
import type { FinalizeRequestMiddleware, MetadataBearer } from '@smithy/types';

export function documentClient(env: Record<string, string | undefined> = process.env): DynamoDBDocumentClient {
  const endpoint = env.DYNAMODB_ENDPOINT;
  const client = new DynamoDBClient({
    ...(endpoint
      ? { endpoint, region: env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    maxAttempts: 4,
  });
  client.middlewareStack.add(faultMiddleware, { step: 'finalizeRequest', priority: 'low', name: 'riskCensusFaultInjection' });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
}

/**
 * Test-only fault injection. Inert (one undefined check per call) until a test calls `injectDynamoFaults`: then the next
 * `count` calls of the listed commands (DynamoDB operation names such as `TransactWriteItems`, `GetItem`; all when omitted)
 * fail with the chosen error as if DynamoDB had answered it. The middleware sits inside the SDK's retry loop, so the SDK's
 * own retries consume injected failures too (a ThrottlingException is retried with backoff; a throttled transaction is not).
 */
export type InjectedFault = 'ThrottlingException' | 'ProvisionedThroughputExceededException' | 'TransactionThrottled';
export interface DynamoFaults {
  error: InjectedFault;
  count: number;
  commands?: string[];
}
let faults: (DynamoFaults & { injected: number }) | undefined;

export function injectDynamoFaults(f: DynamoFaults | undefined): void {
  faults = f ? { ...f, injected: 0 } : undefined;
}

/** How many failures have been injected since the last `injectDynamoFaults`. */
export function injectedDynamoFaults(): number {
  return faults?.injected ?? 0;
}

function faultError(kind: InjectedFault): Error {
  const $metadata = { httpStatusCode: 400 };
  const message = 'injected by a test';
  if (kind === 'ThrottlingException') return new ThrottlingException({ message, $metadata });
  if (kind === 'ProvisionedThroughputExceededException') return new ProvisionedThroughputExceededException({ message, $metadata });
  return new TransactionCanceledException({ message, $metadata, CancellationReasons: [{ Code: 'ThrottlingError', Message: message }] });
}

const faultMiddleware: FinalizeRequestMiddleware<object, MetadataBearer> =
  (next, context) =>
  async (args) => {
    const f = faults;
    if (f && f.injected < f.count) {
      const op = (context.commandName ?? '').replace(/Command$/, '');
      if (!f.commands || f.commands.includes(op)) {
        f.injected++;
        throw faultError(f.error);
      }
    }
    return next(args);
  };

export { decodeCursor, encodeCursor } from '../cursor';

type TransactItems = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>;

/**
 * One TransactWriteItems. Busy items make concurrent transactions cancel each other (TransactionConflict): those are
 * retried with jittered backoff. A failed condition is a real conflict: `onConditionFailed` names it (from the
 * cancellation reasons, in item order), by default a WriteConflict, and it goes back to the use case.
 */
export async function transactWrite(
  db: DynamoDBDocumentClient,
  items: TransactItems,
  onConditionFailed: (reasons: readonly { Code?: string }[]) => Error = () => new WriteConflict(),
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await db.send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (e) {
      if (!(e instanceof TransactionCanceledException || (e as Error).name === 'TransactionCanceledException')) throw e;
      const reasons = (e as TransactionCanceledException).CancellationReasons ?? [];
      if (reasons.some((r) => r.Code === 'ConditionalCheckFailed')) throw onConditionFailed(reasons);
      if (attempt >= 8 || !reasons.some((r) => r.Code === 'TransactionConflict')) throw e;
      await new Promise((res) => setTimeout(res, Math.random() * 20 * 2 ** Math.min(attempt, 5)));
    }
  }
}
