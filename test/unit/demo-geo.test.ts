import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import { describe, expect, it } from 'vitest';
import { MAX_OBJECT_BATCH, type Boundary, type ObjectCellDelta, type ObjectWrite, type Ports } from '../../functions/app/ports';
import { catalogForm } from '../../functions/domain/catalog/index';
import { OBJECT_CODE, objectCountDelta, objectId, type SurveyObject } from '../../functions/domain/objects';
import { contains, levelOf } from '../../functions/domain/regions';
import { createdCells, DEMO_OBJECT_FORMS, demoBoundaries, demoObjects, seedDemoGeo } from '../../infra/local/demo-geo';
import { DEMO_ACCOUNTS, DEMO_COUNTY, DEMO_REGIONS } from '../../infra/local/demo-district';

type Pos = [number, number];
type Polygon = Extract<Parameters<typeof booleanPointInPolygon>[1], { type: 'Polygon' }>;
const NOW = '2021-06-01T08:00:00.000Z';

const boundaries = demoBoundaries();
const byCode = new Map(boundaries.map((b) => [b.code, b]));
const ring = (b: Boundary) => (b.geometry.coordinates as Pos[][])[0]!;
const poly = (code: string): Polygon => byCode.get(code)!.geometry as Polygon;
const inside = (code: string, p: Pos, strict = true) => booleanPointInPolygon(p, poly(code), { ignoreBoundary: strict });
const townships = DEMO_REGIONS.filter((r) => r.level === 'township').map((r) => r.code);
const villagesOf = (t: string) => DEMO_REGIONS.filter((r) => r.level === 'village' && r.parent === t).map((r) => r.code);

/** Shoelace area (signed, positive counter-clockwise) in square degrees. */
function signedArea(r: readonly Pos[]): number {
  let s = 0;
  for (let k = 0; k + 1 < r.length; k++) s += r[k]![0] * r[k + 1]![1] - r[k + 1]![0] * r[k]![1];
  return s / 2;
}

function edges(r: readonly Pos[]): string[] {
  const out: string[] = [];
  for (let k = 0; k + 1 < r.length; k++) out.push(`${r[k]!.join(',')}>${r[k + 1]!.join(',')}`);
  return out;
}
const reverse = (e: string) => e.split('>').reverse().join('>');

function bbox(r: readonly Pos[]) {
  const xs = r.map((p) => p[0]);
  const ys = r.map((p) => p[1]);
  return { minX: Math.min(...xs), maxX: Math.max(...xs), minY: Math.min(...ys), maxY: Math.max(...ys) };
}

/** A deterministic grid of sample points over a ring's bounding box (offset so none falls on a lattice line). */
function samples(r: readonly Pos[], n: number): Pos[] {
  const b = bbox(r);
  const out: Pos[] = [];
  for (let a = 0; a < n; a++) for (let c = 0; c < n; c++) out.push([b.minX + ((a + 0.371) / n) * (b.maxX - b.minX), b.minY + ((c + 0.613) / n) * (b.maxY - b.minY)]);
  return out;
}

/**
 * The parts tile the whole exactly: every edge of a part is an edge of the whole or the reverse of an edge of exactly
 * one other part (shared borders use the very same vertices), the whole's edges are all used, and the areas add up.
 */
function expectTiling(whole: string, parts: string[]) {
  const outer = new Set(edges(ring(byCode.get(whole)!)));
  const used = new Set<string>();
  const owner = new Map<string, string>();
  for (const p of parts) for (const e of edges(ring(byCode.get(p)!))) owner.set(e, p);
  for (const p of parts) {
    for (const e of edges(ring(byCode.get(p)!))) {
      if (outer.has(e)) {
        used.add(e);
        continue;
      }
      const other = owner.get(reverse(e));
      expect(other, `${p} edge ${e} is neither on ${whole}'s outline nor shared with a neighbour`).toBeDefined();
      expect(other).not.toBe(p);
    }
  }
  expect(used.size).toBe(outer.size);
  const sum = parts.reduce((s, p) => s + signedArea(ring(byCode.get(p)!)), 0);
  const area = signedArea(ring(byCode.get(whole)!));
  expect(Math.abs(sum - area) / area).toBeLessThan(1e-9);
}

