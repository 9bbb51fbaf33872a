/**
 * The demo records a fresh `npm start` DATA_DIR is seeded with (infra/local/demo-records.ts): a census in progress,
 * made through the use cases. Checked over real HTTP on the embedded store, as the dashboard, the review queue and
 * the briefing show it: emergency done, agriculture's water-drought part done, forestry about half way, housing just
 * started; records in every state; counters that reconcile with the records; the same figures on every fresh seed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cell } from '../../functions/domain/progress';
import { openEmbedded } from '../../infra/local/embedded';
import { seedDemoRecords } from '../../infra/local/demo-records';
import { seed } from '../../infra/local/seed';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { login, type Client } from '../support/stack';

const COUNTY = '420999000000';
const PLACEHOLDERS = ['不详', '无', '未知', '/'];

let stack: LocalStack;
let dataDir: string;
let admin: Client;
let startMs = 0;

beforeAll(async () => {
  process.env.LOG_LEVEL = 'silent';
  dataDir = mkdtempSync(join(tmpdir(), 'risk-census-demo-'));
  const t0 = performance.now();
  // As `npm start` seeds: demo records and the demo geography (outlines, survey lists, assignments), linked.
  stack = await startLocalStack({ dataDir, store: 'embedded', demoRecords: true, demoGeo: true, webRoot: join(dataDir, 'no-web') });
  startMs = performance.now() - t0;
  admin = await login(stack.url, 'admin');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const sectorOf = (body: any, id: string) => body.sectors.find((s: any) => s.sector === id);

/** The cells' figures in a stable order (targets and counts; nothing time-dependent). */
function figures(cells: Cell[]) {
  return cells
    .map((c) => ({ formId: c.formId, regionCode: c.regionCode, target: c.target, draft: c.draft, submitted: c.submitted, returned: c.returned, approved: c.approved }))
    .sort((a, b) => a.formId.localeCompare(b.formId) || a.regionCode.localeCompare(b.regionCode));
}

