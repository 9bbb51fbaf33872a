/**
 * Submissions repository. Every write (create, update, status change) is one TransactWriteItems holding the submission
 * (conditioned on id/version/status), the progress-cell counter ADD and the audit entries, so counters never drift.
 */
import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { countyOf } from '#domain/regions';
import { SECTOR_IDS, type SectorId } from '#domain/sectors';
import type { Status } from '#domain/workflow';
import { InvalidCursor, MAX_RECORD_BYTES, ObjectTaken, RecordTooLarge, WriteConflict, type HistoryEntry, type ListQuery, type Page, type Submission, type SubmissionStore, type SubmissionWrite } from '#app/ports';
import { AUDIT, OBJECTS, PROGRESS, SUBMISSIONS, tableName } from './tables';
import { objectCounterUpdate } from './objects';
import { decodeCursor, encodeCursor, transactWrite } from './client';

/** Code prefix that selects a region's subtree: county 6 digits, township 9, village 12. */
export function subtreePrefix(code: string): string {
  if (code.endsWith('000000')) return code.slice(0, 6);
  if (code.endsWith('000')) return code.slice(0, 9);
  return code;
}

/** Index attributes derived from the record (never set by callers). */
function indexAttributes(s: Submission) {
  const county = countyOf(s.regionCode);
  return {
    formCounty: `${s.formId}#${county}`,
    sectorCounty: `${s.sector}#${county}`,
    regionUpdated: `${s.regionCode}#${s.updatedAt}#${s.id}`,
    ...(s.status === 'submitted' ? { queueKey: `${s.sector}#${county}`, queueSort: `${s.submittedAt ?? s.updatedAt}#${s.id}` } : {}),
  };
}

const INDEX_ATTRS = ['formCounty', 'sectorCounty', 'regionUpdated', 'queueKey', 'queueSort'];

function fromItem(item: Record<string, unknown>): Submission {
  const out = { ...item };
  for (const k of INDEX_ATTRS) delete out[k];
  return out as unknown as Submission;
}

interface ListCursor {
  /** Index into the list of partitions being read. */
  p: number;
  k?: Record<string, unknown>;
}

export class DynamoSubmissionStore implements SubmissionStore {
  private readonly subs: string;
  private readonly progress: string;
  private readonly audit: string;
  private readonly objects: string;

  constructor(private readonly db: DynamoDBDocumentClient, env?: Record<string, string | undefined>) {
    this.objects = tableName(OBJECTS, env);
    this.subs = tableName(SUBMISSIONS, env);
    this.progress = tableName(PROGRESS, env);
    this.audit = tableName(AUDIT, env);
  }

  /** getSubmission(id) */
  async get(id: string): Promise<Submission | undefined> {
    const r = await this.db.send(new GetCommand({ TableName: this.subs, Key: { id }, ConsistentRead: true }));
    return r.Item ? fromItem(r.Item) : undefined;
  }

