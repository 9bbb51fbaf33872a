/**
 * Directory repository: form versions, regions, members and local users under prefixed keys of one table.
 * Published form versions are immutable, so they are cached in memory for the life of the process.
 */
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { FormDefinition } from '#domain/forms';
import type { Region } from '#domain/regions';
import { isActiveAdmin, LastAdmin, type Boundary, UsernameTaken, WriteConflict, type DirectoryStore, type FormSummary, type FormVersionInfo, type Publication, type JobRecord, type LocalLogin, type Member, type MemberChange } from '#app/ports';
import { formSummary, versionInfo } from '../form-record';
import { storedMember } from '../member-record';
import { DIRECTORY, tableName } from './tables';

const pad = (v: number) => String(v).padStart(4, '0');
const CURRENT_TTL_MS = 30_000;

const ADMIN_COUNT = { pk: 'ADMINS', sk: 'COUNT' } as const;

/** Which items of a cancelled transaction failed their condition (by index), or undefined for another failure. */
function failedConditions(e: unknown): number[] | undefined {
  if ((e as Error)?.name !== 'TransactionCanceledException') return undefined;
  const reasons = (e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  const failed = reasons.flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []));
  return failed.length ? failed : undefined;
}

/** The FORMS item: the summary, with the retired state kept in its own attribute (publishing never clears it). */
function summaryOf(item: Record<string, unknown>): FormSummary {
  const s = item.summary as FormSummary;
  const r = item.retired as Publication | undefined;
  return r ? { ...s, retired: true, retiredAt: r.at, retiredBy: r.by } : s;
}

export class DynamoDirectoryStore implements DirectoryStore {
  private readonly table: string;
  private readonly versions = new Map<string, FormDefinition>();
  private current = new Map<string, { version: number; at: number }>();
  private readonly retired = new Map<string, { retired: boolean; at: number }>();
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
    return items.map(summaryOf).sort((a, b) => a.id.localeCompare(b.id));
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
  async publishForm(def: FormDefinition, published?: Publication): Promise<void> {
    await this.publishItems(def, formSummary(def), published);
    this.current.delete(def.id);
  }

