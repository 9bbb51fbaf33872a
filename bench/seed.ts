/**
 * Submissions in bulk, in the submissions store's own item shape, so a seeded record is exactly what the API would have
 * written. Used by the benchmarks and by the export-scale test.
 *  - DynamoDB: DynamoSubmissionStore.write is run against a client that captures its TransactWriteItems instead of
 *    sending it, and the captured items are sent raw (one transaction each, or the submission items alone through
 *    BatchWriteItem — ~10× faster, for seeding).
 *  - Embedded: SqliteSubmissionStore.write itself (record + counter + audit) on a second connection to the server's
 *    database file (WAL lets the bench write beside the server), many writes per commit: each write's own transaction
 *    becomes a savepoint of the batch's, so the progress counters come out right without a separate step.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { BatchWriteCommand, TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { DynamoProgressStore } from '../functions/adapters/dynamo/progress';
import { DynamoSubmissionStore } from '../functions/adapters/dynamo/submissions';
import { SUBMISSIONS, tableName } from '../functions/adapters/dynamo/tables';
import type { HistoryEntry, Submission } from '../functions/app/ports';
import type { Cell } from '../functions/domain/progress';
import { countyOf } from '../functions/domain/regions';
import { openDatabase } from '../functions/adapters/sqlite/database';
import { SqliteSubmissionStore } from '../functions/adapters/sqlite/submissions';

/** The TransactWriteItems input DynamoSubmissionStore.write would send for a create+submit of `next` (captured, not sent). */
export async function transactionFor(env: Record<string, string>, next: Submission, audit: HistoryEntry[], counters: Submission['status'][] = ['submitted']): Promise<TransactWriteCommandInput> {
  let captured: TransactWriteCommandInput | undefined;
  const fake = { send: async (cmd: TransactWriteCommand) => void (captured = cmd.input) } as unknown as DynamoDBDocumentClient;
  await new DynamoSubmissionStore(fake, env).write({ next, expect: { create: true }, counters: Object.fromEntries(counters.map((c) => [c, 1])), audit });
  return captured!;
}

/** A create+submit like the API's, from a template submission (an API response), under a new id and region. */
export function nextFrom(template: Submission, region: string, by: string, status: Submission['status'] = 'submitted'): { next: Submission; audit: HistoryEntry[] } {
  const at = new Date().toISOString();
  const next: Submission = {
    ...template,
    id: randomUUID(),
    regionCode: region,
    status,
    version: 1,
    createdBy: by,
    createdAt: at,
    updatedAt: at,
    ...(status === 'submitted' ? { submittedAt: at } : {}),
    lastWrite: { key: randomBytes(32).toString('hex'), by, status: 201 },
  };
  if (status !== 'submitted') delete next.submittedAt;
  const audit: HistoryEntry[] = [{ at, by, action: 'created', from: null, to: 'draft' }];
  if (status === 'submitted') audit.push({ at, by, action: 'submitted', from: 'draft', to: 'submitted' });
  return { next, audit };
}

export interface SeedOptions {
  env: Record<string, string>;
  db: DynamoDBDocumentClient;
  /** A submission made through the API; every seeded one is a copy under a new id, region and status. */
  template: Submission;
  /** The user the copies are created by. */
  by: string;
  /** Numbers of the copies to make: [from, to). */
  from: number;
  to: number;
  /** The regions the copies rotate through. */
  regions: readonly string[];
  /** The answers of copy i (default: the template's). */
  data?: (i: number) => Record<string, unknown>;
  /** Progress cells, updated with every copy (`formId#region` → cell); write them with `writeCounts`. */
  counts: Map<string, Cell>;
}

/** Statuses the copies rotate through: half approved, none voided (every copy is in a default export). */
export const STATUS_ROTATION: Submission['status'][] = ['approved', 'submitted', 'approved', 'draft', 'returned', 'approved'];

/**
 * Seeds submissions straight into the table: BatchWriteItem of the store's own submission items (no audit entries;
 * unprocessed items are resent), 8 batches in flight. The counters are only tallied in `counts`.
 */
