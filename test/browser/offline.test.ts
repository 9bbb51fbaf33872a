/**
 * Field work offline, in a real browser: staff of the housing sector load the app once online, lose the network, fill
 * and submit 20 records across two forms (5 with photos), reload the page while still offline (the service worker
 * serves the app, IndexedDB still holds all 20), and get the network back: exactly those 20 reach the server, once
 * each, photos attached. Then the outbox under a network that comes and goes during sync, a server answering 503 for a
 * while, and a reviewer's return that crosses an offline edit (a conflict shown to the user, not overwritten).
 *
 * Printed, not asserted: the device storage 20 records with photos take, and the time from reconnect to fully synced.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { axeViolations, launchBrowser, screenshot, signIn, startWebStack } from './support';
import { ifMatch, login, newId, type Client, type TestStack } from '../support/stack';

let stack: TestStack;
let browser: Browser;
beforeAll(async () => {
  [stack, browser] = await Promise.all([startWebStack(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const VILLAGE = '420999001001';
const VILLAGE2 = '420999001002';
const HOUSE = 'housing.rural-house';
const NONRES = 'housing.rural-nonresidential';

/** A photo-sized payload (a JPEG header and ~200 KB of noise; the server checks type and size, not pixels). */
function photo(i: number): Buffer {
  const b = Buffer.alloc(200 * 1024);
  let x = 0x9e3779b9 ^ i;
  for (let k = 0; k < b.length; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[k] = x & 0xff;
  }
  b.set([0xff, 0xd8, 0xff, 0xe0], 0);
  b.set([0xff, 0xd9], b.length - 2);
  return b;
}

/** A small seeded generator, so a failing run of the "random moments" can be replayed (the seed is printed). */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function syncStatus(page: Page) {
  return page.getByTestId('sync-status');
}

async function unsent(page: Page): Promise<number> {
  return Number(await syncStatus(page).getAttribute('data-unsent'));
}

/** Signed in, the service worker in control and the forms and regions fetched through it. */
async function readyOffline(context: BrowserContext, username = 'staff-housing'): Promise<Page> {
  const page = await signIn(context, stack.url, username);
  await expect.poll(() => syncStatus(page).getAttribute('data-ready'), { timeout: 20_000 }).toBe('true');
  return page;
}

/** The id the fill page gave the new record (different from the previous one). */
async function newRecordId(page: Page, previous: string | null): Promise<string> {
  await page.waitForURL((u) => {
    const id = u.searchParams.get('id');
    return !!id && id !== previous;
  });
  return new URL(page.url()).searchParams.get('id')!;
}

async function submitAndConfirmQueued(page: Page) {
  await page.getByRole('button', { name: '提交', exact: true }).click();
  await page.getByRole('status').filter({ hasText: '已保存在本设备，等待提交' }).waitFor();
}

async function fillHouse(page: Page, i: number, previous: string | null): Promise<string> {
  const id = await newRecordId(page, previous);
  const name = page.getByLabel('户主姓名');
  await name.waitFor();
  await name.fill(`离线户主${i}`);
  await page.getByLabel(/^层数/).fill('2');
  await page.getByLabel(/^建筑面积/).fill(String(100 + i));
  await page.getByLabel(/^建成时间/).fill('2006');
  await page.getByLabel(/^结构类型/).selectOption('masonry');
  await page.getByRole('group', { name: /是否进行过抗震加固/ }).getByLabel('否').check();
  await page.getByLabel('纬度').fill('30.5928');
  await page.getByLabel('经度').fill('114.3055');
  await submitAndConfirmQueued(page);
  return id;
}

async function fillNonResidential(page: Page, i: number, previous: string | null): Promise<string> {
  const id = await newRecordId(page, previous);
  const name = page.getByLabel(/^建筑名称/);
  await name.waitFor();
  await name.fill(`村委会办公楼${i}`);
  await page.getByLabel(/^房屋地址/).fill(`二组${i}号`);
  await page.getByLabel(/^建筑用途/).selectOption('office');
  await page.getByLabel('纬度').fill('30.6');
  await page.getByLabel('经度').fill('114.31');
  await page.getByLabel(/^层数/).fill('2');
  await page.getByLabel(/^建筑高度/).fill('7.2');
  await page.getByLabel(/^建筑面积/).fill(String(300 + i));
  await page.getByLabel(/^建成时间/).fill('2008');
  await page.getByLabel(/^结构类型/).selectOption('masonry');
  await page.getByRole('group', { name: /^建造方式/ }).getByLabel('自行建造').check();
  await page.getByRole('group', { name: /是否进行过抗震加固/ }).getByLabel('否').check();
  await page.getByRole('group', { name: /有无肉眼可见的明显裂缝/ }).getByLabel('否').check();
  const photos = page.getByRole('group', { name: /房屋照片/ });
  await photos.getByLabel('选择或拍摄照片').setInputFiles({ name: `现场${i}.jpg`, mimeType: 'image/jpeg', buffer: photo(i) });
  await photos.getByRole('img', { name: '照片 1' }).waitFor();
  await submitAndConfirmQueued(page);
  return id;
}

