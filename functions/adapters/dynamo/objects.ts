/**
 * Survey objects on DynamoDB (table OBJECTS, tables.ts). A batch of objects and the object counters of the cells they
 * touch are one TransactWriteItems (at most MAX_OBJECT_BATCH objects plus one counter update per cell); the link of an
 * object to the record that surveys it is part of the record's own transaction (submissions.ts `objectLinkItem`).
 */
import { BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { InvalidCursor, MAX_OBJECT_BATCH, WriteConflict, type ObjectCellDelta, type ObjectQuery, type ObjectStore, type ObjectWrite, type Page } from '#app/ports';
import { mergeCellDeltas, type ObjectCounts, type SurveyObject } from '#domain/objects';
import { countyOf } from '#domain/regions';
import { OBJECTS, PROGRESS, tableName } from './tables';
import { decodeCursor, encodeCursor, transactWrite } from './client';
import { subtreePrefix } from './submissions';

const INDEX_ATTRS = ['formCounty', 'regionKey', 'assigneeKey'] as const;

export function objectItem(o: SurveyObject): Record<string, unknown> {
  return {
    ...o,
    formCounty: `${o.formId}#${countyOf(o.regionCode)}`,
    regionKey: `${o.regionCode}#${o.code}`,
    ...(o.assignee ? { assigneeKey: `${o.formId}#${o.regionCode}#${o.code}` } : {}),
  };
}

export function fromObjectItem(item: Record<string, unknown>): SurveyObject {
  const out = { ...item };
  for (const k of INDEX_ATTRS) delete out[k];
  return out as unknown as SurveyObject;
}

/** The ADD of a cell's object counters, as one transaction item. */
export function objectCounterUpdate(progressTable: string, formId: string, regionCode: string, delta: Partial<ObjectCounts>, at: string) {
  const entries = Object.entries(delta).filter(([, n]) => n);
  if (!entries.length) return undefined;
  const names: Record<string, string> = { '#u': 'updatedAt', '#f': 'formId', '#r': 'regionCode' };
  const values: Record<string, unknown> = { ':u': at, ':f': formId, ':r': regionCode };
  const adds = entries.map(([k, n], i) => {
    names[`#o${i}`] = k;
    values[`:o${i}`] = n;
    return `#o${i} :o${i}`;
  });
  return {
    Update: {
      TableName: progressTable,
      Key: { county: countyOf(regionCode), cell: `${formId}#${regionCode}` },
      UpdateExpression: `SET #u = :u, #f = :f, #r = :r ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

interface Cursor {
  p: number;
  k?: Record<string, unknown>;
}

export class DynamoObjectStore implements ObjectStore {
  private readonly table: string;
  private readonly progress: string;

  constructor(private readonly db: DynamoDBDocumentClient, env?: Record<string, string | undefined>) {
    this.table = tableName(OBJECTS, env);
    this.progress = tableName(PROGRESS, env);
  }

  async get(id: string): Promise<SurveyObject | undefined> {
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key: { id }, ConsistentRead: true }));
    return r.Item ? fromObjectItem(r.Item) : undefined;
  }

  async getMany(ids: readonly string[]): Promise<SurveyObject[]> {
    const unique = [...new Set(ids)];
    const out: SurveyObject[] = [];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((id) => ({ id }));
      for (let attempt = 0; keys?.length; attempt++) {
        const r = await this.db.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }));
        for (const it of r.Responses?.[this.table] ?? []) out.push(fromObjectItem(it));
        keys = r.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined;
        if (keys?.length) await new Promise((res) => setTimeout(res, Math.min(1000, 20 * 2 ** attempt)));
      }
    }
    return out;
  }

  async list(q: ObjectQuery): Promise<Page<SurveyObject>> {
    const total = q.formIds.length * q.regions.length;
    let p = 0;
    let start: Record<string, unknown> | undefined;
    if (q.cursor !== undefined) {
      const pos = decodeCursor<Cursor>(q.cursor);
      if (!pos || typeof pos !== 'object' || !Number.isInteger(pos.p) || pos.p < 0 || pos.p >= total || (pos.k !== undefined && typeof pos.k !== 'object')) throw new InvalidCursor();
      p = pos.p;
      start = pos.k;
    }
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const filters: string[] = [];
    if (q.status) {
      names['#st'] = 'status';
      values[':st'] = q.status;
      filters.push('#st = :st');
    }
    if (q.q) {
      names['#code'] = 'code';
      names['#name'] = 'name';
      values[':q'] = q.q;
      filters.push('(begins_with(#code, :q) OR contains(#name, :q))');
    }
    const items: SurveyObject[] = [];
    for (; p < total; p++, start = undefined) {
      const formId = q.formIds[Math.floor(p / q.regions.length)]!;
      const region = q.regions[p % q.regions.length]!;
      const prefix = subtreePrefix(region);
      const input: QueryCommandInput = q.assignee
        ? {
            TableName: this.table,
            IndexName: 'byAssignee',
            KeyConditionExpression: '#a = :a AND begins_with(#ak, :ak)',
            ExpressionAttributeNames: { ...names, '#a': 'assignee', '#ak': 'assigneeKey' },
            ExpressionAttributeValues: { ...values, ':a': q.assignee, ':ak': `${formId}#${prefix}` },
          }
        : {
            TableName: this.table,
            IndexName: 'byFormRegion',
            KeyConditionExpression: '#fc = :fc AND begins_with(#rk, :rk)',
            ExpressionAttributeNames: { ...names, '#fc': 'formCounty', '#rk': 'regionKey' },
            ExpressionAttributeValues: { ...values, ':fc': `${formId}#${countyOf(region)}`, ':rk': prefix },
          };
      if (filters.length) input.FilterExpression = filters.join(' AND ');
      for (;;) {
        const want = q.limit - items.length;
        const r = await this.db.send(new QueryCommand({ ...input, ExclusiveStartKey: start, Limit: Math.max(want, filters.length ? 200 : 1) }));
        const got = (r.Items ?? []).map(fromObjectItem);
        if (got.length >= want) {
          items.push(...got.slice(0, want));
          const lastItem = got.length > want ? objectItem(got[want - 1]!) : undefined;
          const key = lastItem
            ? Object.fromEntries(Object.entries(lastItem).filter(([k]) => ['id', q.assignee ? 'assignee' : 'formCounty', q.assignee ? 'assigneeKey' : 'regionKey'].includes(k)))
            : r.LastEvaluatedKey;
          const more = key !== undefined || p + 1 < total;
          return { items, nextCursor: more ? encodeCursor(key ? ({ p, k: key } satisfies Cursor) : ({ p: p + 1 } satisfies Cursor)) : null };
        }
        items.push(...got);
        if (!r.LastEvaluatedKey) break;
        start = r.LastEvaluatedKey;
      }
    }
    return { items, nextCursor: null };
  }

  async writeObjects(writes: readonly ObjectWrite[], cells: readonly ObjectCellDelta[]): Promise<void> {
    if (writes.length > MAX_OBJECT_BATCH) throw new Error(`at most ${MAX_OBJECT_BATCH} objects per write`);
    const at = writes[0]?.next.updatedAt ?? new Date().toISOString();
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = writes.map((w) => ({
      Put: {
        TableName: this.table,
        Item: objectItem(w.next),
        ...('create' in w.expect
          ? { ConditionExpression: 'attribute_not_exists(id)' }
          : { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': w.expect.version } }),
      },
    }));
    // A transaction may name an item once: one delta per cell.
    for (const c of mergeCellDeltas(cells)) {
      const u = objectCounterUpdate(this.progress, c.formId, c.regionCode, c.delta, at);
      if (u) items.push(u);
    }
    if (items.length) await transactWrite(this.db, items);
  }
}
