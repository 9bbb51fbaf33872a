/**
 * Maps in a real browser (issue 16): the dashboard's completion map hit-tests a township's interior to that township
 * and a click there drills into it; staff place a point and draw a polygon with the mouse in an object's record, and
 * the stored polygon is closed and inside the object's village; no map page asks anything of another origin; axe finds
 * nothing serious on either page. Interior points are computed from the boundary GeoJSON the API returns and checked
 * with @turf/boolean-point-in-polygon, so a hit-test that answers the wrong region — or none — fails.
 *
 * The map element (`data-testid="map"`, or `map-<input id>` in forms) carries the documented test hook `mapDebug`
 * (lib/map/MapView.svelte): pixelOf(lng, lat) and featureCodeAt(x, y), the latter OpenLayers' own hit detection.
 */
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import { axeViolations, launchBrowser, screenshot, signIn, startWebStack } from './support';
import { login, type Client, type TestStack } from '../support/stack';

const T1 = '420999001000';
const T2 = '420999002000';
const FORM = 'housing.rural-house';

type Geometry = { type: 'Polygon'; coordinates: number[][][] } | { type: 'MultiPolygon'; coordinates: number[][][][] };
interface BoundaryFeature {
  type: 'Feature';
  geometry: Geometry;
  properties: { code: string; name: string; level: string };
}