/** Fill `houses` rural houses and `withPhotos` non-residential buildings (each with a photo), all offline. */
async function fillOffline(page: Page, houses: number, withPhotos: number): Promise<string[]> {
  const ids: string[] = [];
  await page.goto(`${stack.url}/fill/${HOUSE}?region=${VILLAGE}`);
  let prev: string | null = null;
  for (let i = 0; i < houses; i++) {
    if (i > 0) await page.getByRole('link', { name: '再填一份' }).click();
    prev = await fillHouse(page, i, prev);
    ids.push(prev);
  }
  await page.goto(`${stack.url}/fill/${NONRES}?region=${VILLAGE2}`);
  for (let i = 0; i < withPhotos; i++) {
    if (i > 0) await page.getByRole('link', { name: '再填一份' }).click();
    prev = await fillNonResidential(page, i, prev);
    ids.push(prev);
  }
  return ids;
}

async function mine(c: Client): Promise<{ id: string; formId: string; status: string; data: Record<string, unknown>; attachments?: string[] }[]> {
  const r = await c.get('/api/submissions?mine=true&limit=200');
  expect(r.status).toBe(200);
  expect(r.body.nextCursor).toBeNull();
  return r.body.items;
}

async function expectExactlyOnServer(c: Client, ids: string[], before: Set<string>) {
  const items = await mine(c);
  const fresh = items.filter((s) => !before.has(s.id));
  expect(fresh.map((s) => s.id).sort()).toEqual([...ids].sort());
  expect(new Set(fresh.map((s) => s.id)).size).toBe(fresh.length);
  for (const s of fresh) expect(s.status).toBe('submitted');
  return fresh;
}

async function expectNoDrift() {
  const admin = await login(stack.url, 'admin');
  const r = await admin.post('/api/admin/reconcile', {});
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.drift).toEqual([]);
}

async function storageUsage(page: Page): Promise<number> {
  return page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
}