  /** The submission, its counter deltas and audit entries in one transaction. */
  async write(w: SubmissionWrite): Promise<void> {
    const s = w.next;
    const item = { ...s, ...indexAttributes(s) };
    const bytes = Buffer.byteLength(JSON.stringify(item), 'utf8');
    if (bytes > MAX_RECORD_BYTES) throw new RecordTooLarge(bytes);
    const condition =
      'create' in w.expect
        ? { ConditionExpression: 'attribute_not_exists(id)' }
        : {
            ConditionExpression: '#v = :v AND #s = :s',
            ExpressionAttributeNames: { '#v': 'version', '#s': 'status' },
            ExpressionAttributeValues: { ':v': w.expect.version, ':s': w.expect.status },
          };
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      { Put: { TableName: this.subs, Item: item, ...condition } },
    ];
    const deltas = Object.entries(w.counters).filter(([, n]) => n !== 0) as [Status, number][];
    if (deltas.length) {
      const names: Record<string, string> = { '#u': 'updatedAt', '#f': 'formId', '#r': 'regionCode' };
      const values: Record<string, unknown> = { ':u': s.updatedAt, ':f': s.formId, ':r': s.regionCode };
      const adds = deltas.map(([status, n], i) => {
        names[`#c${i}`] = status;
        values[`:c${i}`] = n;
        return `#c${i} :c${i}`;
      });
      items.push({
        Update: {
          TableName: this.progress,
          Key: { county: countyOf(s.regionCode), cell: `${s.formId}#${s.regionCode}` },
          UpdateExpression: `SET #u = :u, #f = :f, #r = :r ADD ${adds.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      });
    }
    // The record's object: claimed (pending, named by no record) or released (named by this record) in this transaction.
    let objectIndex = -1;
    if (w.object) {
      const by = w.audit[0]?.by ?? s.createdBy;
      if (w.object.link !== 'keep') {
        objectIndex = items.length;
        items.push({
          Update: {
            TableName: this.objects,
            Key: { id: w.object.id },
            ...(w.object.link === 'claim'
              ? {
                  UpdateExpression: 'SET #st = :surveyed, #sid = :sid, #ua = :at, #ub = :by ADD #v :one',
                  ConditionExpression: 'attribute_exists(id) AND #st = :pending AND attribute_not_exists(#sid)',
                  ExpressionAttributeValues: { ':surveyed': 'surveyed', ':pending': 'pending', ':sid': s.id, ':at': s.updatedAt, ':by': by, ':one': 1 },
                }
              : {
                  UpdateExpression: 'SET #st = :pending, #ua = :at, #ub = :by REMOVE #sid ADD #v :one',
                  ConditionExpression: 'attribute_exists(id) AND #sid = :sid',
                  ExpressionAttributeValues: { ':pending': 'pending', ':sid': s.id, ':at': s.updatedAt, ':by': by, ':one': 1 },
                }),
            ExpressionAttributeNames: { '#st': 'status', '#sid': 'submissionId', '#ua': 'updatedAt', '#ub': 'updatedBy', '#v': 'version' },
          },
        });
      }
      // Objects count in the record's own cell (an object's region is its record's region).
      const counters = objectCounterUpdate(this.progress, s.formId, s.regionCode, w.object.counters, s.updatedAt);
      if (counters) {
        const same = items.findIndex((it) => it.Update?.TableName === this.progress);
        if (same >= 0) mergeUpdate(items[same]!.Update!, counters.Update);
        else items.push(counters);
      }
    }
    w.audit.forEach((a, i) => {
      // Entries of one write keep their order (i); the random part keeps concurrent writers' keys apart.
      const atEvent = `${a.at}#${i}#${Math.random().toString(36).slice(2, 10)}#${a.action}`;
      items.push({ Put: { TableName: this.audit, Item: { entityId: s.id, atEvent, ...a } } });
    });
    // A failed condition of the object's item (and not of the record's own) means the object is taken.
    await transactWrite(this.db, items, (reasons) =>
      objectIndex >= 0 && reasons[objectIndex]?.Code === 'ConditionalCheckFailed' && reasons[0]?.Code !== 'ConditionalCheckFailed' ? new ObjectTaken(w.object!.id) : new WriteConflict(),
    );
  }

  /** history(id): the audit trail of a submission, oldest first. */
  async history(id: string): Promise<HistoryEntry[]> {
    const out: HistoryEntry[] = [];
    let key: Record<string, unknown> | undefined;
    do {
      const r = await this.db.send(
        new QueryCommand({
          TableName: this.audit,
          KeyConditionExpression: 'entityId = :id',
          ExpressionAttributeValues: { ':id': id },
          ExclusiveStartKey: key,
          ConsistentRead: true,
        }),
      );
      for (const i of r.Items ?? []) {
        const { at, by, action, from, to, note } = i as HistoryEntry;
        out.push({ at, by, action, from: from ?? null, to, ...(note ? { note } : {}) });
      }
      key = r.LastEvaluatedKey;
    } while (key);
    return out;
  }

  /**
   * listByForm / listBySector / listByAuthor: one partition (or several region roots) read in order, with filters,
   * until `limit` items are collected. The cursor records the partition and the last item's keys.
   */
  async list(q: ListQuery): Promise<Page<Submission>> {
    const parts: QueryCommandInput[] = [];
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    if (q.status) {
      filters.push('#st = :st');
      names['#st'] = 'status';
      values[':st'] = q.status;
    }
    if (q.createdBy) {
      // Mine: by author, filtered to the caller's visible regions and the requested form.
      if (q.formId) {
        filters.push('formId = :fid');
        values[':fid'] = q.formId;
      }
      if (q.sector) {
        filters.push('sector = :sec');
        values[':sec'] = q.sector;
      }
      const regionFilters = q.regions.map((r, i) => {
        values[`:rp${i}`] = subtreePrefix(r);
        return `begins_with(regionCode, :rp${i})`;
      });
      if (regionFilters.length) filters.push(`(${regionFilters.join(' OR ')})`);
      parts.push({
        TableName: this.subs,
        IndexName: 'byAuthor',
        KeyConditionExpression: 'createdBy = :cb',
        ExpressionAttributeValues: { ':cb': q.createdBy },
      });
    } else {
      for (const region of q.regions) {
        const county = countyOf(region);
        const pk = q.formId ? { attr: 'formCounty', value: `${q.formId}#${county}`, index: 'byFormRegion' } : { attr: 'sectorCounty', value: `${q.sector}#${county}`, index: 'bySectorRegion' };
        parts.push({
          TableName: this.subs,
          IndexName: pk.index,
          KeyConditionExpression: `${pk.attr} = :pk AND begins_with(regionUpdated, :pre)`,
          ExpressionAttributeValues: { ':pk': pk.value, ':pre': subtreePrefix(region) },
        });
      }
    }
    return this.readPages(parts, filters, names, values, q.limit, q.cursor, (it) => ({
      id: it.id,
      ...(q.createdBy ? { createdBy: it.createdBy, updatedAt: it.updatedAt } : q.formId ? { formCounty: it.formCounty, regionUpdated: it.regionUpdated } : { sectorCounty: it.sectorCounty, regionUpdated: it.regionUpdated }),
    }));
  }

  /** listAwaitingReview(sector, county): submitted items, oldest first, from the sparse review-queue index. */
  async listAwaitingReview(q: { sectors: SectorId[]; regions: string[]; formId?: string; cursor?: string; limit: number }): Promise<Page<Submission>> {
    const parts: QueryCommandInput[] = [];
    const counties = [...new Set(q.regions.map(countyOf))];
    for (const sector of q.sectors) {
      for (const county of counties) {
        parts.push({
          TableName: this.subs,
          IndexName: 'reviewQueue',
          KeyConditionExpression: 'queueKey = :q',
          ExpressionAttributeValues: { ':q': `${sector}#${county}` },
        });
      }
    }
    const filters: string[] = [];
    const values: Record<string, unknown> = {};
    const regionFilters = q.regions.map((r, i) => {
      values[`:rp${i}`] = subtreePrefix(r);
      return `begins_with(regionCode, :rp${i})`;
    });
    if (regionFilters.length) filters.push(`(${regionFilters.join(' OR ')})`);
    if (q.formId) {
      filters.push('formId = :fid');
      values[':fid'] = q.formId;
    }
    return this.readPages(parts, filters, {}, values, q.limit, q.cursor, (it) => ({ id: it.id, queueKey: it.queueKey, queueSort: it.queueSort }));
  }

  private async readPages(
    parts: QueryCommandInput[],
    filters: string[],
    names: Record<string, string>,
    values: Record<string, unknown>,
    limit: number,
    cursor: string | undefined,
    keyOf: (item: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<Page<Submission>> {
    const decoded = decodeCursor<ListCursor>(cursor);
    if (cursor !== undefined && (!decoded || typeof decoded !== 'object' || !Number.isInteger(decoded.p) || decoded.p < 0 || decoded.p >= parts.length)) throw new InvalidCursor();
    const pos = decoded ?? { p: 0 };
    const items: Submission[] = [];
    let p = Math.max(0, Math.floor(Number(pos.p) || 0));
    let startKey = pos.k;
    while (p < parts.length) {
      const base = parts[p]!;
      const r = await this.queryPage(cursor, {
          ...base,
          ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
          ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
          ExpressionAttributeValues: { ...base.ExpressionAttributeValues, ...values },
          ExclusiveStartKey: startKey,
          Limit: Math.min(1000, Math.max(limit * 2, 50)),
        });
      for (const it of r.Items ?? []) {
        items.push(fromItem(it));
        if (items.length === limit) {
          const more = r.LastEvaluatedKey !== undefined || p + 1 < parts.length || it !== r.Items![r.Items!.length - 1];
          return { items, nextCursor: more ? encodeCursor({ p, k: keyOf(it) }) : null };
        }
      }
      if (r.LastEvaluatedKey) startKey = r.LastEvaluatedKey;
      else {
        p++;
        startKey = undefined;
      }
    }
    return { items, nextCursor: null };
  }

  /** One Query; DynamoDB answers a start key that does not fit the query with ValidationException: a bad cursor. */
  private async queryPage(cursor: string | undefined, input: QueryCommandInput) {
    try {
      return await this.db.send(new QueryCommand(input));
    } catch (e) {
      if (cursor !== undefined && (e as Error).name === 'ValidationException') throw new InvalidCursor();
      throw e;
    }
  }

  /** scanCounty(county): every submission of a district, page by page (reconcile, exports). */
  async *scanCounty(county: string): AsyncIterable<Submission[]> {
    for (const sector of SECTOR_IDS) {
      let key: Record<string, unknown> | undefined;
      do {
        const r = await this.db.send(
          new QueryCommand({
            TableName: this.subs,
            IndexName: 'bySectorRegion',
            KeyConditionExpression: 'sectorCounty = :pk',
            ExpressionAttributeValues: { ':pk': `${sector}#${county}` },
            ExclusiveStartKey: key,
          }),
        );
        if (r.Items?.length) yield r.Items.map(fromItem);
        key = r.LastEvaluatedKey;
      } while (key);
    }
  }
}

/** Fold the ADDs of `extra` into `target` (one item per key in a transaction): both update the same progress cell. */
function mergeUpdate(target: { UpdateExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> }, extra: { UpdateExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Record<string, unknown> }): void {
  const adds = extra.UpdateExpression.split(' ADD ')[1]!;
  target.UpdateExpression = `${target.UpdateExpression} , ${adds}`.replace(' , ', ', ');
  target.ExpressionAttributeNames = { ...target.ExpressionAttributeNames, ...extra.ExpressionAttributeNames };
  target.ExpressionAttributeValues = { ...target.ExpressionAttributeValues, ...extra.ExpressionAttributeValues };
}