describe('demo boundaries', () => {
  it('outline every region of the demo district once, as a WGS84 Polygon near 30.6N 114.3E', () => {
    expect(boundaries.map((b) => b.code).sort()).toEqual(DEMO_REGIONS.map((r) => r.code).sort());
    for (const b of boundaries) {
      expect(b.level).toBe(DEMO_REGIONS.find((r) => r.code === b.code)!.level);
      expect(b.geometry.type).toBe('Polygon');
      expect((b.geometry.coordinates as Pos[][]).length).toBe(1);
      for (const [lng, lat] of ring(b)) {
        expect(lng).toBeGreaterThan(114.1);
        expect(lng).toBeLessThan(114.5);
        expect(lat).toBeGreaterThan(30.45);
        expect(lat).toBeLessThan(30.75);
      }
    }
    // About 20 km × 15 km (1° of longitude ≈ 95.9 km at 30.6N, 1° of latitude ≈ 110.9 km).
    const b = bbox(ring(byCode.get(DEMO_COUNTY)!));
    expect((b.maxX - b.minX) * 95.9).toBeGreaterThan(18);
    expect((b.maxX - b.minX) * 95.9).toBeLessThan(23);
    expect((b.maxY - b.minY) * 110.9).toBeGreaterThan(13);
    expect((b.maxY - b.minY) * 110.9).toBeLessThan(18);
  });

  it('has closed, counter-clockwise, simple rings that are not plain rectangles', () => {
    for (const b of boundaries) {
      const r = ring(b);
      expect(r.length).toBeGreaterThanOrEqual(4);
      expect(r[0]).toEqual(r[r.length - 1]);
      expect(signedArea(r), `${b.code} is clockwise`).toBeGreaterThan(0);
      // No vertex repeats (other than the closing one): no pinches or self-touching.
      expect(new Set(r.slice(0, -1).map((p) => p.join(','))).size).toBe(r.length - 1);
      expect(r.length).toBeGreaterThan(8);
    }
  });

  it('townships tile the county and villages tile their township, on shared vertices', () => {
    expectTiling(DEMO_COUNTY, townships);
    for (const t of townships) expectTiling(t, villagesOf(t));
  });

  it('puts every vertex of a part within its whole (boundary included)', () => {
    for (const t of townships) {
      for (const p of ring(byCode.get(t)!)) expect(inside(DEMO_COUNTY, p, false)).toBe(true);
      for (const v of villagesOf(t)) for (const p of ring(byCode.get(v)!)) expect(inside(t, p, false), `${v} vertex ${p} outside ${t}`).toBe(true);
    }
  });

  it('covers every point of the county by exactly one township and one of its villages', () => {
    let counted = 0;
    const hits = new Map<string, number>();
    for (const p of samples(ring(byCode.get(DEMO_COUNTY)!), 80)) {
      const inCounty = inside(DEMO_COUNTY, p);
      const ts = townships.filter((t) => inside(t, p));
      if (!inCounty) {
        expect(ts).toEqual([]);
        continue;
      }
      counted++;
      expect(ts.length, `point ${p}`).toBe(1);
      const vs = DEMO_REGIONS.filter((r) => r.level === 'village').map((r) => r.code).filter((v) => inside(v, p));
      expect(vs.length, `point ${p}`).toBe(1);
      expect(vs[0]!.slice(0, 9) + '000').toBe(ts[0]);
      hits.set(vs[0]!, (hits.get(vs[0]!) ?? 0) + 1);
    }
    expect(counted).toBeGreaterThan(3000);
    // Every village is a real part of the map (not a sliver).
    for (const r of DEMO_REGIONS.filter((x) => x.level === 'village')) expect(hits.get(r.code) ?? 0).toBeGreaterThan(100);
  });

  it('is deterministic', () => {
    expect(demoBoundaries()).toEqual(boundaries);
  });
});