describe('offline field work', () => {
  it('20 records (5 with photos) filled offline survive a reload and reach the server exactly once, photos attached', async () => {
    const staff = await login(stack.url, 'staff-housing');
    const before = new Set((await mine(staff)).map((s) => s.id));
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    const page = await readyOffline(context);
    const usageBefore = await storageUsage(page);
    // Installable: the page names its manifest, and the manifest its start page and icons.
    const manifestUrl = await page.evaluate(() => document.querySelector<HTMLLinkElement>('link[rel="manifest"]')?.href ?? '');
    const manifest = await (await fetch(manifestUrl)).json();
    expect(manifest.start_url).toBe('/');
    expect(manifest.display).toBe('standalone');
    for (const icon of manifest.icons as { src: string }[]) expect((await fetch(new URL(icon.src, stack.url))).status).toBe(200);

    await context.setOffline(true);
    const ids = await fillOffline(page, 15, 5);
    expect(new Set(ids).size).toBe(20);
    await expect.poll(() => unsent(page)).toBe(20);
    // Nothing has reached the server.
    expect((await mine(staff)).filter((s) => !before.has(s.id))).toEqual([]);

    // Reload while still offline: the service worker serves the app, IndexedDB still holds all 20.
    await page.reload();
    await syncStatus(page).waitFor();
    await expect.poll(() => unsent(page)).toBe(20);
    await syncStatus(page).getByRole('button', { name: /待发送 20 条/ }).click();
    const panel = page.getByRole('region', { name: '同步状态' });
    await expect.poll(() => panel.locator('li[data-state="waiting"]').count()).toBe(20);
    expect(await panel.innerText()).toContain('离线');
    // Whether the browser keeps the storage is shown (headless Chromium answers either way).
    expect(await panel.innerText()).toMatch(/已获准持久保存|未获准持久保存|不支持持久保存/);
    await screenshot(page, 'offline-queue');

    // The last resort: all 20 unsent records, photos included, exported to one JSON file.
    const [download] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: '导出未发送记录' }).click()]);
    const exported = JSON.parse(await readFile((await download.path())!, 'utf8'));
    expect(exported.items.map((x: { id: string }) => x.id).sort()).toEqual([...ids].sort());
    const files = exported.items.flatMap((x: { files: { dataUrl: string }[] }) => x.files);
    expect(files).toHaveLength(5);
    for (const f of files) expect(f.dataUrl).toMatch(/^data:image\/jpeg;base64,/);
    const usageAfter = await storageUsage(page);
    console.log(`[offline] device storage: ${(usageBefore / 1024).toFixed(0)} KB before, ${(usageAfter / 1024).toFixed(0)} KB with 20 queued records (5 photos of 200 KB) → +${((usageAfter - usageBefore) / 1024).toFixed(0)} KB`);

    // Back online: everything is sent, in order, without a click.
    const t0 = Date.now();
    await context.setOffline(false);
    await expect.poll(() => unsent(page), { timeout: 60_000 }).toBe(0);
    console.log(`[offline] reconnect → fully synced (20 records, 5 photos): ${Date.now() - t0} ms`);

    await expect.poll(() => panel.locator('li[data-state="sent"]').count()).toBe(20);
    expect(await panel.innerText()).toContain('服务器已确认');

    const fresh = await expectExactlyOnServer(staff, ids, before);
    expect(fresh.filter((s) => s.formId === HOUSE)).toHaveLength(15);
    const withPhotos = fresh.filter((s) => s.formId === NONRES);
    expect(withPhotos).toHaveLength(5);
    for (const s of withPhotos) {
      expect(s.attachments?.length).toBe(1);
      expect(s.data.photos).toEqual(s.attachments);
      const a = await staff.get(`/api/submissions/${s.id}/attachments/${s.attachments![0]}`);
      expect(a.status).toBe(200);
      const file = await fetch(new URL(a.body.url, stack.url));
      expect(file.status).toBe(200);
      expect((await file.arrayBuffer()).byteLength).toBe(200 * 1024);
    }
    const one = (await staff.get(`/api/submissions/${ids[0]}`)).body;
    expect(one.data.householder).toBe('离线户主0');
    expect(one.history.filter((h: { action: string }) => h.action === 'submitted')).toHaveLength(1);
    await expectNoDrift();

    // Offline again, My submissions lists the records as this device last saw them.
    await context.setOffline(true);
    await page.getByRole('navigation').getByRole('link', { name: '我的填报' }).click();
    await page.getByRole('status').filter({ hasText: '当前离线' }).waitFor();
    for (const id of [ids[0]!, ids[19]!]) expect(await page.locator(`tr[data-id="${id}"]`).innerText()).toContain('已提交');
    await context.close();
  }, 150_000);

  it('a survey object opened offline from My tasks: its record waits in the outbox naming the object and claims it when sent', async () => {
    const admin = await login(stack.url, 'admin');
    const staffId = (await (await login(stack.url, 'staff-housing')).get('/api/me')).body.userId;
    const made = await admin.post('/api/objects', { formId: 'housing.rural-house', regionCode: '420999001001', code: 'OFF-001', name: '离线调查的房屋', assignee: staffId });
    expect(made.status).toBe(201);
    const objectId = made.body.id as string;
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    try {
      const page = await readyOffline(context);
      await page.goto(`${stack.url}/tasks`);
      const link = page.getByTestId('my-objects').getByRole('link', { name: 'OFF-001 离线调查的房屋' });
      await link.waitFor();
      // The form is fetched once online (as a field worker's device does before leaving the office).
      await page.goto(`${stack.url}/fill/housing.rural-house?region=420999001001`);
      await page.getByLabel('户主姓名').waitFor();
      await page.goto(`${stack.url}/tasks`);
      await link.waitFor();
      await context.setOffline(true);
      await link.click();
      const sid = await fillHouse(page, 900, null);
      await expect.poll(() => unsent(page)).toBe(1);
      expect((await admin.get(`/api/objects/${encodeURIComponent(objectId)}`)).body.status).toBe('pending');
      await context.setOffline(false);
      await expect.poll(() => unsent(page), { timeout: 60_000 }).toBe(0);
      const record = (await admin.get(`/api/submissions/${sid}`)).body;
      expect([record.status, record.objectId]).toEqual(['submitted', objectId]);
      const o = (await admin.get(`/api/objects/${encodeURIComponent(objectId)}`)).body;
      expect([o.status, o.submissionId]).toEqual(['surveyed', sid]);
    } finally {
      await context.close();
    }
  }, 180_000);

  it('a field day: the session ends while records wait offline (sessions revoked on the server); the outbox is kept and each record sent once after signing in again', async () => {
    const before = new Set((await mine(await login(stack.url, 'staff-housing'))).map((s) => s.id));
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    const page = await readyOffline(context);
    await context.setOffline(true);
    const ids = await fillOffline(page, 3, 0);
    await expect.poll(() => unsent(page)).toBe(3);

    // Meanwhile the office ends every session of the member (a disable and re-enable does; so does a password reset).
    const admin = await login(stack.url, 'admin');
    const staffId = (await admin.get('/api/members')).body.find((m: { username: string }) => m.username === 'staff-housing').userId;
    const m = await admin.get(`/api/members/${staffId}`);
    const off = await admin.put(`/api/members/${staffId}`, { status: 'disabled' }, ifMatch(m.body.version));
    expect(off.status).toBe(200);
    expect((await admin.put(`/api/members/${staffId}`, { status: 'active' }, ifMatch(off.body.version))).status).toBe(200);

    // Back online in the evening: the old token is refused, nothing is sent and nothing is lost.
    await context.setOffline(false);
    await page.waitForURL((u) => u.pathname.startsWith('/login'), { timeout: 30_000 });
    const fresh = await login(stack.url, 'staff-housing');
    expect((await mine(fresh)).filter((s) => !before.has(s.id))).toEqual([]);
    const again = await signIn(context, stack.url, 'staff-housing');
    // The status reads 0 until the outbox is loaded: wait for the server to hold the records, then for an empty outbox.
    await expect.poll(async () => (await mine(fresh)).filter((s) => !before.has(s.id)).length, { timeout: 60_000 }).toBe(3);
    await expect.poll(() => unsent(again), { timeout: 30_000 }).toBe(0);
    await expectExactlyOnServer(fresh, ids, before);
    await expectNoDrift();
    await context.close();
  }, 120_000);

  it('a network that drops at random moments during sync: still exactly 20, no duplicates, counters exact', async () => {
    const staff = await login(stack.url, 'staff-housing');
    const before = new Set((await mine(staff)).map((s) => s.id));
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await readyOffline(context);
    await context.setOffline(true);
    const ids = await fillOffline(page, 17, 3);
    await expect.poll(() => unsent(page)).toBe(20);

    const seed = Number(process.env.OFFLINE_SEED ?? Date.now() % 1_000_000);
    const random = rng(seed);
    const moments: string[] = [];
    for (let round = 0; round < 3; round++) {
      await context.setOffline(false);
      const on = 20 + Math.floor(random() * 400);
      await page.waitForTimeout(on);
      await context.setOffline(true);
      const off = 50 + Math.floor(random() * 300);
      moments.push(`on ${on} ms → off ${off} ms (${await unsent(page)} left)`);
      await page.waitForTimeout(off);
    }
    console.log(`[offline] flapping seed ${seed}: ${moments.join('; ')}`);
    const t0 = Date.now();
    await context.setOffline(false);
    await expect.poll(() => unsent(page), { timeout: 60_000 }).toBe(0);
    console.log(`[offline] last reconnect → fully synced after flapping: ${Date.now() - t0} ms`);

    const fresh = await expectExactlyOnServer(staff, ids, before);
    for (const s of fresh.filter((x) => x.formId === NONRES)) expect(s.attachments).toHaveLength(1);
    for (const id of ids) {
      const h = (await staff.get(`/api/submissions/${id}`)).body.history as { action: string }[];
      expect(h.filter((x) => x.action === 'created')).toHaveLength(1);
      expect(h.filter((x) => x.action === 'submitted')).toHaveLength(1);
    }
    await expectNoDrift();
    await context.close();
  }, 120_000);

  it('a server answering 503 for a while: the outbox backs off, retries and succeeds', async () => {
    const staff = await login(stack.url, 'staff-housing');
    const before = new Set((await mine(staff)).map((s) => s.id));
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await readyOffline(context);
    await context.setOffline(true);
    const ids = await fillOffline(page, 2, 1);
    await expect.poll(() => unsent(page)).toBe(3);

    const FAILURES = 4;
    const seen: number[] = [];
    await page.route('**/api/submissions/**', async (route) => {
      if (seen.length < FAILURES) {
        seen.push(Date.now());
        await route.fulfill({ status: 503, headers: { 'retry-after': '1', 'content-type': 'application/problem+json' }, body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'unavailable' }) });
      } else await route.continue();
    });
    await context.setOffline(false);
    // While it fails, the status says when it tries again and why.
    await syncStatus(page).getByRole('button', { name: /待发送 3 条|正在发送 3 条/ }).click();
    const panel = page.getByRole('region', { name: '同步状态' });
    await panel.getByText(/\d+ 秒后 · 原因：503/).waitFor();
    await expect.poll(() => unsent(page), { timeout: 60_000 }).toBe(0);
    // Each failed attempt was one request (the run stops at the first failure and waits), then everything went through.
    expect(seen).toHaveLength(FAILURES);
    console.log(`[offline] 503 retries after ${seen.slice(1).map((t, i) => t - seen[i]!).join(', ')} ms (backoff with jitter)`);
    await expectExactlyOnServer(staff, ids, before);
    await context.close();
  }, 90_000);

  it("a reviewer's return during offline work is shown beside the offline edit, and nothing is overwritten until the user chooses", async () => {
    const staff = await login(stack.url, 'staff-housing');
    const reviewer = await login(stack.url, 'reviewer-housing');
    const id = newId();
    const data = { householder: '赵六', floors: 2, floor_area: 150, year_built: 2001, structure: 'masonry', strengthened: false, location: { lat: 30.59, lng: 114.3 } };
    const created = await staff.put(`/api/submissions/${id}?submit=true`, { formId: HOUSE, regionCode: VILLAGE, data });
    expect(created.status).toBe(201);
    const returned = await reviewer.post(`/api/submissions/${id}/review`, { decision: 'return', note: '请核实层数' }, ifMatch(created.body.version));
    expect(returned.status).toBe(200);

    // On a phone.
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await readyOffline(context);
    await page.goto(`${stack.url}/submissions/${id}`);
    const floors = page.getByLabel(/^层数/);
    await floors.waitFor();

    // Offline: the field worker corrects the floors and resubmits; it waits on the device.
    await context.setOffline(true);
    await floors.fill('3');
    await submitAndConfirmQueued(page);
    await expect.poll(() => unsent(page)).toBe(1);

    // Meanwhile, from the office: the record is corrected differently, resubmitted, and returned again by the reviewer.
    const resubmitted = await staff.put(`/api/submissions/${id}?submit=true`, { formId: HOUSE, regionCode: VILLAGE, data: { ...data, floor_area: 148 } }, ifMatch(returned.body.version));
    expect(resubmitted.status).toBe(200);
    const again = await reviewer.post(`/api/submissions/${id}/review`, { decision: 'return', note: '面积与图斑不符，请现场复核' }, ifMatch(resubmitted.body.version));
    expect(again.status).toBe(200);

    await context.setOffline(false);
    await expect.poll(() => syncStatus(page).getAttribute('data-attention'), { timeout: 30_000 }).toBe('1');
    // Not overwritten: the server still holds the office's version, returned, with the reviewer's note.
    const server = (await staff.get(`/api/submissions/${id}`)).body;
    expect(server.version).toBe(again.body.version);
    expect(server.status).toBe('returned');
    expect(server.data.floors).toBe(2);

    // Both versions are shown: mine (3 floors) and the server's (148 m², returned with the note).
    await syncStatus(page).getByRole('button', { name: /1 条需处理/ }).click();
    const conflict = page.getByRole('region', { name: /服务器上的记录已被修改/ });
    await conflict.waitFor();
    const table = conflict.getByRole('table');
    await table.getByRole('row', { name: /层数/ }).waitFor();
    expect(await table.getByRole('row', { name: /层数/ }).innerText()).toMatch(/3[\s\S]*2/);
    expect(await table.getByRole('row', { name: /建筑面积/ }).innerText()).toMatch(/150[\s\S]*148/);
    expect(await conflict.innerText()).toContain('面积与图斑不符，请现场复核');
    await screenshot(page, 'offline-conflict');
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await axeViolations(page)).toEqual([]);

    // Keep mine: re-applied on top of the server's version and resubmitted.
    await conflict.getByRole('button', { name: /保留我的/ }).click();
    await expect.poll(() => unsent(page), { timeout: 30_000 }).toBe(0);
    const after = (await staff.get(`/api/submissions/${id}`)).body;
    expect(after.status).toBe('submitted');
    expect(after.version).toBe(again.body.version + 1);
    expect(after.data.floors).toBe(3);
    await context.close();
  }, 60_000);
});