describe('demo records on a fresh DATA_DIR', () => {
  it('were seeded by the stack (demoRecords: true)', () => {
    expect(stack.seed.seeded).toBe(true);
    expect(stack.seed.records ?? 0).toBeGreaterThan(100);
    console.info(`stack start with demo records: ${(startMs / 1000).toFixed(1)} s, ${stack.seed.records} records`);
  });

  it('show a census in progress on the dashboard', async () => {
    const r = await admin.get(`/api/progress?region=${COUNTY}`);
    expect(r.status).toBe(200);
    const emergency = sectorOf(r.body, 'emergency');
    const agriculture = sectorOf(r.body, 'agriculture');
    const forestry = sectorOf(r.body, 'forestry');
    const housing = sectorOf(r.body, 'housing');
    expect(emergency.total.pct).toBe(100);
    expect(emergency.total.remaining).toBe(0);
    expect(agriculture.parts.find((p: any) => p.part === 'water-drought').total.pct).toBe(100);
    expect(agriculture.parts.find((p: any) => p.part === 'water-drought').total.remaining).toBe(0);
    expect(forestry.total.pct).toBeGreaterThan(20);
    expect(forestry.total.pct).toBeLessThan(80);
    expect(forestry.total.submitted).toBeGreaterThan(0);
    expect(forestry.total.returned).toBeGreaterThan(0);
    expect(housing.total.pct).toBeGreaterThan(0);
    expect(housing.total.pct).toBeLessThan(10);
    expect(housing.total.draft + housing.total.submitted + housing.total.returned + housing.total.approved).toBeLessThan(100);
    console.info(
      'progress: ' +
        r.body.sectors.map((s: any) => `${s.sector} ${s.total.pct}% (${s.total.approved}/${s.total.target}; ${s.parts.map((p: any) => `${p.part} ${p.total.pct}%`).join(', ')})`).join(' · ') +
        ` · total ${r.body.total.pct}%`,
    );
  });

  it('leave work in the forestry review queue', async () => {
    const reviewer = await login(stack.url, 'reviewer-forestry');
    const q = await reviewer.get('/api/review-queue?limit=200');
    expect(q.status).toBe(200);
    expect(q.body.items.length).toBeGreaterThan(0);
    expect(q.body.items.every((s: any) => s.sector === 'forestry' && s.status === 'submitted')).toBe(true);
  });

  it('have records in every state, returned ones with a reviewer note in Chinese', async () => {
    for (const status of ['draft', 'submitted', 'returned', 'approved']) {
      const r = await admin.get(`/api/submissions?status=${status}&limit=200`);
      expect(r.status, status).toBe(200);
      expect(r.body.items.length, status).toBeGreaterThan(0);
      if (status === 'returned') {
        for (const s of r.body.items) expect(s.reviewNote).toMatch(/[\u4e00-\u9fff]{4,}/);
        const one = await admin.get(`/api/submissions/${r.body.items[0].id}`);
        expect(one.status).toBe(200);
        const returned = one.body.history.filter((h: any) => h.action === 'returned');
        expect(returned.length).toBeGreaterThan(0);
        expect(returned.at(-1).note).toBe(r.body.items[0].reviewNote);
      }
    }
  });

  it('reconcile with the records: no drift', async () => {
    const r = await admin.post('/api/admin/reconcile', {});
    expect(r.status).toBe(200);
    expect(r.body.drift).toEqual([]);
    expect(r.body.submissions).toBe(stack.seed.records);
  });

  it('survey listed objects: every live record of an object table names an object that names it back', async () => {
    const forms = (await admin.get('/api/forms')).body as { id: string }[];
    const objectForms: string[] = [];
    for (const f of forms) if ((await admin.get(`/api/forms/${f.id}`)).body.unit === 'object') objectForms.push(f.id);
    const surveyed = new Map<string, string>();
    for (const formId of objectForms) {
      let cursor: string | undefined;
      do {
        const r = await admin.get(`/api/objects?formId=${formId}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        for (const o of r.body.items) if (o.submissionId) surveyed.set(o.submissionId, o.id);
        cursor = r.body.nextCursor ?? undefined;
      } while (cursor);
    }
    let live = 0;
    for await (const page of stack.ports.submissions.scanCounty(COUNTY)) {
      for (const s of page) {
        if (!objectForms.includes(s.formId) || s.status === 'voided') continue;
        live++;
        expect(s.objectId, s.id).toBeDefined();
        expect(surveyed.get(s.id)).toBe(s.objectId);
      }
    }
    expect(live).toBeGreaterThan(100);
    expect(surveyed.size).toBe(live);
    // The outlines are there for the maps.
    const townships = await admin.get('/api/regions/boundaries?level=township');
    expect(townships.body.features).toHaveLength(4);
  });

  it('read as real data: names, places in the district, dates in the past, photos that exist', async () => {
    const today = new Date().toISOString().slice(0, 10);
    let withPhotos: { id: string; attachment: string } | undefined;
    for await (const page of stack.ports.submissions.scanCounty(COUNTY)) {
      for (const s of page) {
        const strings: string[] = [];
        const walk = (v: unknown) => {
          if (typeof v === 'string') strings.push(v);
          else if (Array.isArray(v)) v.forEach(walk);
          else if (v && typeof v === 'object') Object.values(v).forEach(walk);
        };
        walk(s.data);
        for (const v of strings) {
          expect(v, `${s.formId}`).not.toMatch(/示例|某县|某镇|某旗/);
          expect(PLACEHOLDERS, `${s.formId}: ${v}`).not.toContain(v);
        }
        const loc = s.data.location as { lat: number; lng: number } | undefined;
        if (loc) {
          expect(loc.lat, s.formId).toBeGreaterThanOrEqual(30.55);
          expect(loc.lat, s.formId).toBeLessThanOrEqual(30.65);
          expect(loc.lng, s.formId).toBeGreaterThanOrEqual(114.25);
          expect(loc.lng, s.formId).toBeLessThanOrEqual(114.4);
        }
        for (const f of ['fill_date', 'survey_date']) if (typeof s.data[f] === 'string') expect(s.data[f] as string <= today).toBe(true);
        expect(s.createdAt <= s.updatedAt).toBe(true);
        if (!withPhotos && s.status === 'approved' && s.attachments.length) withPhotos = { id: s.id, attachment: s.attachments[0]! };
      }
    }
    expect(withPhotos).toBeDefined();
    const link = await admin.get(`/api/submissions/${withPhotos!.id}/attachments/${withPhotos!.attachment}`);
    expect(link.status).toBe(200);
    const file = await fetch(new URL(link.body.url, stack.url));
    expect(file.status).toBe(200);
    const bytes = new Uint8Array(await file.arrayBuffer());
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
  });

  it('draw a trend over the last weeks', async () => {
    const r = await admin.get(`/api/progress/history?region=${COUNTY}`);
    expect(r.status).toBe(200);
    const pcts = r.body.snapshots.map((s: any) => s.total.pct ?? 0);
    expect(pcts.length).toBeGreaterThan(14);
    for (let i = 1; i < pcts.length; i++) expect(pcts[i]).toBeGreaterThanOrEqual(pcts[i - 1]);
    expect(pcts.at(-1)).toBeGreaterThan(pcts[0]);
  });

  it('read in the briefing', async () => {
    const zh = await admin.get(`/api/briefing?region=${COUNTY}`);
    const en = await admin.get(`/api/briefing?region=${COUNTY}&lang=en`);
    expect(zh.status).toBe(200);
    expect(en.status).toBe(200);
    console.info(`briefing (zh):\n${zh.body.text}\n\nbriefing (en):\n${en.body.text}`);
    for (const s of ['应急系统调查任务已全部完成', '农业农村系统', '水旱灾害部分已完成', '林草系统完成', '住建系统完成']) expect(zh.body.text).toContain(s);
    for (const s of ['emergency system has completed', 'agriculture system', 'forestry system is', 'housing system is']) expect(en.body.text).toContain(s);
    const state = Object.fromEntries(zh.body.sectors.map((s: any) => [s.sector, s.state]));
    expect(state).toEqual({ emergency: 'complete', agriculture: 'in-progress', forestry: 'in-progress', housing: 'in-progress' });
  });

  it('are the same figures on every fresh seed, and quick to make', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'risk-census-demo-2-'));
    const e = openEmbedded(dir);
    try {
      await seed(e.ports);
      const t0 = performance.now();
      const again = await seedDemoRecords(e.ports);
      const ms = performance.now() - t0;
      console.info(`seedDemoRecords: ${again.records} records in ${(ms / 1000).toFixed(2)} s — ${JSON.stringify(again.byStatus)}`);
      expect(again.records).toBe(stack.seed.records);
      expect(Object.values(again.byStatus).reduce((a, b) => a + b, 0)).toBe(again.records);
      expect(figures(await e.ports.progress.cellsForCounty(COUNTY))).toEqual(figures(await stack.ports.progress.cellsForCounty(COUNTY)));
      expect(ms).toBeLessThan(20_000);
    } finally {
      await e.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
