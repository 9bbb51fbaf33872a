/**
 * The endpoints behind the review, dashboard and admin pages, over real HTTP against DynamoDB Local:
 * GET /api/members, GET /api/targets?formId=, the daily progress snapshot kept by GET /api/progress, and
 * GET /api/progress/history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_FORMS } from '../../functions/domain/catalog/index';
import { DEMO_ACCOUNTS, DEMO_REGIONS, demoTarget } from '../../infra/local/demo-district';
import { chinaDate, recordSnapshot } from '../../functions/app/record-snapshot';
import type { Ports } from '../../functions/app/ports';
import { Client, ifMatch, login, newId, startTestStack, type TestStack } from '../support/stack';

const COUNTY = '420999000000';
const T1 = '420999001000';
const V1 = '420999001001';
const RURAL = 'housing.rural-house';

let stack: TestStack;
let admin: Client;
let ports: Ports;
beforeAll(async () => {
  stack = await startTestStack();
  admin = await login(stack.url, 'admin');
  ports = stack.ports;
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

const villages = DEMO_REGIONS.filter((r) => r.level === 'village').map((r) => r.code).sort();
const ruralForm = CATALOG_FORMS.find((f) => f.id === RURAL)!;

/** A valid minimal rural-house record (the contract fields only), submitted by staff-housing. */
async function submitRuralHouse(staff: Client, regionCode = V1): Promise<string> {
  const id = newId();
  const data = { householder: '张三', floors: 2, floor_area: 120.5, year_built: 1998, structure: 'masonry', strengthened: false, location: { lat: 30.5, lng: 114.3 } };
  const r = await staff.put(`/api/submissions/${id}?submit=true`, { formId: RURAL, regionCode, data });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return id;
}

describe('GET /api/members', () => {
  it('lists every member with role, sector and regions for an administrator', async () => {
    const r = await admin.get('/api/members');
    expect(r.status).toBe(200);
    expect(r.body.map((m: { username: string }) => m.username)).toEqual(DEMO_ACCOUNTS.map((a) => a.username).sort());
    const staff = r.body.find((m: { username: string }) => m.username === 'staff-housing');
    expect(staff).toMatchObject({ role: 'staff', sector: 'housing', regions: [T1], displayName: '住建填报员' });
    expect(typeof staff.userId).toBe('string');
    expect(r.body.find((m: { username: string }) => m.username === 'viewer')).toMatchObject({ role: 'viewer', sector: null, regions: [COUNTY] });
  });

  it('gives a reviewer the members of their own sector within their regions, and the administrators by name only', async () => {
    const reviewer = await login(stack.url, 'reviewer-housing');
    const r = await reviewer.get('/api/members');
    expect(r.status).toBe(200);
    expect(r.body.map((m: { username: string }) => m.username).sort()).toEqual(['admin', 'reviewer-housing', 'staff-housing']);
    for (const m of r.body) {
      if (m.role === 'admin') expect(m).not.toHaveProperty('regions');
      else expect(m.regions.length).toBeGreaterThan(0);
    }
  });

  it('refuses staff and viewers (403) and anonymous callers (401)', async () => {
    expect((await (await login(stack.url, 'staff-housing')).get('/api/members')).status).toBe(403);
    expect((await (await login(stack.url, 'viewer')).get('/api/members')).status).toBe(403);
    expect((await new Client(stack.url).get('/api/members')).status).toBe(401);
  });
});

describe('GET /api/targets', () => {
  it('returns one cell per region at the form level with the seeded targets and live counts', async () => {
    const staff = await login(stack.url, 'staff-housing');
    const before = await admin.get(`/api/targets?formId=${RURAL}`);
    expect(before.status).toBe(200);
    expect(before.body.map((c: { regionCode: string }) => c.regionCode)).toEqual(villages);
    for (const c of before.body) {
      const region = DEMO_REGIONS.find((r) => r.code === c.regionCode)!;
      expect(c).toEqual({ formId: RURAL, regionCode: c.regionCode, target: demoTarget(RURAL, c.regionCode, region.level, ruralForm.unit), draft: 0, submitted: 0, returned: 0, approved: 0 });
    }
    await submitRuralHouse(staff);
    const after = await admin.get(`/api/targets?formId=${RURAL}`);
    expect(after.body.find((c: { regionCode: string }) => c.regionCode === V1)).toMatchObject({ submitted: 1, draft: 0 });
  });

  it('reflects PUT /api/targets', async () => {
    const r = await admin.put('/api/targets', { targets: [{ formId: RURAL, regionCode: V1, target: 7 }] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const cells = (await admin.get(`/api/targets?formId=${RURAL}`)).body;
    expect(cells.find((c: { regionCode: string }) => c.regionCode === V1).target).toBe(7);
  });

  it("limits other readers of progress to their own regions; a viewer of the district sees all", async () => {
    const staff = await login(stack.url, 'staff-agriculture');
    const r = await staff.get(`/api/targets?formId=${RURAL}`);
    expect(r.status).toBe(200);
    expect(r.body.map((c: { regionCode: string }) => c.regionCode)).toEqual(villages.filter((v) => v.startsWith('420999001')));
    const viewer = await login(stack.url, 'viewer');
    expect((await viewer.get(`/api/targets?formId=${RURAL}`)).body).toHaveLength(villages.length);
  });

  it('answers 400 without formId or with unknown parameters, 404 for an unknown form, 401 without a token', async () => {
    const missing = await admin.get('/api/targets');
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].path).toBe('formId');
    expect((await admin.get(`/api/targets?formId=${RURAL}&x=1`)).status).toBe(400);
    expect((await admin.get('/api/targets?formId=housing.no-such-table')).status).toBe(404);
    expect((await new Client(stack.url).get(`/api/targets?formId=${RURAL}`)).status).toBe(401);
  });
});

