/**
 * Directory repository: form versions, regions, members and local users under prefixed keys of one table.
 * Published form versions are immutable, so they are cached in memory for the life of the process.
 */
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FormDefinition } from '#domain/forms';
import type { Region } from '#domain/regions';
import { WriteConflict, type DirectoryStore, type FormSummary, type JobRecord, type Member } from '#app/ports';
import { DIRECTORY, tableName } from './tables';

const pad = (v: number) => String(v).padStart(4, '0');
const CURRENT_TTL_MS = 30_000;

export interface LocalUser {
  username: string;
  sub: string;
  /** scrypt$N$r$p$salt$hash */
  passwordHash: string;
}

export class DynamoDirectoryStore implements DirectoryStore {
  private readonly table: string;
  private readonly versions = new Map<string, FormDefinition>();
  private current = new Map<string, { version: number; at: number }>();
  private regionCache?: { regions: Region[]; at: number };

  constructor(private readonly db: DynamoDBDocumentClient, env?: Record<string, string | undefined>) {
    this.table = tableName(DIRECTORY, env);
  }

  private async query(pk: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let key: Record<string, unknown> | undefined;
    do {
      const r = await this.db.send(
        new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ExclusiveStartKey: key }),
      );
      out.push(...(r.Items ?? []));
      key = r.LastEvaluatedKey;
    } while (key);
    return out;
  }

  /** listForms(): summaries of the current version of every form. */
  async listForms(): Promise<FormSummary[]> {
    const items = await this.query('FORMS');
    return items.map((i) => i.summary as FormSummary).sort((a, b) => a.id.localeCompare(b.id));
  }

  async currentForm(formId: string): Promise<FormDefinition | undefined> {
    const hit = this.current.get(formId);
    let version = hit && Date.now() - hit.at < CURRENT_TTL_MS ? hit.version : undefined;
    if (version === undefined) {
      const r = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `FORM#${formId}`, sk: 'CURRENT' } }));
      if (!r.Item) return undefined;
      version = Number(r.Item.version);
      this.current.set(formId, { version, at: Date.now() });
    }
    return this.formVersion(formId, version);
  }

  async formVersion(formId: string, version: number): Promise<FormDefinition | undefined> {
    const k = `${formId}@${version}`;
    const cached = this.versions.get(k);
    if (cached) return cached;
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `FORM#${formId}`, sk: `V#${pad(version)}` } }));
    if (!r.Item) return undefined;
    // Checked against the schema and checkDefinition when published; stored versions never change, so no re-parse here
    // (which also keeps the schema library out of every function bundle).
    const def = JSON.parse(String(r.Item.definition)) as FormDefinition;
    this.versions.set(k, def);
    return def;
  }

  /** Publish a version: the version item is written once (never overwritten), then the current pointer and summary move. */
  async publishForm(def: FormDefinition): Promise<void> {
    const summary: FormSummary = { id: def.id, version: def.version, sector: def.sector, part: def.part, title: def.title, regionLevel: def.regionLevel };
    await this.publishItems(def, summary);
    this.current.delete(def.id);
  }

  /** The version item (conditional: an existing version → WriteConflict), the pointer and the summary, in one transaction. */
  private async publishItems(def: FormDefinition, summary: FormSummary): Promise<void> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: { pk: `FORM#${def.id}`, sk: `V#${pad(def.version)}`, definition: JSON.stringify(def) },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            { Put: { TableName: this.table, Item: { pk: `FORM#${def.id}`, sk: 'CURRENT', version: def.version } } },
            { Put: { TableName: this.table, Item: { pk: 'FORMS', sk: def.id, summary } } },
          ],
        }),
      );
    } catch (e) {
      const reasons = (e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      if ((e as Error).name === 'TransactionCanceledException' && reasons.some((r) => r.Code === 'ConditionalCheckFailed')) throw new WriteConflict();
      throw e;
    }
  }

  async regions(): Promise<Region[]> {
    if (this.regionCache && Date.now() - this.regionCache.at < CURRENT_TTL_MS) return this.regionCache.regions;
    const items = await this.query('REGIONS');
    const regions = items.map((i) => ({ code: String(i.sk), name: i.name as Region['name'], level: i.level as Region['level'], parent: (i.parent as string | null) ?? null }));
    this.regionCache = { regions, at: Date.now() };
    return regions;
  }

  async putRegions(regions: Region[]): Promise<void> {
    await batchPut(
      this.db,
      this.table,
      regions.map((r) => ({ pk: 'REGIONS', sk: r.code, name: r.name, level: r.level, parent: r.parent })),
    );
    this.regionCache = undefined;
  }

  /** member(sub): the principal of an identity subject. */
  async member(sub: string): Promise<Member | undefined> {
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `MEMBER#${sub}`, sk: 'PROFILE' } }));
    return r.Item ? toMember(r.Item) : undefined;
  }

  async members(): Promise<Member[]> {
    const items = await this.query('MEMBERS');
    return items.map(toMember).sort((a, b) => a.username.localeCompare(b.username));
  }

  async putMember(m: Member): Promise<void> {
    const item = { userId: m.userId, username: m.username, displayName: m.displayName, role: m.role, sector: m.sector, regions: m.regions };
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.table, Item: { pk: `MEMBER#${m.userId}`, sk: 'PROFILE', ...item } } },
          { Put: { TableName: this.table, Item: { pk: 'MEMBERS', sk: m.userId, ...item } } },
        ],
      }),
    );
  }

  /** Local mode: the login record of a username. */
  async localUser(username: string): Promise<LocalUser | undefined> {
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `USER#${username}`, sk: 'LOCAL' } }));
    return r.Item ? { username, sub: String(r.Item.sub), passwordHash: String(r.Item.passwordHash) } : undefined;
  }

  async putLocalUser(u: LocalUser): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: `USER#${u.username}`, sk: 'LOCAL', sub: u.sub, passwordHash: u.passwordHash } }));
  }

  /** putJob: `EXPORT#<id>` / `IMPORT#<id>` / `UPLOAD#<id>`, sk JOB; the record as one map, TTL on `expiresAt`. */
  async putJob(job: JobRecord, expiresAt: number): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: `${job.kind.toUpperCase()}#${job.id}`, sk: 'JOB', job, expiresAt } }));
  }

  /** getJob(kind, id): consistent read (a job is polled right after it was written); expired items count as gone. */
  async getJob<T extends JobRecord>(kind: JobRecord['kind'], id: string): Promise<T | undefined> {
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `${kind.toUpperCase()}#${id}`, sk: 'JOB' }, ConsistentRead: true }));
    if (!r.Item) return undefined;
    // TTL deletion is lazy (up to days): an expired item is treated as already deleted.
    if (typeof r.Item.expiresAt === 'number' && r.Item.expiresAt * 1000 < Date.now()) return undefined;
    return r.Item.job as T;
  }

  /** getSetting(name): SETTINGS / <name>. */
  async getSetting(name: string): Promise<{ value: unknown; by: string; at: string } | undefined> {
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: 'SETTINGS', sk: name } }));
    return r.Item ? { value: r.Item.value, by: String(r.Item.by), at: String(r.Item.at) } : undefined;
  }

  async putSetting(name: string, value: unknown, by: string, at: string): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: 'SETTINGS', sk: name, value, by, at } }));
  }
}

function toMember(i: Record<string, unknown>): Member {
  return {
    userId: String(i.userId),
    username: String(i.username),
    displayName: String(i.displayName ?? i.username),
    role: i.role as Member['role'],
    sector: (i.sector as Member['sector']) ?? null,
    regions: (i.regions as string[]) ?? [],
  };
}

export async function batchPut(db: DynamoDBDocumentClient, table: string, items: Record<string, unknown>[]) {
  for (let i = 0; i < items.length; i += 25) {
    let req: Record<string, unknown[]> | undefined = { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
    while (req && Object.keys(req).length) {
      const r = await db.send(new BatchWriteCommand({ RequestItems: req as never }));
      req = r.UnprocessedItems as Record<string, unknown[]> | undefined;
    }
  }
}