describe('demo objects', () => {
  const objects = demoObjects(NOW);

  it('lists a few hundred objects over several object tables, rural houses the most', () => {
    expect(objects.length).toBeGreaterThan(200);
    expect(objects.length).toBeLessThan(600);
    const per = new Map<string, number>();
    for (const o of objects) per.set(o.formId, (per.get(o.formId) ?? 0) + 1);
    expect([...per.keys()].sort()).toEqual(DEMO_OBJECT_FORMS.map((f) => f.formId).sort());
    const houses = per.get('housing.rural-house')!;
    for (const [f, n] of per) if (f !== 'housing.rural-house') expect(n).toBeLessThan(houses);
    // A few to about twenty per region and table.
    const cells = new Map<string, number>();
    for (const o of objects) cells.set(`${o.formId}|${o.regionCode}`, (cells.get(`${o.formId}|${o.regionCode}`) ?? 0) + 1);
    for (const n of cells.values()) expect(n).toBeLessThanOrEqual(21);
  });

  it('belong to object tables, at each form’s region level, every region of that level', () => {
    for (const f of DEMO_OBJECT_FORMS) {
      const form = catalogForm(f.formId)!;
      expect(form.unit).toBe('object');
      expect(form.regionLevel).toBe(f.level);
      expect(form.sector).toBe(f.sector);
      const regions = new Set(objects.filter((o) => o.formId === f.formId).map((o) => o.regionCode));
      expect([...regions].sort()).toEqual(DEMO_REGIONS.filter((r) => r.level === f.level).map((r) => r.code).sort());
    }
    for (const o of objects) {
      expect(levelOf(o.regionCode)).toBe(catalogForm(o.formId)!.regionLevel);
      expect(DEMO_REGIONS.some((r) => r.code === o.regionCode)).toBe(true);
    }
  });

  it('lie strictly inside their region (and so its township and the county)', () => {
    for (const o of objects) {
      const p: Pos = [o.location!.lng, o.location!.lat];
      expect(inside(o.regionCode, p), `${o.id} at ${p} outside ${o.regionCode}`).toBe(true);
      expect(inside(o.regionCode.slice(0, 9) + '000', p)).toBe(true);
      expect(inside(DEMO_COUNTY, p)).toBe(true);
    }
  });

  it('have unique ids derived from (formId, code), digit codes of their region, Chinese names', () => {
    expect(new Set(objects.map((o) => o.id)).size).toBe(objects.length);
    for (const o of objects) {
      expect(o.id).toBe(objectId(o.formId, o.code));
      expect(o.code).toMatch(OBJECT_CODE);
      expect(o.code).toMatch(/^\d+$/);
      expect(o.code.startsWith(o.regionCode)).toBe(true);
      expect(o.name).toMatch(/[\u4e00-\u9fff]/);
    }
    // Names are unique within a cell, apart from the listed duplicate.
    const names = new Set<string>();
    for (const o of objects.filter((x) => x.status !== 'duplicate')) {
      const k = `${o.formId}|${o.regionCode}|${o.name}`;
      expect(names.has(k), k).toBe(false);
      names.add(k);
    }
  });

  it('start pending at version 1, created by demo, with a few not required and one duplicate (with notes)', () => {
    for (const o of objects) {
      expect(o.version).toBe(1);
      expect(o.createdBy).toBe('demo');
      expect(o.updatedBy).toBe('demo');
      expect(o.createdAt).toBe(NOW);
      expect(o.updatedAt).toBe(NOW);
      expect(o.submissionId).toBeUndefined();
      expect(o.found).toBeUndefined();
      expect(['pending', 'not-required', 'duplicate']).toContain(o.status);
      if (o.status === 'pending') expect(o.note).toBeUndefined();
      else expect(o.note?.length).toBeGreaterThan(5);
    }
    const notRequired = objects.filter((o) => o.status === 'not-required');
    expect(notRequired.length).toBeGreaterThanOrEqual(3);
    expect(notRequired.length).toBeLessThanOrEqual(8);
    expect(objects.filter((o) => o.status === 'duplicate')).toHaveLength(1);
    expect(objects.filter((o) => o.status === 'pending').length).toBeGreaterThan(objects.length * 0.9);
  });

  it('assign every object of the first village (reservoirs: first township) to staff-<sector>, whose regions cover them', () => {
    const userIds = Object.fromEntries(DEMO_ACCOUNTS.map((a) => [a.username, `uid-${a.username}`]));
    const withIds = demoObjects(NOW, userIds);
    const assigned = withIds.filter((o) => o.assignee);
    expect(assigned.length).toBeGreaterThan(20);
    for (const o of withIds) {
      const level = catalogForm(o.formId)!.regionLevel;
      const first = level === 'township' ? '420999001000' : '420999001001';
      expect(o.assignee !== undefined, o.id).toBe(o.regionCode === first);
    }
    for (const o of assigned) {
      const account = DEMO_ACCOUNTS.find((a) => `uid-${a.username}` === o.assignee);
      expect(account, `${o.id} assignee ${o.assignee}`).toBeDefined();
      expect(account!.role).toBe('staff');
      expect(account!.sector).toBe(catalogForm(o.formId)!.sector);
      expect(account!.regions.some((r) => contains(r, o.regionCode))).toBe(true);
    }
    // Every sector's staff gets some.
    expect(new Set(assigned.map((o) => o.assignee)).size).toBe(4);
    // Without a userId map the assignees are the demo usernames themselves.
    for (const o of objects.filter((x) => x.assignee)) expect(DEMO_ACCOUNTS.some((a) => a.username === o.assignee && a.role === 'staff')).toBe(true);
  });

  it('is deterministic', () => {
    expect(demoObjects(NOW)).toEqual(objects);
    expect(JSON.stringify(demoObjects(NOW))).toBe(JSON.stringify(objects));
  });
});

