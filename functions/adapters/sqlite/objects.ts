/**
 * Survey objects on the embedded database. A batch of objects and the object counters of the cells they touch are one
 * SQLite transaction, as in DynamoDB's TransactWriteItems; the link of an object to the record that surveys it is
 * written in the record's own transaction (submissions.ts).
 *
 * Listings mirror the DynamoDB indexes (functions/adapters/dynamo/objects.ts): by form in the order asked, then region
 * code, then object code; with an assignee, that member's objects in the same order.
 */
import { InvalidCursor, WriteConflict, type ObjectCellDelta, type ObjectQuery, type ObjectStore, type ObjectWrite, type Page } from '#app/ports';
import type { ObjectCounts, SurveyObject } from '#domain/objects';
import { countyOf } from '#domain/regions';
import type { Statement } from 'better-sqlite3';
import { decodeCursor, encodeCursor } from '../cursor';
import { inTransaction, type Db } from './database';
import { subtreePrefix } from './submissions';

interface Cursor {
  p: number;
  k: string;
}

export interface ObjectRow {
  id: string;
  form_id: string;
  region_code: string;
  code: string;
  name: string;
  status: string;
  assignee: string | null;
  version: number;
  record: string;
}

export function objectRow(o: SurveyObject): ObjectRow {
  return {
    id: o.id,
    form_id: o.formId,
    region_code: o.regionCode,
    code: o.code,
    name: o.name,
    status: o.status,
    assignee: o.assignee ?? null,
    version: o.version,
    record: JSON.stringify(o),
  };
}

const COUNTER_COLUMNS: Record<keyof ObjectCounts, string> = {
  objects: 'objects',
  listed: 'listed',
  surveyed: 'surveyed',
  surveyedApproved: 'surveyed_approved',
  notRequired: 'not_required',
};

/** The upsert of a cell's object counters (shared with the submissions store, which moves them with a record). */
export function objectCounterStatement(db: Db) {
  const cols = Object.values(COUNTER_COLUMNS);
  return db.prepare(
    `INSERT INTO progress_cells (county, cell, form_id, region_code, ${cols.join(', ')}, updated_at)
     VALUES (@county, @cell, @form_id, @region_code, ${cols.map((c) => `@${c}`).join(', ')}, @updated_at)
     ON CONFLICT (county, cell) DO UPDATE SET ${cols.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}, updated_at = excluded.updated_at`,
  );
}

export function objectCounterParams(formId: string, regionCode: string, delta: Partial<ObjectCounts>, at: string) {
  const p: Record<string, unknown> = { county: countyOf(regionCode), cell: `${formId}#${regionCode}`, form_id: formId, region_code: regionCode, updated_at: at };
  for (const [k, col] of Object.entries(COUNTER_COLUMNS)) p[col] = delta[k as keyof ObjectCounts] ?? 0;
  return p;
}

export class SqliteObjectStore implements ObjectStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      get: db.prepare<[string], { record: string }>('SELECT record FROM objects WHERE id = ?'),
      insert: db.prepare(
        `INSERT OR IGNORE INTO objects (id, form_id, region_code, code, name, status, assignee, version, record)
         VALUES (@id, @form_id, @region_code, @code, @name, @status, @assignee, @version, @record)`,
      ),
      update: db.prepare(
        `UPDATE objects SET form_id = @form_id, region_code = @region_code, code = @code, name = @name, status = @status,
           assignee = @assignee, version = @version, record = @record
         WHERE id = @id AND version = @expect_version`,
      ),
      counters: objectCounterStatement(db),
    };
  }

  async get(id: string): Promise<SurveyObject | undefined> {
    const row = this.stmts.get.get(id);
    return row ? (JSON.parse(row.record) as SurveyObject) : undefined;
  }

  async getMany(ids: readonly string[]): Promise<SurveyObject[]> {
    const out: SurveyObject[] = [];
    for (const id of new Set(ids)) {
      const row = this.stmts.get.get(id);
      if (row) out.push(JSON.parse(row.record) as SurveyObject);
    }
    return out;
  }

  async list(q: ObjectQuery): Promise<Page<SurveyObject>> {
    let p = 0;
    let last: string | undefined;
    if (q.cursor !== undefined) {
      const pos = decodeCursor<Cursor>(q.cursor);
      const parts = q.formIds.length * q.regions.length;
      if (!pos || typeof pos !== 'object' || !Number.isInteger(pos.p) || pos.p < 0 || pos.p >= parts || typeof pos.k !== 'string') throw new InvalidCursor();
      p = pos.p;
      last = pos.k;
    }
    const filters: string[] = [];
    const params: unknown[] = [];
    if (q.status) {
      filters.push('status = ?');
      params.push(q.status);
    }
    if (q.assignee) {
      filters.push('assignee = ?');
      params.push(q.assignee);
    }
    if (q.q) {
      filters.push("(code LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')");
      const esc = q.q.replace(/[\\%_]/g, (c) => `\\${c}`);
      params.push(`${esc}%`, `%${esc}%`);
    }
    const items: SurveyObject[] = [];
    const total = q.formIds.length * q.regions.length;
    for (; p < total; p++, last = undefined) {
      const formId = q.formIds[Math.floor(p / q.regions.length)]!;
      const prefix = subtreePrefix(q.regions[p % q.regions.length]!);
      const key = "region_code || '#' || code";
      const where = ['form_id = ?', 'region_code >= ?', 'region_code < ?', ...filters, ...(last !== undefined ? [`${key} > ?`] : [])];
      const want = q.limit - items.length;
      const rows = this.prepared(`SELECT record, ${key} AS k FROM objects WHERE ${where.join(' AND ')} ORDER BY region_code, code LIMIT ?`).all(formId, prefix, `${prefix}~`, ...params, ...(last !== undefined ? [last] : []), want + 1);
      for (const r of rows.slice(0, want)) items.push(JSON.parse(r.record) as SurveyObject);
      if (items.length === q.limit) {
        const more = rows.length > want || p + 1 < total;
        return { items, nextCursor: more ? encodeCursor({ p, k: rows[want - 1]!.k } satisfies Cursor) : null };
      }
    }
    return { items, nextCursor: null };
  }

  /** Listing statements vary with the filters given; the few shapes that occur are each prepared once. */
  private readonly listStatements = new Map<string, Statement<unknown[], { record: string; k: string }>>();
  private prepared(sql: string) {
    let st = this.listStatements.get(sql);
    if (!st) {
      st = this.db.prepare<unknown[], { record: string; k: string }>(sql);
      this.listStatements.set(sql, st);
    }
    return st;
  }

  async writeObjects(writes: readonly ObjectWrite[], cells: readonly ObjectCellDelta[]): Promise<void> {
    const at = writes[0]?.next.updatedAt ?? new Date().toISOString();
    inTransaction(this.db, () => {
      for (const w of writes) {
        const row = objectRow(w.next);
        const changed = 'create' in w.expect ? this.stmts.insert.run(row).changes : this.stmts.update.run({ ...row, expect_version: w.expect.version }).changes;
        if (changed !== 1) throw new WriteConflict();
      }
      for (const c of cells) {
        if (Object.values(c.delta).some((n) => n)) this.stmts.counters.run(objectCounterParams(c.formId, c.regionCode, c.delta, at));
      }
    });
  }
}
