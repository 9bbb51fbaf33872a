/**
 * `node --import tsx bench/backup.ts [--records=100000]`: how long a backup (infra/local/backup-core.ts, what
 * `npm run backup` runs) and a restore take, and how large the backup is, on this machine's disk:
 *   1. the demo district of a fresh `npm start` (its ~580 demo records and their photos);
 *   2. the same DATA_DIR with 100,000 more submissions, seeded through SqliteSubmissionStore.write (record, progress
 *      counter delta and audit entry in one transaction per write, 1,000 writes per commit) straight into its
 *      database file — the counters are then checked against a recount before the backup is measured.
 * Not wired into bench/run.ts; prints its figures (`--json`: also as one JSON line; `--verbose`: the progress lines of
 * the backup and the restore, with the time since each began).
 */
process.env.LOG_LEVEL = 'silent';

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../functions/adapters/sqlite/database';
import { SqliteSubmissionStore } from '../functions/adapters/sqlite/submissions';
import type { HistoryEntry, Submission } from '../functions/app/ports';
import { createBackup, formatBytes, restoreBackup, DATABASE_FILE } from '../infra/local/backup-core';
import { startLocalStack } from '../infra/local/stack';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const RECORDS = Number(arg('records') ?? 100_000);
const BATCH = 1_000;
const STATUSES: Submission['status'][] = ['approved', 'submitted', 'approved', 'draft', 'returned', 'approved'];

const work = mkdtempSync(join(tmpdir(), 'risk-census-bench-backup-'));
const dataDir = join(work, 'data');
const figures: Record<string, number> = {};

function verbose(): ((line: string) => void) | undefined {
  if (!process.argv.includes('--verbose')) return undefined;
  const t0 = performance.now();
  return (line) => console.log(`    [${((performance.now() - t0) / 1000).toFixed(2)} s] ${line.replace(/\n/g, ' ')}`);
}

async function measure(label: string, key: string): Promise<void> {
  const target = join(work, `backup-${key}`);
  const b = await createBackup({ dataDir, target, log: verbose() });
  const restored = join(work, `restored-${key}`);
  const r = await restoreBackup({ source: target, dataDir: restored, log: verbose() });
  figures[`${key}.records`] = b.manifest.records;
  figures[`${key}.files`] = b.manifest.files.length;
  figures[`${key}.backupSeconds`] = Number((b.ms / 1000).toFixed(2));
  figures[`${key}.backupBytes`] = b.bytes;
  figures[`${key}.databaseBytes`] = b.manifest.files.find((f) => f.path === DATABASE_FILE)!.size;
  figures[`${key}.restoreSeconds`] = Number((r.ms / 1000).toFixed(2));
  console.log(
    `${label}: ${b.manifest.records.toLocaleString('en-US')} records, ${b.manifest.files.length.toLocaleString('en-US')} files — ` +
      `backup ${(b.ms / 1000).toFixed(2)} s, ${formatBytes(b.bytes)} (database ${formatBytes(figures[`${key}.databaseBytes`]!)}); restore ${(r.ms / 1000).toFixed(2)} s`,
  );
  rmSync(target, { recursive: true, force: true });
  rmSync(restored, { recursive: true, force: true });
}

/** `records` copies of a demo record (photos dropped) through the store's own write, statuses rotating. */
async function seed(records: number): Promise<void> {
  const db = openDatabase({ file: join(dataDir, DATABASE_FILE) });
  try {
    const row = db.prepare<[], { record: string }>("SELECT record FROM submissions WHERE form_id = 'housing.rural-house' AND status = 'submitted' LIMIT 1").get();
    if (!row) throw new Error('the demo district has no submitted rural house to copy');
    const template = JSON.parse(row.record) as Submission;
    const data = { ...template.data };
    delete data.photos;
    const villages = db
      .prepare<[], { region: string }>('SELECT region FROM regions')
      .all()
      .map((r) => JSON.parse(r.region) as { code: string; level: string })
      .filter((r) => r.level === 'village')
      .map((r) => r.code);
    const store = new SqliteSubmissionStore(db);
    const t0 = performance.now();
    for (let start = 0; start < records; start += BATCH) {
      const writes: Promise<void>[] = [];
      // The store's own transaction runs as a savepoint of this one: one commit per batch.
      db.transaction(() => {
        for (let i = start; i < Math.min(records, start + BATCH); i++) {
          const status = STATUSES[i % STATUSES.length]!;
          const at = new Date().toISOString();
          const next: Submission = {
            ...template,
            id: randomUUID(),
            regionCode: villages[i % villages.length]!,
            status,
            version: 1,
            data: { ...data, building_id: `bench-${i}` },
            attachments: [],
            createdAt: at,
            updatedAt: at,
            lastWrite: { key: randomBytes(32).toString('hex'), by: template.createdBy, status: 201 },
          };
          if (status === 'draft') delete next.submittedAt;
          else next.submittedAt = at;
          const audit: HistoryEntry[] = [{ at, by: template.createdBy, action: 'created', from: null, to: status }];
          writes.push(store.write({ next, expect: { create: true }, counters: { [status]: 1 }, audit }));
        }
      }).immediate();
      await Promise.all(writes);
    }
    console.log(`seeded ${records.toLocaleString('en-US')} submissions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // The counters must equal a recount, as POST /api/admin/reconcile would find.
    const drift = db
      .prepare<[], { n: number }>(
        `WITH counted AS (
           SELECT county, form_id || '#' || region_code AS cell,
                  sum(status = 'draft') AS draft, sum(status = 'submitted') AS submitted, sum(status = 'returned') AS returned,
                  sum(status = 'approved') AS approved, sum(status = 'voided') AS voided
           FROM submissions GROUP BY 1, 2)
         SELECT count(*) AS n FROM counted c LEFT JOIN progress_cells p ON p.county = c.county AND p.cell = c.cell
         WHERE p.cell IS NULL OR p.draft != c.draft OR p.submitted != c.submitted OR p.returned != c.returned OR p.approved != c.approved OR p.voided != c.voided`,
      )
      .get()!.n;
    if (drift !== 0) throw new Error(`${drift} progress cells differ from a recount after seeding`);
    console.log('progress counters equal a recount');
  } finally {
    db.close();
  }
}

try {
  const t0 = performance.now();
  const stack = await startLocalStack({ dataDir, store: 'embedded', demoRecords: true, webRoot: join(work, 'no-web') });
  await stack.stop();
  console.log(`demo district created in ${((performance.now() - t0) / 1000).toFixed(1)} s (${work})`);
  await measure('demo district', 'demo');
  await seed(RECORDS);
  await measure(`demo district + ${RECORDS.toLocaleString('en-US')} submissions`, `records${RECORDS}`);
  if (process.argv.includes('--json')) console.log(JSON.stringify(figures));
} finally {
  rmSync(work, { recursive: true, force: true });
}
