/** Progress repository on the embedded database: one row per cell (form, leaf region) under its county. */
import { countyOf } from '#domain/regions';
import type { Cell } from '#domain/progress';
import type { ProgressSnapshot, ProgressStore, TargetChange, TargetLogEntry } from '#app/ports';
import { inTransaction, type Db } from './database';

interface CellRow {
  form_id: string;
  region_code: string;
  target: number;
  draft: number;
  submitted: number;
  returned: number;
  approved: number;
  attested_none: number;
  objects: number;
  listed: number;
  surveyed: number;
  surveyed_approved: number;
  not_required: number;
}

export class SqliteProgressStore implements ProgressStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      cells: db.prepare<[string], CellRow>(
        'SELECT form_id, region_code, target, draft, submitted, returned, approved, attested_none, objects, listed, surveyed, surveyed_approved, not_required FROM progress_cells WHERE county = ? ORDER BY cell',
      ),
      setTarget: db.prepare(
        `INSERT INTO progress_cells (county, cell, form_id, region_code, target) VALUES (@county, @cell, @form_id, @region_code, @target)
         ON CONFLICT (county, cell) DO UPDATE SET target = excluded.target`,
      ),
      seedCell: db.prepare(
        `INSERT OR REPLACE INTO progress_cells (county, cell, form_id, region_code, target) VALUES (@county, @cell, @form_id, @region_code, @target)`,
      ),
      attest: db.prepare(
        `INSERT INTO progress_cells (county, cell, form_id, region_code, attested_none) VALUES (@county, @cell, @form_id, @region_code, @none)
         ON CONFLICT (county, cell) DO UPDATE SET attested_none = excluded.attested_none`,
      ),
      log: db.prepare('INSERT INTO target_log (form_id, region_code, at, entry) VALUES (?, ?, ?, ?)'),
      history: db.prepare<[string, string], { entry: string }>('SELECT entry FROM target_log WHERE form_id = ? AND region_code = ? ORDER BY at, seq'),
      putSnapshot: db.prepare(
        `INSERT INTO snapshots (county, date, at, snapshot) VALUES (?, ?, ?, ?)
         ON CONFLICT (county, date) DO UPDATE SET at = excluded.at, snapshot = excluded.snapshot WHERE excluded.at >= snapshots.at`,
      ),
      snapshots: db.prepare<[string], { date: string; at: string; snapshot: string }>('SELECT date, at, snapshot FROM snapshots WHERE county = ? ORDER BY date'),
      setCounts: db.prepare(
        `INSERT INTO progress_cells (county, cell, form_id, region_code, draft, submitted, returned, approved, objects, listed, surveyed, surveyed_approved, not_required)
         VALUES (@county, @cell, @form_id, @region_code, @draft, @submitted, @returned, @approved, @objects, @listed, @surveyed, @surveyed_approved, @not_required)
         ON CONFLICT (county, cell) DO UPDATE SET draft = excluded.draft, submitted = excluded.submitted, returned = excluded.returned, approved = excluded.approved,
           objects = excluded.objects, listed = excluded.listed, surveyed = excluded.surveyed, surveyed_approved = excluded.surveyed_approved, not_required = excluded.not_required`,
      ),
    };
  }

  private key(formId: string, regionCode: string) {
    return { county: countyOf(regionCode), cell: `${formId}#${regionCode}`, form_id: formId, region_code: regionCode };
  }

  /** getProgressForCounty(county): every cell of the district in one indexed read. */
  async cellsForCounty(county: string): Promise<Cell[]> {
    return this.stmts.cells.all(county).map((r) => ({
      formId: r.form_id,
      regionCode: r.region_code,
      target: r.target,
      draft: r.draft,
      submitted: r.submitted,
      returned: r.returned,
      approved: r.approved,
      ...(r.attested_none ? { attestedNone: true } : {}),
      ...(r.objects
        ? { objects: r.objects, listed: r.listed, surveyed: r.surveyed, surveyedApproved: r.surveyed_approved, notRequired: r.not_required }
        : {}),
    }));
  }

  /** Set targets of the listed cells only (counters untouched), with a history entry per change, all in one transaction. */
  async setTargets(changes: TargetChange[], by: string, at: string): Promise<void> {
    inTransaction(this.db, () => {
      for (const c of changes) {
        this.stmts.setTarget.run({ ...this.key(c.formId, c.regionCode), target: c.target });
        this.stmts.log.run(c.formId, c.regionCode, at, JSON.stringify({ at, by, target: c.target } satisfies TargetLogEntry));
      }
    });
  }

  /** seedTargets: whole cells with targets and zero counters (a fresh store), in one transaction. */
  async seedTargets(changes: TargetChange[]): Promise<void> {
    inTransaction(this.db, () => {
      for (const c of changes) this.stmts.seedCell.run({ ...this.key(c.formId, c.regionCode), target: c.target });
    });
  }

  /** putDailySnapshot: upsert unless the stored snapshot was read later (then nothing changes). */
  async putDailySnapshot(s: ProgressSnapshot): Promise<void> {
    this.stmts.putSnapshot.run(s.county, s.date, s.at, JSON.stringify({ total: s.total, sectors: s.sectors }));
  }

  async listSnapshots(county: string): Promise<ProgressSnapshot[]> {
    return this.stmts.snapshots.all(county).map((r) => {
      const { total, sectors } = JSON.parse(r.snapshot) as Pick<ProgressSnapshot, 'total' | 'sectors'>;
      return { county, date: r.date, at: r.at, total, sectors: sectors ?? [] };
    });
  }

  /** setAttestedNone: set or clear the cell's attestation (creating the cell if need be) and log it, in one transaction. */
  async setAttestedNone(formId: string, regionCode: string, none: boolean, by: string, at: string): Promise<void> {
    inTransaction(this.db, () => {
      this.stmts.attest.run({ ...this.key(formId, regionCode), none: none ? 1 : 0 });
      this.stmts.log.run(formId, regionCode, at, JSON.stringify({ at, by, attestedNone: none } satisfies TargetLogEntry));
    });
  }

  async targetHistory(formId: string, regionCode: string): Promise<TargetLogEntry[]> {
    return this.stmts.history.all(formId, regionCode).map(({ entry }) => {
      const e = JSON.parse(entry) as TargetLogEntry;
      return {
        at: e.at,
        by: e.by,
        ...(typeof e.target === 'number' ? { target: e.target } : {}),
        ...(typeof e.attestedNone === 'boolean' ? { attestedNone: e.attestedNone } : {}),
      };
    });
  }

  /** Overwrite the status and object counters of cells (reconcile repair); targets are kept. */
  async setCounts(county: string, cells: Cell[]): Promise<void> {
    inTransaction(this.db, () => {
      for (const c of cells) {
        this.stmts.setCounts.run({
          county,
          cell: `${c.formId}#${c.regionCode}`,
          form_id: c.formId,
          region_code: c.regionCode,
          draft: c.draft,
          submitted: c.submitted,
          returned: c.returned,
          approved: c.approved,
          objects: c.objects ?? 0,
          listed: c.listed ?? 0,
          surveyed: c.surveyed ?? 0,
          surveyed_approved: c.surveyedApproved ?? 0,
          not_required: c.notRequired ?? 0,
        });
      }
    });
  }
}
