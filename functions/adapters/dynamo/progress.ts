/** Progress repository: one item per cell (form, leaf region) under its county; one Query reads a district. */
import { BatchWriteCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { countyOf } from '#domain/regions';
import type { Cell } from '#domain/progress';
import type { ProgressSnapshot, ProgressStore, TargetChange, TargetLogEntry } from '#app/ports';
import { DIRECTORY, PROGRESS, tableEnvVar, tableName } from './tables';

const COUNT_KEYS = ['draft', 'submitted', 'returned', 'approved'] as const;
/** Object counters (objects.ts ObjectCounts): absent on a cell without listed objects. */
const OBJECT_KEYS = ['objects', 'listed', 'surveyed', 'surveyedApproved', 'notRequired'] as const;

export class DynamoProgressStore implements ProgressStore {
  private readonly table: string;
  private readonly directory: string;

  constructor(private readonly db: DynamoDBDocumentClient, env?: Record<string, string | undefined>) {
    this.table = tableName(PROGRESS, env);
    this.directory = tableName(DIRECTORY, env);
  }

  /** getProgressForCounty(county): every cell of the district. Items read = number of cells, whatever the submissions. */
  async cellsForCounty(county: string): Promise<Cell[]> {
    const cells: Cell[] = [];
    let key: Record<string, unknown> | undefined;
    do {
      const r = await this.db.send(
        new QueryCommand({ TableName: this.table, KeyConditionExpression: 'county = :c', ExpressionAttributeValues: { ':c': county }, ExclusiveStartKey: key }),
      );
      for (const it of r.Items ?? []) {
        const [formId, regionCode] = String(it.cell).split('#') as [string, string];
        cells.push({
          formId,
          regionCode,
          target: Number(it.target ?? 0),
          draft: Number(it.draft ?? 0),
          submitted: Number(it.submitted ?? 0),
          returned: Number(it.returned ?? 0),
          approved: Number(it.approved ?? 0),
          ...(it.attestedNone ? { attestedNone: true } : {}),
          ...(Number(it.objects ?? 0)
            ? {
                objects: Number(it.objects),
                listed: Number(it.listed ?? 0),
                surveyed: Number(it.surveyed ?? 0),
                surveyedApproved: Number(it.surveyedApproved ?? 0),
                notRequired: Number(it.notRequired ?? 0),
              }
            : {}),
        });
      }
      key = r.LastEvaluatedKey;
    } while (key);
    return cells;
  }

  /** Set targets of the listed cells only (counters untouched), with a history entry per change; 25 cells per transaction. */
  async setTargets(changes: TargetChange[], by: string, at: string): Promise<void> {
    for (let i = 0; i < changes.length; i += 25) {
      const chunk = changes.slice(i, i + 25);
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: chunk.flatMap((c) => [
            {
              Update: {
                TableName: this.table,
                Key: { county: countyOf(c.regionCode), cell: `${c.formId}#${c.regionCode}` },
                UpdateExpression: 'SET #t = :t, #f = :f, #r = :r, #tu = :at',
                ExpressionAttributeNames: { '#t': 'target', '#f': 'formId', '#r': 'regionCode', '#tu': 'targetUpdatedAt' },
                ExpressionAttributeValues: { ':t': c.target, ':f': c.formId, ':r': c.regionCode, ':at': at },
              },
            },
            {
              Put: {
                TableName: this.directory,
                Item: { pk: `TARGETLOG#${c.formId}#${c.regionCode}`, sk: `${at}#${Math.random().toString(36).slice(2, 8)}`, target: c.target, by, at },
              },
            },
          ]),
        }),
      );
    }
  }

  /**
   * putDailySnapshot(s): directory item `SNAPSHOT#<county>` / `<date>`. Conditional on the stored snapshot having been
   * read no later than this one, so a slow request can never replace newer figures with older ones.
   */
  async putDailySnapshot(snap: ProgressSnapshot): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.directory,
          Item: { pk: `SNAPSHOT#${snap.county}`, sk: snap.date, at: snap.at, total: snap.total, sectors: snap.sectors },
          ConditionExpression: 'attribute_not_exists(pk) OR #at <= :at',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':at': snap.at },
        }),
      );
    } catch (e) {
      if ((e as Error)?.name === 'ConditionalCheckFailedException') return; // a newer snapshot is already stored
      throw e;
    }
  }

  /** listSnapshots(county): one Query on `SNAPSHOT#<county>`, sort keys are dates, so ascending = oldest first. */
  async listSnapshots(county: string): Promise<ProgressSnapshot[]> {
    const out: ProgressSnapshot[] = [];
    let key: Record<string, unknown> | undefined;
    do {
      const r = await this.db.send(
        new QueryCommand({
          TableName: this.directory,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `SNAPSHOT#${county}` },
          ScanIndexForward: true,
          ExclusiveStartKey: key,
        }),
      );
      for (const it of r.Items ?? []) {
        out.push({ county, date: String(it.sk), at: String(it.at), total: it.total as ProgressSnapshot['total'], sectors: (it.sectors as ProgressSnapshot['sectors']) ?? [] });
      }
      key = r.LastEvaluatedKey;
    } while (key);
    return out;
  }

  /**
   * setAttestedNone: SET (or REMOVE) `attestedNone` on the cell, creating it if need be (counters untouched), with a
   * TARGETLOG entry, in one transaction.
   */
  async setAttestedNone(formId: string, regionCode: string, none: boolean, by: string, at: string): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.table,
              Key: { county: countyOf(regionCode), cell: `${formId}#${regionCode}` },
              UpdateExpression: none ? 'SET #a = :t, #f = :f, #r = :r, #au = :at' : 'SET #f = :f, #r = :r, #au = :at REMOVE #a',
              ExpressionAttributeNames: { '#a': 'attestedNone', '#f': 'formId', '#r': 'regionCode', '#au': 'attestedUpdatedAt' },
              ExpressionAttributeValues: { ...(none ? { ':t': true } : {}), ':f': formId, ':r': regionCode, ':at': at },
            },
          },
          {
            Put: {
              TableName: this.directory,
              Item: { pk: `TARGETLOG#${formId}#${regionCode}`, sk: `${at}#${Math.random().toString(36).slice(2, 8)}`, attestedNone: none, by, at },
            },
          },
        ],
      }),
    );
  }

  /** targetHistory(formId, regionCode): one Query of `TARGETLOG#<formId>#<region>`; sort keys start with the time. */
  async targetHistory(formId: string, regionCode: string): Promise<TargetLogEntry[]> {
    const out: TargetLogEntry[] = [];
    let key: Record<string, unknown> | undefined;
    do {
      const r = await this.db.send(
        new QueryCommand({
          TableName: this.directory,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `TARGETLOG#${formId}#${regionCode}` },
          ExclusiveStartKey: key,
        }),
      );
      for (const it of r.Items ?? []) {
        out.push({
          at: String(it.at),
          by: String(it.by),
          ...(typeof it.target === 'number' ? { target: it.target } : {}),
          ...(typeof it.attestedNone === 'boolean' ? { attestedNone: it.attestedNone } : {}),
        });
      }
      key = r.LastEvaluatedKey;
    } while (key);
    return out;
  }

  /** seedTargets: whole cells with targets and zero counters, 25 per batch (seeding a fresh store). */
  async seedTargets(changes: TargetChange[]): Promise<void> {
    await putTargetCells(this.db, changes, { [tableEnvVar(PROGRESS)]: this.table });
  }

  /** Overwrite the status counters of cells (reconcile repair); targets are kept. */
  async setCounts(county: string, cells: Cell[]): Promise<void> {
    for (const c of cells) {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: { county, cell: `${c.formId}#${c.regionCode}` },
                UpdateExpression: `SET ${[...COUNT_KEYS, ...OBJECT_KEYS].map((k) => `#${k} = :${k}`).join(', ')}, #f = :f, #r = :r`,
                ExpressionAttributeNames: { ...Object.fromEntries([...COUNT_KEYS, ...OBJECT_KEYS].map((k) => [`#${k}`, k])), '#f': 'formId', '#r': 'regionCode' },
                ExpressionAttributeValues: {
                  ...Object.fromEntries(COUNT_KEYS.map((k) => [`:${k}`, c[k]])),
                  ...Object.fromEntries(OBJECT_KEYS.map((k) => [`:${k}`, c[k] ?? 0])),
                  ':f': c.formId,
                  ':r': c.regionCode,
                },
              },
            },
          ],
        }),
      );
    }
  }
}

/** Seed helper: write many cells at once (targets only), 25 per batch. */
export async function putTargetCells(db: DynamoDBDocumentClient, changes: TargetChange[], env?: Record<string, string | undefined>) {
  const table = tableName(PROGRESS, env);
  for (let i = 0; i < changes.length; i += 25) {
    const chunk = changes.slice(i, i + 25);
    let req: Record<string, unknown[]> | undefined = {
      [table]: chunk.map((c) => ({
        PutRequest: {
          Item: { county: countyOf(c.regionCode), cell: `${c.formId}#${c.regionCode}`, formId: c.formId, regionCode: c.regionCode, target: c.target, draft: 0, submitted: 0, returned: 0, approved: 0 },
        },
      })),
    };
    while (req && Object.keys(req).length) {
      const r = await db.send(new BatchWriteCommand({ RequestItems: req as never }));
      req = r.UnprocessedItems as Record<string, unknown[]> | undefined;
    }
  }
}