  /**
   * The version item (conditional: an existing version → WriteConflict), the pointer and the summary, in one transaction.
   * The summary is updated, not replaced, so the form's `retired` attribute survives a new version.
   */
  private async publishItems(def: FormDefinition, summary: FormSummary, published: Publication | undefined): Promise<void> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: { pk: `FORM#${def.id}`, sk: `V#${pad(def.version)}`, definition: JSON.stringify(def), ...(published ? { published } : {}) },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            { Put: { TableName: this.table, Item: { pk: `FORM#${def.id}`, sk: 'CURRENT', version: def.version } } },
            {
              Update: {
                TableName: this.table,
                Key: { pk: 'FORMS', sk: def.id },
                UpdateExpression: 'SET summary = :s',
                ExpressionAttributeValues: { ':s': summary },
              },
            },
          ],
        }),
      );
    } catch (e) {
      const reasons = (e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      if ((e as Error).name === 'TransactionCanceledException' && reasons.some((r) => r.Code === 'ConditionalCheckFailed')) throw new WriteConflict();
      throw e;
    }
  }

  async formVersions(formId: string): Promise<FormVersionInfo[]> {
    const items = await this.query(`FORM#${formId}`);
    return items
      .filter((i) => String(i.sk).startsWith('V#'))
      .map((i) => versionInfo(JSON.parse(String(i.definition)) as FormDefinition, i.published as Publication | undefined))
      .sort((a, b) => b.version - a.version);
  }

  async formRetired(formId: string): Promise<boolean> {
    const hit = this.retired.get(formId);
    if (hit && Date.now() - hit.at < CURRENT_TTL_MS) return hit.retired;
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: 'FORMS', sk: formId }, ProjectionExpression: 'retired' }));
    const retired = Boolean(r.Item?.retired);
    this.retired.set(formId, { retired, at: Date.now() });
    return retired;
  }

  async setFormRetired(formId: string, retired: Publication | undefined): Promise<FormSummary | undefined> {
    this.retired.delete(formId);
    try {
      const r = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: 'FORMS', sk: formId },
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression: retired ? 'SET retired = :r' : 'REMOVE retired',
          ...(retired ? { ExpressionAttributeValues: { ':r': { at: retired.at, by: retired.by } } } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return summaryOf(r.Attributes ?? {});
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return undefined;
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

  /**
   * Members: `MEMBER#<id>` / PROFILE (read by every request, consistently), a copy under `MEMBERS` / <id> for the list,
   * the username claim `USERNAME#<name>` / MEMBER, audit entries `MEMBER#<id>` / `HISTORY#<at>#<rand>`, and the count
   * of active administrators (`ADMINS` / COUNT) that guards the last one.
   */
  async member(sub: string): Promise<Member | undefined> {
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `MEMBER#${sub}`, sk: 'PROFILE' }, ConsistentRead: true }));
    return r.Item ? toMember(r.Item) : undefined;
  }

  async memberByUsername(username: string): Promise<Member | undefined> {
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `USERNAME#${username}`, sk: 'MEMBER' }, ConsistentRead: true }));
    return r.Item ? this.member(String(r.Item.userId)) : undefined;
  }

  async members(): Promise<Member[]> {
    const items = await this.query('MEMBERS');
    return items.map(toMember).sort((a, b) => a.username.localeCompare(b.username));
  }

  async putMember(m: Member): Promise<void> {
    const item = storedMember(m);
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.table, Item: { pk: `MEMBER#${m.userId}`, sk: 'PROFILE', ...item } } },
          { Put: { TableName: this.table, Item: { pk: 'MEMBERS', sk: m.userId, ...item } } },
          { Put: { TableName: this.table, Item: { pk: `USERNAME#${m.username}`, sk: 'MEMBER', userId: m.userId } } },
        ],
      }),
    );
    // Seeding and create-admin only: recount the active administrators.
    const admins = (await this.members()).filter(isActiveAdmin).length;
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...ADMIN_COUNT, count: admins } }));
  }

  async createMember(m: Member, change: MemberChange, login?: LocalLogin): Promise<void> {
    const item = storedMember({ ...m, version: 1 });
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      { Put: { TableName: this.table, Item: { pk: `USERNAME#${item.username}`, sk: 'MEMBER', userId: item.userId }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: this.table, Item: { pk: `MEMBER#${item.userId}`, sk: 'PROFILE', ...item }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: this.table, Item: { pk: 'MEMBERS', sk: item.userId, ...item } } },
      { Put: { TableName: this.table, Item: this.historyItem(item.userId, change) } },
    ];
    if (login) items.push({ Put: { TableName: this.table, Item: loginItem(login) } });
    if (isActiveAdmin(item)) items.push(this.adminDelta(+1));
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (e) {
      const failed = failedConditions(e);
      if (failed?.includes(0)) throw new UsernameTaken(item.username);
      if (failed) throw new WriteConflict();
      throw e;
    }
  }

  async updateMember(next: Member, expectVersion: number, change: MemberChange | null, login?: LocalLogin): Promise<void> {
    const item = storedMember(next);
    const before = await this.member(item.userId);
    if (!before || before.version !== expectVersion || before.username !== item.username) throw new WriteConflict();
    const delta = Number(isActiveAdmin(item)) - Number(isActiveAdmin(before));
    if (delta < 0) await this.ensureAdminCount();
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      {
        Put: {
          TableName: this.table,
          Item: { pk: `MEMBER#${item.userId}`, sk: 'PROFILE', ...item },
          // Rows written before members were managed have no version: they are version 1.
          ConditionExpression: 'attribute_exists(pk) AND (version = :v OR (attribute_not_exists(version) AND :v = :one))',
          ExpressionAttributeValues: { ':v': expectVersion, ':one': 1 },
        },
      },
      { Put: { TableName: this.table, Item: { pk: 'MEMBERS', sk: item.userId, ...item } } },
    ];
    if (change) items.push({ Put: { TableName: this.table, Item: this.historyItem(item.userId, change) } });
    if (login) items.push({ Put: { TableName: this.table, Item: loginItem(login) } });
    const guard = items.length;
    if (delta) items.push(this.adminDelta(delta));
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (e) {
      const failed = failedConditions(e);
      if (failed?.includes(0)) throw new WriteConflict();
      if (failed?.includes(guard)) throw new LastAdmin();
      if (failed) throw new WriteConflict();
      throw e;
    }
  }

  async memberHistory(userId: string): Promise<MemberChange[]> {
    const out: MemberChange[] = [];
    let key: Record<string, unknown> | undefined;
    do {
      const r = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
          ExpressionAttributeValues: { ':pk': `MEMBER#${userId}`, ':h': 'HISTORY#' },
          ExclusiveStartKey: key,
          ConsistentRead: true,
        }),
      );
      for (const i of r.Items ?? []) out.push(i.change as MemberChange);
      key = r.LastEvaluatedKey;
    } while (key);
    return out;
  }

  private historyItem(userId: string, change: MemberChange): Record<string, unknown> {
    // ISO timestamps sort in time order; the random tail keeps two changes in one millisecond apart.
    return { pk: `MEMBER#${userId}`, sk: `HISTORY#${change.at}#${randomUUID().slice(0, 8)}`, change };
  }

  /** +1 / −1 on the active-administrator count; a decrement needs another active administrator to remain. */
  private adminDelta(delta: number) {
    return delta > 0
      ? { Update: { TableName: this.table, Key: ADMIN_COUNT, UpdateExpression: 'ADD #c :d', ExpressionAttributeNames: { '#c': 'count' }, ExpressionAttributeValues: { ':d': delta } } }
      : {
          Update: {
            TableName: this.table,
            Key: ADMIN_COUNT,
            UpdateExpression: 'ADD #c :d',
            ConditionExpression: '#c > :one',
            ExpressionAttributeNames: { '#c': 'count' },
            ExpressionAttributeValues: { ':d': delta, ':one': 1 },
          },
        };
  }

  /** A table written before the count existed gets it from a recount (once; a concurrent first count wins). */
  private async ensureAdminCount(): Promise<void> {
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key: ADMIN_COUNT, ConsistentRead: true }));
    if (r.Item) return;
    const admins = (await this.members()).filter(isActiveAdmin).length;
    await this.db
      .send(new PutCommand({ TableName: this.table, Item: { ...ADMIN_COUNT, count: admins }, ConditionExpression: 'attribute_not_exists(pk)' }))
      .catch((e) => {
        if ((e as Error)?.name !== 'ConditionalCheckFailedException') throw e;
      });
  }

  /** Local identity: the login record of a username. */
  async localUser(username: string): Promise<LocalLogin | undefined> {
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `USER#${username}`, sk: 'LOCAL' }, ConsistentRead: true }));
    return r.Item ? toLogin(r.Item) : undefined;
  }

  async putLocalUser(u: LocalLogin): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: loginItem(u) }));
  }

  async localUsers(): Promise<LocalLogin[]> {
    // Local mode only (a small table): members are listed, then their login records read.
    const out: LocalLogin[] = [];
    for (const m of await this.members()) {
      const login = await this.localUser(m.username);
      if (login) out.push(login);
    }
    return out;
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
  /**
   * Boundaries: `BOUNDARIES` / <code>, the geometry gzipped (a binary attribute): a village outline of a few thousand
   * vertices stays well inside DynamoDB's 400 KB item limit.
   */
  async putBoundaries(boundaries: readonly Boundary[]): Promise<void> {
    await batchPut(
      this.db,
      this.table,
      boundaries.map((b) => ({ pk: 'BOUNDARIES', sk: b.code, level: b.level, geometry: gzipSync(JSON.stringify(b.geometry)) })),
    );
  }

  async boundaries(level?: Region['level']): Promise<Boundary[]> {
    const items = await this.query('BOUNDARIES');
    return items
      .filter((i) => !level || i.level === level)
      .map((i) => ({ code: String(i.sk), level: i.level as Region['level'], geometry: JSON.parse(gunzipSync(i.geometry as Uint8Array).toString('utf8')) as Boundary['geometry'] }))
      .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  }
}

function toMember(i: Record<string, unknown>): Member {
  const { pk: _pk, sk: _sk, ...rest } = i;
  return storedMember({ ...(rest as unknown as Member), displayName: String(i.displayName ?? i.username) });
}

function loginItem(u: LocalLogin): Record<string, unknown> {
  return { pk: `USER#${u.username}`, sk: 'LOCAL', ...u };
}

function toLogin(i: Record<string, unknown>): LocalLogin {
  return {
    username: String(i.username ?? String(i.pk).slice('USER#'.length)),
    sub: String(i.sub),
    passwordHash: String(i.passwordHash),
    ...(i.mustChangePassword ? { mustChangePassword: true } : {}),
    ...(typeof i.temporaryUntil === 'string' ? { temporaryUntil: i.temporaryUntil } : {}),
    ...(typeof i.passwordChangedAt === 'string' ? { passwordChangedAt: i.passwordChangedAt } : {}),
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