let stack: TestStack;
let browser: Browser;
let admin: Client;
beforeAll(async () => {
  [stack, browser] = await Promise.all([startWebStack({ demoGeo: true }), launchBrowser()]);
  admin = await login(stack.url, 'admin');
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Every request of a context, to prove that nothing leaves the app's origin. */
function recordRequests(context: BrowserContext): string[] {
  const urls: string[] = [];
  context.on('request', (r) => urls.push(r.url()));
  return urls;
}
function foreign(urls: string[]): string[] {
  return urls.filter((u) => !(u.startsWith(`${stack.url}/`) || u === stack.url || u.startsWith('data:') || u.startsWith('blob:')));
}

async function boundaries(level: 'township' | 'village'): Promise<BoundaryFeature[]> {
  const r = await admin.get(`/api/regions/boundaries?level=${level}`);
  expect(r.status).toBe(200);
  expect(r.body.type).toBe('FeatureCollection');
  return r.body.features as BoundaryFeature[];
}

const outerRings = (g: Geometry): number[][][] => (g.type === 'Polygon' ? [g.coordinates[0]!] : g.coordinates.map((p) => p[0]!));
const inside = (p: number[], g: Geometry) => booleanPointInPolygon(p, g);

/** The centroid of a ring (shoelace, relative to its first vertex for precision). */
function centroid(ring: number[][]): number[] {
  const [ox, oy] = ring[0]!;
  let a = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < ring.length - 1; i++) {
    const [x0, y0] = [ring[i]![0]! - ox!, ring[i]![1]! - oy!];
    const [x1, y1] = [ring[i + 1]![0]! - ox!, ring[i + 1]![1]! - oy!];
    const f = x0 * y1 - x1 * y0;
    a += f;
    cx += (x0 + x1) * f;
    cy += (y0 + y1) * f;
  }
  return [ox! + cx / (3 * a), oy! + cy / (3 * a)];
}

/**
 * Points inside a region's outline, best first: the centroid of its largest part when that lies inside (a concave
 * outline's may not), then a grid over its box, each kept only when turf says it is inside.
 */
function interiorPoints(g: Geometry): number[][] {
  const rings = outerRings(g);
  const xs = rings.flat().map((p) => p[0]!);
  const ys = rings.flat().map((p) => p[1]!);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const out = rings.map(centroid).filter((c) => inside(c, g));
  for (let i = 1; i < 10; i++) for (let j = 1; j < 10; j++) out.push([minX + ((maxX - minX) * i) / 10, minY + ((maxY - minY) * j) / 10]);
  return out.filter((c) => inside(c, g));
}

interface Debug {
  pixelOf(lng: number, lat: number): [number, number] | null;
  featureCodeAt(x: number, y: number): string | null;
}
const pixelOf = (map: Locator, p: number[]) => map.evaluate((el, [lng, lat]) => (el as unknown as { mapDebug: Debug }).mapDebug.pixelOf(lng!, lat!), p);
const codeAt = (map: Locator, px: number[]) => map.evaluate((el, [x, y]) => (el as unknown as { mapDebug: Debug }).mapDebug.featureCodeAt(x!, y!), px);

/** A pixel of a region's interior on the map, well inside the element and away from every object's point. */
async function regionPixel(map: Locator, g: Geometry, avoid: number[][]): Promise<[number, number]> {
  const box = (await map.boundingBox())!;
  const taken = await Promise.all(avoid.map((p) => pixelOf(map, p)));
  for (const c of interiorPoints(g)) {
    const px = await pixelOf(map, c);
    if (!px) continue;
    const [x, y] = px;
    if (x < 8 || y < 8 || x > box.width - 64 || y > box.height - 8) continue;
    if (taken.some((t) => t && Math.hypot(t[0] - x, t[1] - y) < 14)) continue;
    return [x, y];
  }
  throw new Error('no free interior pixel');
}

async function drawnMap(page: Page, testid: string): Promise<Locator> {
  const map = page.getByTestId(testid);
  await map.locator('canvas').first().waitFor();
  await page.locator(`[data-testid="${testid}"][data-drawn="true"]`).waitFor({ timeout: 20_000 });
  return map;
}

describe('the dashboard map', () => {
  it('hit-tests a township to its code, a click drills into it, the villages then hit-test alike; no foreign request; axe clean', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 1000 } });
    const requests = recordRequests(context);
    const page = await signIn(context, stack.url, 'admin');
    await page.goto(`${stack.url}/dashboard`);
    const map = await drawnMap(page, 'map');
    await map.scrollIntoViewIfNeeded();

    // What the map was given: every object with a location, all pages of /api/objects.
    const objects: { location?: { lat: number; lng: number } }[] = [];
    let cursor: string | undefined;
    do {
      const r = await admin.get(`/api/objects?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status).toBe(200);
      objects.push(...r.body.items);
      cursor = r.body.nextCursor ?? undefined;
    } while (cursor);
    const located = objects.filter((o) => o.location).map((o) => [o.location!.lng, o.location!.lat]);
    expect(located.length).toBeGreaterThan(0);
    await page.getByText(new RegExp(`${located.length} 个调查对象有位置`)).waitFor();

    const townships = await boundaries('township');
    const t1 = townships.find((f) => f.properties.code === T1)!;
    const t2 = townships.find((f) => f.properties.code === T2)!;
    expect(t1 && t2).toBeTruthy();
    const p1 = await regionPixel(map, t1.geometry, located);
    const p2 = await regionPixel(map, t2.geometry, located);
    expect(await codeAt(map, p1)).toBe(T1);
    expect(await codeAt(map, p2)).toBe(T2);
    // A pixel of the map outside every township (by turf) hit-tests to nothing.
    const mbox = (await map.boundingBox())!;
    let outside: number[] | null = null;
    for (const px of [[10, 10], [10, mbox.height - 10], [mbox.width - 70, mbox.height - 10], [mbox.width / 2, 10], [mbox.width / 2, mbox.height - 10]]) {
      const ll = await map.evaluate((el, [x, y]) => (el as unknown as { mapDebug: { lngLatAt(x: number, y: number): number[] } }).mapDebug.lngLatAt(x!, y!), px);
      if (!townships.some((f) => inside(ll, f.geometry)) && !located.some((p) => Math.abs(p[0]! - ll[0]!) < 1e-3 && Math.abs(p[1]! - ll[1]!) < 1e-3)) {
        outside = px;
        break;
      }
    }
    expect(outside, 'a map corner outside the district').not.toBeNull();
    expect(await codeAt(map, outside!)).toBeNull();

    // The draw time with every demo object, for the record.
    const timing = await page.evaluate(() => {
      const m = performance.getEntriesByName('map-draw')[0];
      const d = performance.getEntriesByName('map-drawn')[0];
      return { drawMs: m?.duration ?? null, drawnAtMs: d?.startTime ?? null };
    });
    expect(timing.drawnAtMs).not.toBeNull();
    console.log(`[map] dashboard map drawn with ${located.length} objects: ${timing.drawMs?.toFixed(0)} ms after mount, ${timing.drawnAtMs?.toFixed(0)} ms after navigation start`);

    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'dashboard-map');

    // A click on the township's interior drills into it, as the table's link does.
    const box = (await map.boundingBox())!;
    await page.mouse.click(box.x + p1[0], box.y + p1[1]);
    await page.waitForURL(new RegExp(`/dashboard\\?region=${T1}$`));
    await page.getByRole('heading', { name: /青山街道完成率/ }).waitFor();
    const villageMap = await drawnMap(page, 'map');
    await villageMap.scrollIntoViewIfNeeded();
    const villages = (await boundaries('village')).filter((f) => f.properties.code.startsWith(T1.slice(0, 9)));
    expect(villages.length).toBeGreaterThan(1);
    for (const v of villages.slice(0, 2)) {
      const px = await regionPixel(villageMap, v.geometry, located);
      expect(await codeAt(villageMap, px)).toBe(v.properties.code);
    }

    // Zoom with the labelled button and with the keyboard on the focused map: the same place moves on screen.
    const anchor = interiorPoints(villages[0]!.geometry)[0]!;
    const before = (await pixelOf(villageMap, anchor))!;
    await page.getByRole('button', { name: '放大地图' }).click();
    await expect.poll(async () => Math.hypot(...((await pixelOf(villageMap, anchor))!.map((v, i) => v - before[i]!) as [number, number]))).toBeGreaterThan(5);
    await villageMap.focus();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('map');
    const zoomed = (await pixelOf(villageMap, anchor))!;
    await page.keyboard.press('-');
    await expect.poll(async () => Math.hypot(...((await pixelOf(villageMap, anchor))!.map((v, i) => v - zoomed[i]!) as [number, number]))).toBeGreaterThan(5);

    // The list is the map's equal: every region with its percentage.
    await page.getByRole('button', { name: '以列表查看' }).click();
    const list = page.getByTestId('map-list');
    await list.waitFor();
    expect(await list.locator('tbody tr').count()).toBe(villages.length);
    expect(await list.getByRole('link').first().innerText()).toBeTruthy();

    expect(foreign(requests)).toEqual([]);
    expect(requests.some((u) => u.includes('/api/regions/boundaries?level=township'))).toBe(true);
    await context.close();
  }, 90_000);
});

/** A solid 256×256 PNG of one colour. */
function solidPng([r, g, b]: number[]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(256, 0);
  ihdr.writeUInt32BE(256, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.alloc(1 + 256 * 3);
  for (let x = 0; x < 256; x++) row.set([r!, g!, b!], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: 256 }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * A PMTiles v3 archive (the spec's layout: 127-byte header, root directory, no metadata, tile data) holding one raster
 * tile, z0 — the whole world in one colour — uncompressed.
 */
function onePmtiles(tile: Buffer): Buffer {
  // Root directory: 1 entry; tile id 0 (z0), run length 1, length, offset + 1 — each a varint.
  const varint = (n: number) => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return out;
  };
  const dir = Buffer.from([...varint(1), ...varint(0), ...varint(1), ...varint(tile.length), ...varint(0 + 1)]);
  const h = Buffer.alloc(127);
  h.write('PMTiles', 0, 'ascii');
  h.writeUInt8(3, 7);
  const u64 = (v: number, at: number) => h.writeBigUInt64LE(BigInt(v), at);
  u64(127, 8); // root directory offset
  u64(dir.length, 16);
  u64(127 + dir.length, 24); // metadata: none
  u64(0, 32);
  u64(127 + dir.length, 40); // leaf directories: none
  u64(0, 48);
  u64(127 + dir.length, 56); // tile data
  u64(tile.length, 64);
  u64(1, 72);
  u64(1, 80);
  u64(1, 88);
  h.set([1, 1, 1, 2, 0, 0], 96); // clustered, internal compression none, tile compression none, PNG, zoom 0–0
  h.writeInt32LE(-180e7, 102);
  h.writeInt32LE(-85e7, 106);
  h.writeInt32LE(180e7, 110);
  h.writeInt32LE(85e7, 114);
  h.writeUInt8(0, 118);
  return Buffer.concat([h, dir, tile]);
}

describe('the base map', () => {
  it('draws a PMTiles file chosen on the device under the outlines, keeps it across a reload, fetches nothing', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 1000 } });
    const requests = recordRequests(context);
    const page = await signIn(context, stack.url, 'admin');
    await page.goto(`${stack.url}/dashboard`);
    let map = await drawnMap(page, 'map');
    const corner = [6, 6];
    /** The colour the map's canvases show at a pixel (the base map is the bottom layer; outlines do not reach the corner). */
    const colourAt = (m: Locator) =>
      m.evaluate((el, [x, y]) => {
        for (const c of Array.from(el.querySelectorAll('canvas'))) {
          const ratio = c.width / c.getBoundingClientRect().width;
          const d = c.getContext('2d')!.getImageData(Math.round(x! * ratio), Math.round(y! * ratio), 1, 1).data;
          if (d[3]! > 0) return [d[0], d[1], d[2]];
        }
        return null;
      }, corner);
    expect(await colourAt(map)).toBeNull();

    await page.getByText('底图', { exact: true }).click();
    await page.getByLabel('从本机加载底图文件（PMTiles）').setInputFiles({ name: '江滨区底图.pmtiles', mimeType: 'application/octet-stream', buffer: onePmtiles(solidPng([200, 30, 160])) });
    await page.getByText(/底图：江滨区底图\.pmtiles（.*保存在本机，离线可用）/).waitFor();
    await expect.poll(() => colourAt(map), { timeout: 10_000 }).toEqual([200, 30, 160]);

    await page.reload();
    map = await drawnMap(page, 'map');
    await expect.poll(() => colourAt(map), { timeout: 10_000 }).toEqual([200, 30, 160]);

    // Removed: the plain background again.
    await page.getByText('底图', { exact: true }).click();
    await page.getByRole('button', { name: '移除底图' }).click();
    await expect.poll(() => colourAt(map)).toBeNull();
    expect(foreign(requests)).toEqual([]);
    await context.close();
  }, 60_000);
});

describe('map inputs of a form', () => {
  it('staff place the point and draw the footprint with the mouse; the stored polygon is closed and inside the village', async () => {
    const staff = await login(stack.url, 'staff-housing');
    const mine = await staff.get(`/api/objects?assignee=me&formId=${FORM}&status=pending&limit=1000`);
    expect(mine.status).toBe(200);
    const object = (mine.body.items as { id: string; regionCode: string; formId: string }[]).find((o) => o.formId === FORM);
    expect(object, 'an object of housing.rural-house assigned to staff-housing').toBeTruthy();
    const village = (await boundaries('village')).find((f) => f.properties.code === object!.regionCode);
    expect(village, `a boundary for ${object!.regionCode}`).toBeTruthy();
    const g = village!.geometry;

    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 1000 } });
    const requests = recordRequests(context);
    const page = await signIn(context, stack.url, 'staff-housing');
    await page.goto(`${stack.url}/fill/${FORM}?object=${encodeURIComponent(object!.id)}`);
    await page.getByRole('heading', { level: 1, name: '农村住宅建筑调查表' }).waitFor();

    // The point: open the map, click inside the village.
    const locationGroup = page.getByRole('group', { name: /房屋位置/ });
    await locationGroup.getByRole('button', { name: '在地图上选点' }).click();
    const pointMap = await drawnMap(page, 'map-f-location');
    await pointMap.scrollIntoViewIfNeeded();
    const target = interiorPoints(g)[0]!;
    const pt = (await pixelOf(pointMap, target))!;
    let box = (await pointMap.boundingBox())!;
    expect(pt[0]).toBeGreaterThan(0);
    expect(pt[0]).toBeLessThan(box.width);
    await page.mouse.click(box.x + pt[0], box.y + pt[1]);
    await expect.poll(() => page.getByLabel('纬度').inputValue()).not.toBe('');
    const lat = Number(await page.getByLabel('纬度').inputValue());
    const lng = Number(await page.getByLabel('经度').inputValue());
    expect(Math.abs(lat - target[1]!)).toBeLessThan(0.001);
    expect(Math.abs(lng - target[0]!)).toBeLessThan(0.001);
    expect(inside([lng, lat], g)).toBe(true);
    // Dragging the point adjusts it (east: the longitude grows), and back again.
    const drag = async (from: number[], dx: number) => {
      await page.mouse.move(box.x + from[0]!, box.y + from[1]!);
      await page.mouse.down();
      await page.mouse.move(box.x + from[0]! + dx, box.y + from[1]!, { steps: 6 });
      await page.mouse.up();
    };
    await drag(pt, 16);
    await expect.poll(async () => Number(await page.getByLabel('经度').inputValue())).toBeGreaterThan(lng + 1e-6);
    expect(Math.abs(Number(await page.getByLabel('纬度').inputValue()) - lat)).toBeLessThan(1e-4);
    await drag([pt[0]! + 16, pt[1]!], -16);
    await expect.poll(async () => Math.abs(Number(await page.getByLabel('经度').inputValue()) - lng)).toBeLessThan(2e-5);

    // The footprint: four vertices around the point, then a click on the first one closes it.
    const footprint = page.getByRole('button', { name: '在地图上勾绘范围' });
    await footprint.click();
    const shapeMap = await drawnMap(page, 'map-f-footprint');
    await shapeMap.scrollIntoViewIfNeeded();
    box = (await shapeMap.boundingBox())!;
    const centre = (await pixelOf(shapeMap, target))!;
    // The largest square (≤ 120 px) around the point whose corners — and a margin past them — lie inside the village.
    const lngLatAt = (px: number[]) => shapeMap.evaluate((el, [x, y]) => (el as unknown as { mapDebug: { lngLatAt(x: number, y: number): number[] } }).mapDebug.lngLatAt(x!, y!), px);
    let d = 60;
    let corners: number[][] = [];
    for (; d >= 10; d -= 10) {
      const square = (r: number) => [
        [centre[0] - r, centre[1] - r],
        [centre[0] + r, centre[1] - r],
        [centre[0] + r, centre[1] + r],
        [centre[0] - r, centre[1] + r],
      ];
      corners = square(d);
      const margin = await Promise.all(square(d + 6).map(lngLatAt));
      if (margin.every((ll) => inside(ll, g)) && corners.every(([x, y]) => x! > 8 && y! > 8 && x! < box.width - 64 && y! < box.height - 8)) break;
    }
    expect(d).toBeGreaterThanOrEqual(10);
    for (const [x, y] of corners) {
      await page.mouse.click(box.x + x!, box.y + y!);
      await page.waitForTimeout(350);
    }
    await page.mouse.click(box.x + corners[0]![0]!, box.y + corners[0]![1]!);
    const text = page.locator('#f-footprint');
    await expect.poll(async () => (await text.inputValue()).trim().split('\n').length).toBe(4);
    await page.getByText('已完成绘制，可拖动顶点修改，或清除重画。').waitFor();
    // Map and text box follow each other: clearing the drawing empties the box; typing the vertices back shows them drawn.
    const typed = await text.inputValue();
    await page.getByRole('button', { name: '清除重画' }).click();
    await expect.poll(() => text.inputValue()).toBe('');
    await page.getByText('尚未绘制。').waitFor();
    await text.fill(typed);
    await page.getByText('已完成绘制，可拖动顶点修改，或清除重画。').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'form-map');

    // The rest of the record, as fill.test.ts fills it.
    await page.getByLabel('户主姓名').fill('赵地图');
    await page.getByLabel(/^层数/).fill('2');
    await page.getByLabel(/^建成时间/).fill('2004');
    await page.getByLabel(/^建筑面积/).fill('132.5');
    await page.getByLabel(/^结构类型/).selectOption({ index: 1 });
    await page.getByRole('group', { name: /是否进行过抗震加固/ }).getByLabel('否').check();
    await page.getByRole('button', { name: '提交', exact: true }).click();
    await page.getByText('已提交，等待审核。').waitFor();

    // Stored: through the object's record.
    let submissionId: string | undefined;
    await expect
      .poll(async () => {
        submissionId = (await staff.get(`/api/objects/${encodeURIComponent(object!.id)}`)).body.submissionId;
        return submissionId;
      })
      .toBeTruthy();
    const rec = await staff.get(`/api/submissions/${submissionId}`);
    expect(rec.status).toBe(200);
    expect(rec.body.objectId).toBe(object!.id);
    const ring = rec.body.data.footprint.coordinates[0] as number[][];
    expect(rec.body.data.footprint.type).toBe('Polygon');
    expect(ring.length).toBe(5);
    expect(ring[0]).toEqual(ring[ring.length - 1]);
    for (const v of ring) expect(inside(v, g), `vertex ${v} inside ${object!.regionCode}`).toBe(true);
    expect(inside([rec.body.data.location.lng, rec.body.data.location.lat], g)).toBe(true);

    expect(foreign(requests)).toEqual([]);
    await context.close();
  }, 90_000);
});