export async function seedSubmissions(o: SeedOptions): Promise<void> {
  const table = tableName(SUBMISSIONS, o.env);
  const make = async (i: number) => {
    const status = STATUS_ROTATION[i % STATUS_ROTATION.length]!;
    const region = o.regions[i % o.regions.length]!;
    const template = o.data ? { ...o.template, data: o.data(i) } : o.template;
    const { next, audit } = nextFrom(template, region, o.by, status === 'draft' || status === 'submitted' ? status : 'submitted');
    next.status = status;
    const input = await transactionFor(o.env, next, audit.slice(0, 1), [status]);
    const key = `${template.formId}#${region}`;
    const c = o.counts.get(key) ?? { formId: template.formId, regionCode: region, target: 0, draft: 0, submitted: 0, returned: 0, approved: 0 };
    if (status !== 'voided') c[status] += 1;
    o.counts.set(key, c);
    return input.TransactItems![0]!.Put!.Item as Record<string, unknown>;
  };
  let next = o.from;
  const worker = async () => {
    while (next < o.to) {
      const start = next;
      next = Math.min(o.to, next + 25);
      const items = await Promise.all(Array.from({ length: next - start }, (_, k) => make(start + k)));
      let req: Record<string, unknown[]> | undefined = { [table]: items.map((Item) => ({ PutRequest: { Item } })) };
      while (req && Object.keys(req).length) {
        const r = await o.db.send(new BatchWriteCommand({ RequestItems: req as never }));
        req = r.UnprocessedItems as Record<string, unknown[]> | undefined;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Sets the progress counters of the cells tallied by `seedSubmissions` (per county). */
export async function writeCounts(env: Record<string, string>, db: DynamoDBDocumentClient, counts: Map<string, Cell>): Promise<void> {
  const byCounty = new Map<string, Cell[]>();
  for (const c of counts.values()) byCounty.set(countyOf(c.regionCode), [...(byCounty.get(countyOf(c.regionCode)) ?? []), c]);
  const store = new DynamoProgressStore(db, env);
  for (const [county, cells] of byCounty) await store.setCounts(county, cells);
}

export interface EmbeddedSeedOptions {
  /** The server's database file (DATA_DIR/census.db). */
  dbFile: string;
  template: Submission;
  by: string;
  /** Numbers of the copies to make: [from, to). */
  from: number;
  to: number;
  regions: readonly string[];
  data?: (i: number) => Record<string, unknown>;
  /** Writes per commit (default 1,000). */
  batch?: number;
}

/**
 * Seeds submissions through SqliteSubmissionStore.write — the record, its progress-counter delta and its `created` audit
 * entry — `batch` writes per commit, statuses rotating as in `seedSubmissions`. Returns the number written.
 */
export async function seedEmbedded(o: EmbeddedSeedOptions): Promise<number> {
  const db = openDatabase({ file: o.dbFile });
  try {
    const store = new SqliteSubmissionStore(db);
    const batch = o.batch ?? 1_000;
    for (let start = o.from; start < o.to; start += batch) {
      const end = Math.min(o.to, start + batch);
      const writes: Promise<void>[] = [];
      // better-sqlite3 runs the store's (synchronous) transaction inside this one as a savepoint; write() does all its
      // work before it returns its promise, so the writes are in the batch's commit.
      db.transaction(() => {
        for (let i = start; i < end; i++) {
          const status = STATUS_ROTATION[i % STATUS_ROTATION.length]!;
          const template = o.data ? { ...o.template, data: o.data(i) } : o.template;
          const { next, audit } = nextFrom(template, o.regions[i % o.regions.length]!, o.by, status === 'draft' || status === 'submitted' ? status : 'submitted');
          next.status = status;
          writes.push(store.write({ next, expect: { create: true }, counters: { [status]: 1 }, audit: audit.slice(0, 1) }));
        }
      }).immediate();
      await Promise.all(writes);
      // Let the event loop turn between batches (timers, sockets: an HTTP client's keep-alive bookkeeping).
      await new Promise((r) => setImmediate(r));
    }
    return o.to - o.from;
  } finally {
    db.close();
  }
}