describe('seedDemoGeo', () => {
  function fakePorts() {
    const stored = new Map<string, SurveyObject>();
    const batches: { writes: readonly ObjectWrite[]; cells: readonly ObjectCellDelta[] }[] = [];
    const put: Boundary[][] = [];
    const members = DEMO_ACCOUNTS.map((a) => ({ userId: `uid-${a.username}`, username: a.username, displayName: a.displayName, role: a.role, sector: a.sector, regions: a.regions }));
    const ports = {
      directory: {
        members: async () => members,
        putBoundaries: async (b: readonly Boundary[]) => void put.push([...b]),
      },
      objects: {
        get: async (id: string) => stored.get(id),
        getMany: async (ids: readonly string[]) => ids.flatMap((id) => (stored.has(id) ? [stored.get(id)!] : [])),
        writeObjects: async (writes: readonly ObjectWrite[], cells: readonly ObjectCellDelta[]) => {
          for (const w of writes) {
            if ('create' in w.expect && stored.has(w.next.id)) throw new Error('conflict');
            stored.set(w.next.id, w.next);
          }
          batches.push({ writes, cells });
        },
      },
    } as unknown as Ports;
    return { ports, stored, batches, put };
  }

  it('stores the outlines and the objects in batches with their cells’ counters, once', async () => {
    const { ports, stored, batches, put } = fakePorts();
    const res = await seedDemoGeo(ports, NOW);
    const objects = demoObjects(NOW, Object.fromEntries(DEMO_ACCOUNTS.map((a) => [a.username, `uid-${a.username}`])));
    expect(res).toEqual({ seeded: true, boundaries: boundaries.length, objects: objects.length });
    expect(put).toEqual([boundaries]);
    expect([...stored.values()]).toEqual(objects);
    for (const b of batches) {
      expect(b.writes.length).toBeLessThanOrEqual(MAX_OBJECT_BATCH);
      expect(b.writes.every((w) => 'create' in w.expect && w.expect.create === true)).toBe(true);
      expect(b.cells).toEqual(createdCells(b.writes.map((w) => w.next)));
    }
    // The counters over all batches: per cell, the sum of objectCountDelta(null, status).
    const total = new Map<string, Record<string, number>>();
    for (const b of batches) {
      for (const c of b.cells) {
        const t = total.get(`${c.formId}|${c.regionCode}`) ?? {};
        for (const [k, n] of Object.entries(c.delta)) t[k] = (t[k] ?? 0) + (n ?? 0);
        total.set(`${c.formId}|${c.regionCode}`, t);
      }
    }
    for (const [k, t] of total) {
      const [formId, regionCode] = k.split('|');
      const own = objects.filter((o) => o.formId === formId && o.regionCode === regionCode);
      expect(t.objects).toBe(own.length);
      expect(t.listed).toBe(own.filter((o) => o.status !== 'duplicate').length);
      expect(t.notRequired ?? 0).toBe(own.filter((o) => o.status === 'not-required').length);
      expect(t.surveyed).toBeUndefined();
    }
    expect(objectCountDelta(null, 'duplicate')).toEqual({ objects: 1 });

    const again = await seedDemoGeo(ports, NOW);
    expect(again.seeded).toBe(false);
    expect(put).toHaveLength(1);
  });

  it('writes only what is missing after an interrupted run', async () => {
    const { ports, stored, batches } = fakePorts();
    const objects = demoObjects(NOW, Object.fromEntries(DEMO_ACCOUNTS.map((a) => [a.username, `uid-${a.username}`])));
    for (const o of objects.slice(0, MAX_OBJECT_BATCH + 5)) stored.set(o.id, o);
    const res = await seedDemoGeo(ports, NOW);
    expect(res.objects).toBe(objects.length - MAX_OBJECT_BATCH - 5);
    expect(stored.size).toBe(objects.length);
    expect(batches.flatMap((b) => b.writes).length).toBe(res.objects);
  });
});