describe('daily progress snapshots', () => {
  it('GET /api/progress for the county upserts one snapshot per day with the unfiltered district and sector totals', async () => {
    const day = chinaDate(new Date());
    let r = await admin.get(`/api/progress?region=${COUNTY}`);
    expect(r.status).toBe(200);
    const progress = r.body;
    let h = await admin.get(`/api/progress/history?region=${COUNTY}`);
    expect(h.status).toBe(200);
    expect(h.body.region.code).toBe(COUNTY);
    const today = h.body.snapshots.at(-1);
    expect([day, chinaDate(new Date())]).toContain(today.date);
    expect(today.total).toEqual(progress.total);
    expect(today.sectors).toEqual(progress.sectors.map((s: { sector: string; total: unknown }) => ({ sector: s.sector, total: s.total })));
    const count = h.body.snapshots.length;

    // An approval, then a sector-filtered read of the county: still one snapshot today, with the new unfiltered totals.
    const staff = await login(stack.url, 'staff-housing');
    const reviewer = await login(stack.url, 'reviewer-housing');
    const id = await submitRuralHouse(staff, '420999001002');
    const version = (await reviewer.get(`/api/submissions/${id}`)).body.version;
    expect((await reviewer.post(`/api/submissions/${id}/review`, { decision: 'approve' }, ifMatch(version))).status).toBe(200);
    r = await admin.get(`/api/progress?region=${COUNTY}&sector=housing`);
    expect(r.status).toBe(200);
    const full = (await admin.get(`/api/progress?region=${COUNTY}`)).body;
    h = await admin.get(`/api/progress/history`);
    expect(h.body.snapshots).toHaveLength(count);
    expect(h.body.snapshots.at(-1).total).toEqual(full.total);
    expect(h.body.snapshots.at(-1).total.approved).toBe(today.total.approved + 1);
    expect(h.body.snapshots.at(-1).sectors.map((s: { sector: string }) => s.sector)).toEqual(['emergency', 'agriculture', 'forestry', 'housing']);
  });

  it('a township read does not touch the snapshot; history is oldest first and never replaced by older figures', async () => {
    const reviewer = await login(stack.url, 'reviewer-housing');
    const before = (await admin.get('/api/progress/history')).body.snapshots;
    expect((await reviewer.get(`/api/progress?region=${T1}`)).status).toBe(200);
    expect((await admin.get('/api/progress/history')).body.snapshots).toEqual(before);

    // Two earlier days recorded through the use case, out of order; the list comes back by date.
    const now = new Date();
    const dayMs = 24 * 60 * 60 * 1000;
    await recordSnapshot(ports, COUNTY, new Date(now.getTime() - 2 * dayMs));
    await recordSnapshot(ports, COUNTY, new Date(now.getTime() - 3 * dayMs));
    const dates = (await admin.get('/api/progress/history')).body.snapshots.map((s: { date: string }) => s.date);
    expect(dates).toHaveLength(before.length + 2);
    expect(dates).toEqual([...dates].sort());
    expect(new Set(dates).size).toBe(dates.length);

    // Figures read earlier than the stored ones do not replace them.
    const report = (await admin.get(`/api/progress?region=${COUNTY}`)).body;
    const latest = (await admin.get('/api/progress/history')).body.snapshots.at(-1);
    const stale = { ...report, total: { ...report.total, approved: 999_999 } };
    await recordSnapshot(ports, COUNTY, new Date(Date.parse(latest.at) - 1000), stale);
    const after = (await admin.get('/api/progress/history')).body.snapshots.at(-1);
    expect(after).toEqual(latest);
    expect(after.total.approved).toBe(report.total.approved);
  });

  it('keeps history per district: 400 for a township code, 404 for a caller who may not read the district', async () => {
    const bad = await admin.get(`/api/progress/history?region=${T1}`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('region');
    expect((await admin.get('/api/progress/history?region=110101000000')).status).toBe(404);
    expect((await admin.get('/api/progress/history?x=1')).status).toBe(400);
    const staff = await login(stack.url, 'staff-housing');
    expect((await staff.get(`/api/progress/history?region=${COUNTY}`)).status).toBe(404);
    const viewer = await login(stack.url, 'viewer');
    expect((await viewer.get('/api/progress/history')).status).toBe(200);
  });
});
