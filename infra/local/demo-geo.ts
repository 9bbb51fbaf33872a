/**
 * Demo geography for a fresh local DATA_DIR: outlines of the demo district's county, townships and villages (near
 * 30.6N 114.3E, about 20 km × 15 km) and a list of survey objects (清查名录) with locations for a few object tables.
 *
 * The outlines are exact: every region is a union of cells of one jittered lattice over the district, so neighbours
 * share the very same vertices along their common border, the townships tile the county and the villages their
 * township without overlap or gap, and every outer ring runs counter-clockwise (RFC 7946). The lattice nodes are
 * moved by a seeded, smooth jitter (at most a fifth of a cell each way, so every cell stays convex), which makes the
 * borders look drawn rather than ruled.
 *
 * Everything is deterministic (seeded generators, no Math.random): the same outlines and objects on every fresh start.
 */
import type { Boundary, ObjectCellDelta, ObjectWrite, Ports } from '../../functions/app/ports';
import { MAX_OBJECT_BATCH } from '../../functions/app/ports';
import { objectCountDelta, objectId, type LatLng, type ObjectCounts, type SurveyObject } from '../../functions/domain/objects';
import type { Region } from '../../functions/domain/regions';
import { seeded } from '../../functions/domain/samples';
import type { SectorId } from '../../functions/domain/sectors';
import { DEMO_COUNTY, DEMO_REGIONS, demoTarget } from './demo-district';

// ───────────────────────────── the lattice ─────────────────────────────

/** South-west corner of the lattice, cell size and cell counts: 21 × 15 cells of about 0.96 km × 1.0 km. */
const LNG0 = 114.225;
const LAT0 = 30.535;
const DLNG = 0.01;
const DLAT = 0.009;
const NX = 21;
const NY = 15;

type Cell = readonly [number, number];
type Position = [number, number];

interface Layout {
  /** Node (i, j) at index j * (NX + 1) + i: [lng, lat], rounded to 6 decimals once so every ring uses the same numbers. */
  nodes: Position[];
  /** The lattice cells of every region (county, townships, villages), by code. */
  cells: Map<string, Cell[]>;
}

const TOWNSHIPS = DEMO_REGIONS.filter((r) => r.level === 'township').map((r) => r.code).sort();
const VILLAGES = DEMO_REGIONS.filter((r) => r.level === 'village').map((r) => r.code).sort();
const villagesOf = (town: string) => VILLAGES.filter((v) => v.slice(0, 9) === town.slice(0, 9));

/**
 * Townships as a 2 × 2 grid with a stepped, irregular shared border (matching where demo-records.ts puts each
 * township's records): south-west 002, north-west 004, south-east 003, north-east 001.
 */
function townshipOf(i: number, j: number): string {
  const westEdge = j < 6 ? 9 : j < 10 ? 10 : 11; // the west/east divider, a column boundary per row
  if (i < westEdge) return j >= (i < 3 ? 10 : 9) ? '420999004000' : '420999002000';
  return j >= (i < 16 ? 7 : 8) ? '420999001000' : '420999003000';
}

/** How each township is cut into its villages: bands across columns or rows, with a wavy (stepped) cut line. */
const VILLAGE_BANDS: Record<string, 'cols' | 'rows'> = {
  '420999001000': 'cols',
  '420999002000': 'rows',
  '420999003000': 'cols',
  '420999004000': 'cols',
};

/** A seeded walk in {-1, 0, 1} that moves by at most one step between neighbouring rows (or columns). */
function wave(n: number, rnd: () => number): number[] {
  const out: number[] = [];
  let v = 0;
  for (let k = 0; k < n; k++) {
    const r = rnd();
    if (k > 0 && k % 2 === 0) v = Math.max(-1, Math.min(1, v + (r < 0.35 ? -1 : r > 0.65 ? 1 : 0)));
    out.push(v);
  }
  return out;
}

function buildLayout(): Layout {
  const rnd = seeded(20_210_601);
  const phase = Array.from({ length: 4 }, () => rnd() * 2 * Math.PI);
  const nodes: Position[] = [];
  const r6 = (x: number) => Math.round(x * 1e6) / 1e6;
  for (let j = 0; j <= NY; j++) {
    for (let i = 0; i <= NX; i++) {
      // Smooth (two sines) plus a little noise; |dx| ≤ 0.2 DLNG and |dy| ≤ 0.2 DLAT keep every cell convex.
      const dx = 0.05 * Math.sin(0.83 * i + 1.31 * j + phase[0]!) + 0.03 * Math.sin(0.37 * i - 0.71 * j + phase[1]!) + 0.12 * (rnd() * 2 - 1);
      const dy = 0.05 * Math.sin(1.27 * i - 0.61 * j + phase[2]!) + 0.03 * Math.sin(0.29 * i + 0.53 * j + phase[3]!) + 0.12 * (rnd() * 2 - 1);
      nodes.push([r6(LNG0 + (i + dx) * DLNG), r6(LAT0 + (j + dy) * DLAT)]);
    }
  }

  const cells = new Map<string, Cell[]>();
  const add = (code: string, c: Cell) => {
    const list = cells.get(code);
    if (list) list.push(c);
    else cells.set(code, [c]);
  };
  const townCells = new Map<string, Cell[]>();
  for (let j = 0; j < NY; j++) {
    for (let i = 0; i < NX; i++) {
      const t = townshipOf(i, j);
      add(DEMO_COUNTY, [i, j]);
      add(t, [i, j]);
      townCells.set(t, [...(townCells.get(t) ?? []), [i, j]]);
    }
  }
  for (const town of TOWNSHIPS) {
    const own = townCells.get(town) ?? [];
    const villages = villagesOf(town);
    const along = VILLAGE_BANDS[town] === 'rows' ? 1 : 0; // the axis the bands follow one another on
    const across = along === 1 ? 0 : 1;
    const lo = Math.min(...own.map((c) => c[along]));
    const hi = Math.max(...own.map((c) => c[along])) + 1;
    const n = villages.length;
    const cuts = Array.from({ length: n - 1 }, (_, k) => {
      const w = wave(Math.max(NX, NY), rnd);
      return (x: number) => Math.round(lo + ((hi - lo) * (k + 1)) / n) + w[x]!;
    });
    for (const c of own) {
      const band = cuts.filter((cut) => c[along] >= cut(c[across])).length;
      add(villages[band]!, c);
    }
  }
  return { nodes, cells };
}

let layoutCache: Layout | undefined;
function layout(): Layout {
  return (layoutCache ??= buildLayout());
}

const nodeIndex = (i: number, j: number) => j * (NX + 1) + i;

/**
 * The outline of a union of cells: the cells' counter-clockwise edges, less those shared by two cells of the union,
 * chained into one ring (counter-clockwise, the union on its left). Throws unless the cells make one simple ring (a
 * connected region without holes or cells touching only at a corner): the layout above is checked by the unit test.
 */
function outline(code: string, cells: readonly Cell[], nodes: readonly Position[]): Position[] {
  const edges = new Map<number, number>();
  const key = (a: number, b: number) => a * 100_000 + b;
  const all = new Set<number>();
  for (const [i, j] of cells) {
    const q = [nodeIndex(i, j), nodeIndex(i + 1, j), nodeIndex(i + 1, j + 1), nodeIndex(i, j + 1)];
    for (let k = 0; k < 4; k++) all.add(key(q[k]!, q[(k + 1) % 4]!));
  }
  for (const e of all) {
    const a = Math.floor(e / 100_000);
    const b = e % 100_000;
    if (all.has(key(b, a))) continue;
    if (edges.has(a)) throw new Error(`demo geo: ${code} touches itself at node ${a}`);
    edges.set(a, b);
  }
  const start = Math.min(...edges.keys());
  const ring: Position[] = [];
  let at = start;
  do {
    ring.push([...nodes[at]!] as Position);
    const next = edges.get(at);
    if (next === undefined) throw new Error(`demo geo: ${code} outline is open at node ${at}`);
    at = next;
  } while (at !== start && ring.length <= edges.size);
  if (ring.length !== edges.size) throw new Error(`demo geo: ${code} is not one simple ring (${ring.length} of ${edges.size} edges)`);
  ring.push([...ring[0]!] as Position);
  return ring;
}

/** Outlines of the demo county, its townships and villages (GeoJSON Polygons, WGS84 [lng, lat]), county first, then by code. */
export function demoBoundaries(): Boundary[] {
  const { nodes, cells } = layout();
  const regions = [...DEMO_REGIONS].sort((a, b) => levelRank(a.level) - levelRank(b.level) || a.code.localeCompare(b.code));
  return regions.map((r) => ({ code: r.code, level: r.level, geometry: { type: 'Polygon' as const, coordinates: [outline(r.code, cells.get(r.code) ?? [], nodes)] } }));
}

function levelRank(l: Region['level']): number {
  return l === 'county' ? 0 : l === 'township' ? 1 : 2;
}

/** A point strictly inside a region: inside one of its (convex) cells, away from the cell's edges. */
function pointIn(code: string, rnd: () => number): LatLng {
  const { nodes, cells } = layout();
  const list = cells.get(code);
  if (!list?.length) throw new Error(`demo geo: no cells for ${code}`);
  const [i, j] = list[Math.floor(rnd() * list.length)]!;
  const u = 0.15 + rnd() * 0.7;
  const v = 0.15 + rnd() * 0.7;
  const p00 = nodes[nodeIndex(i, j)]!;
  const p10 = nodes[nodeIndex(i + 1, j)]!;
  const p11 = nodes[nodeIndex(i + 1, j + 1)]!;
  const p01 = nodes[nodeIndex(i, j + 1)]!;
  const mix = (k: 0 | 1) => (1 - u) * (1 - v) * p00[k] + u * (1 - v) * p10[k] + u * v * p11[k] + (1 - u) * v * p01[k];
  return { lat: Math.round(mix(1) * 1e6) / 1e6, lng: Math.round(mix(0) * 1e6) / 1e6 };
}

// ───────────────────────────── the objects ─────────────────────────────

/** The object tables the demo lists objects for, with the sector whose staff the first village's objects go to. */
export const DEMO_OBJECT_FORMS: readonly { formId: string; sector: SectorId; level: Region['level'] }[] = [
  { formId: 'emergency.school', sector: 'emergency', level: 'village' },
  { formId: 'emergency.shelter', sector: 'emergency', level: 'village' },
  { formId: 'agriculture.reservoir', sector: 'agriculture', level: 'township' },
  { formId: 'forestry.fire-depot', sector: 'forestry', level: 'village' },
  { formId: 'housing.rural-house', sector: 'housing', level: 'village' },
];

/** Whose objects are assigned: every object of these regions, to staff-<sector> (whose region is the first township). */
const FIRST_TOWNSHIP = TOWNSHIPS[0]!;
const FIRST_VILLAGE = villagesOf(FIRST_TOWNSHIP)[0]!;

/** Objects closed without a record (无需调查): form → region → note, the last object of that cell. */
const NOT_REQUIRED: readonly { formId: string; regionCode: string; note: string }[] = [
  { formId: 'emergency.school', regionCode: '420999003001', note: '该校已于2019年撤并至石桥乡中心小学，校舍闲置，无需调查。' },
  { formId: 'agriculture.reservoir', regionCode: '420999004000', note: '已报废降等为山塘，不再列入水库名录。' },
  { formId: 'forestry.fire-depot', regionCode: '420999004002', note: '储备点已撤销，物资并入云溪镇林业站仓库。' },
  { formId: 'housing.rural-house', regionCode: '420999002002', note: '房屋已整体拆除，现为耕地。' },
  { formId: 'housing.rural-house', regionCode: '420999003002', note: '房屋已倒塌多年，无人居住，经核实无需调查。' },
];

/** The one duplicate: listed twice under another code (重复), in this village, of its object number `of`. */
const DUPLICATE = { formId: 'housing.rural-house', regionCode: '420999001002', of: 3 };

const SURNAMES = [...'王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯董程曹袁邓许傅沈曾彭吕'];
const HOUSE_KINDS = ['老屋', '新屋', '楼房', '平房', '住宅'];
const RESERVOIRS = [
  '红旗', '东风', '跃进', '向阳', '团结', '长岭', '白鹤', '清水', '龙潭', '金盆', '五一', '胜利', '大冲', '黄泥湾', '青龙', '石门', '马鞍山', '狮子口', '杨树冲', '桃花',
  '响水', '梅子沟', '三岔', '竹林', '南山', '凤凰', '牛角冲', '百丈', '七里', '双河', '金鸡', '燕子', '黄土', '龙王', '杉木', '老虎冲', '鹰嘴', '柏树', '茅草', '荷花',
];
const ORDINAL = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];
const nth = (n: number) => ORDINAL[n - 1] ?? String(n);

const byCode = new Map(DEMO_REGIONS.map((r) => [r.code, r]));
const zh = (code: string) => byCode.get(code)?.name.zh ?? code;
const bare = (name: string) => name.replace(/(社区|街道|村|镇|乡)$/, '');

function hash(s: string): number {
  let h = 2_166_136_261;
  for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 16_777_619) >>> 0;
  return h;
}

/** How many objects a cell lists: the seeded target (so the cell's target stays what it was), rural houses 12–20. */
function countFor(formId: string, regionCode: string, level: Region['level']): number {
  if (formId === 'housing.rural-house') return 12 + (hash(formId + regionCode) % 9);
  return demoTarget(formId, regionCode, level, 'object');
}

function nameFor(formId: string, regionCode: string, k: number, rnd: () => number, used: Set<string>): string {
  const place = zh(regionCode);
  const base = bare(place);
  const town = zh(regionCode.slice(0, 9) + '000');
  const firstVillage = regionCode.endsWith('001');
  switch (formId) {
    case 'emergency.school':
      if (k === 1 && firstVillage) return `${town}中心小学`;
      return `${base}${['小学', '幼儿园', '中学', '第二小学', '中心幼儿园', '九年一贯制学校'][k - 1] ?? `第${nth(k)}小学`}`;
    case 'emergency.shelter':
      return k === 1 ? `${place}应急避难场所` : `${base}${['文化广场', '小学操场', '公园', '体育场', '中学操场', '滨江绿地'][k - 2] ?? `第${nth(k)}`}应急避难场所`;
    case 'forestry.fire-depot':
      return k === 1 ? `${place}森林防火物资储备点` : `${place}第${nth(k)}森林防火物资储备点`;
    case 'agriculture.reservoir': {
      for (let tries = 0; ; tries++) {
        const name = `${RESERVOIRS[Math.floor(rnd() * RESERVOIRS.length)]!}${tries > 40 ? nth(k + 1) : ''}水库`;
        if (!used.has(name)) return name;
      }
    }
    case 'housing.rural-house': {
      for (;;) {
        const group = 1 + Math.floor(rnd() * 8);
        const name = `${place}${group}组${SURNAMES[Math.floor(rnd() * SURNAMES.length)]!}家${HOUSE_KINDS[Math.floor(rnd() * HOUSE_KINDS.length)]!}`;
        if (!used.has(name)) return name;
      }
    }
  }
  return `${place}${k}`;
}

/**
 * The demo objects: for each table of DEMO_OBJECT_FORMS, every region at its level lists a few to twenty objects
 * (codes `<region code><sequence>`, digits only), each at a point strictly inside its region's outline, pending at
 * version 1, created by `demo` at `now`. All objects of the first village of township 001 (reservoirs: of township 001)
 * are assigned to staff-<sector>; a few are not required (with a note) and one is a duplicate.
 *
 * `userIds` maps usernames to userIds (seed.ts draws random userIds): the assignee is `userIds['staff-<sector>']`,
 * or the username itself when the map does not hold it (pure callers and tests).
 */
export function demoObjects(now: string, userIds: Readonly<Record<string, string>> = {}): SurveyObject[] {
  const out: SurveyObject[] = [];
  const reservoirNames = new Set<string>();
  for (const { formId, sector, level } of DEMO_OBJECT_FORMS) {
    const regions = (level === 'township' ? TOWNSHIPS : level === 'village' ? VILLAGES : [DEMO_COUNTY]).filter((c) => byCode.get(c)?.level === level);
    const pad = formId === 'housing.rural-house' ? 4 : 2;
    const staff = `staff-${sector}`;
    const assignee = userIds[staff] ?? staff;
    for (const regionCode of regions) {
      const rnd = seeded(hash(`${formId}|${regionCode}`));
      const used = formId === 'agriculture.reservoir' ? reservoirNames : new Set<string>();
      const n = countFor(formId, regionCode, level);
      const assigned = regionCode === (level === 'township' ? FIRST_TOWNSHIP : FIRST_VILLAGE);
      const notRequired = NOT_REQUIRED.find((x) => x.formId === formId && x.regionCode === regionCode);
      const cell: SurveyObject[] = [];
      for (let k = 1; k <= n; k++) {
        const name = nameFor(formId, regionCode, k, rnd, used);
        used.add(name);
        const code = `${regionCode}${String(k).padStart(pad, '0')}`;
        const o: SurveyObject = {
          id: objectId(formId, code),
          formId,
          regionCode,
          code,
          name,
          location: pointIn(regionCode, rnd),
          status: 'pending',
          version: 1,
          createdAt: now,
          createdBy: 'demo',
          updatedAt: now,
          updatedBy: 'demo',
        };
        if (assigned) o.assignee = assignee;
        if (notRequired && k === n) {
          o.status = 'not-required';
          o.note = notRequired.note;
        }
        cell.push(o);
      }
      if (formId === DUPLICATE.formId && regionCode === DUPLICATE.regionCode) {
        const of = cell[DUPLICATE.of - 1]!;
        const code = `${regionCode}${String(n + 1).padStart(pad, '0')}`;
        const near = { lat: Math.round((of.location!.lat + 0.00003) * 1e6) / 1e6, lng: Math.round((of.location!.lng - 0.00002) * 1e6) / 1e6 };
        cell.push({
          ...of,
          id: objectId(formId, code),
          code,
          location: insideOrSame(regionCode, near, of.location!),
          status: 'duplicate',
          note: `与${of.code}（${of.name}）为同一栋房屋，重复登记。`,
        });
      }
      out.push(...cell);
    }
  }
  return out;
}

/** `p` when it lies inside the region's cell that holds `fallback` (a few metres off), else `fallback` itself. */
function insideOrSame(code: string, p: LatLng, fallback: LatLng): LatLng {
  const ring = demoBoundaries().find((b) => b.code === code)?.geometry.coordinates as Position[][] | undefined;
  return ring && inRing(ring[0]!, p) ? p : fallback;
}

/** Even-odd point in ring (the point is never on an edge here: it is well inside a cell or outside). */
function inRing(ring: readonly Position[], p: LatLng): boolean {
  let inside = false;
  for (let a = 0, b = ring.length - 1; a < ring.length; b = a++) {
    const [xa, ya] = ring[a]!;
    const [xb, yb] = ring[b]!;
    if (ya > p.lat !== yb > p.lat && p.lng < ((xb - xa) * (p.lat - ya)) / (yb - ya) + xa) inside = !inside;
  }
  return inside;
}

// ───────────────────────────── seeding ─────────────────────────────

export interface DemoGeoResult {
  seeded: boolean;
  boundaries: number;
  objects: number;
}

/** The per-cell counter deltas of creating these objects, summed per (formId, regionCode). */
export function createdCells(objects: readonly SurveyObject[]): ObjectCellDelta[] {
  const cells = new Map<string, ObjectCellDelta>();
  for (const o of objects) {
    const k = `${o.formId}|${o.regionCode}`;
    const cell = cells.get(k) ?? { formId: o.formId, regionCode: o.regionCode, delta: {} };
    cells.set(k, cell);
    for (const [name, n] of Object.entries(objectCountDelta(null, o.status)) as [keyof ObjectCounts, number][]) {
      cell.delta[name] = (cell.delta[name] ?? 0) + n;
    }
  }
  return [...cells.values()];
}

/**
 * Stores the demo outlines and objects (objects in transactions of MAX_OBJECT_BATCH, with their cells' counters).
 * Idempotent: when the last demo object exists already, nothing is written; after an interrupted run, only the
 * objects not stored yet are written. Call after seed() (the demo accounts must exist for the assignments).
 */
export async function seedDemoGeo(ports: Ports, now: string): Promise<DemoGeoResult> {
  const members = await ports.directory.members();
  const userIds: Record<string, string> = {};
  for (const m of members) if (m.username) userIds[m.username] = m.userId;
  const objects = demoObjects(now, userIds).map((o) => {
    // An assignee that is not a member of this directory would be a dangling reference: leave the object unassigned.
    if (o.assignee && !members.some((m) => m.userId === o.assignee)) {
      const { assignee: _, ...rest } = o;
      return rest as SurveyObject;
    }
    return o;
  });
  const last = objects[objects.length - 1];
  if (!last || (await ports.objects.get(last.id))) return { seeded: false, boundaries: 0, objects: 0 };

  const boundaries = demoBoundaries();
  await ports.directory.putBoundaries(boundaries);
  let written = 0;
  for (let k = 0; k < objects.length; k += MAX_OBJECT_BATCH) {
    const batch = objects.slice(k, k + MAX_OBJECT_BATCH);
    const stored = new Set((await ports.objects.getMany(batch.map((o) => o.id))).map((o) => o.id));
    const todo = batch.filter((o) => !stored.has(o.id));
    if (!todo.length) continue;
    const writes: ObjectWrite[] = todo.map((o) => ({ next: o, expect: { create: true } }));
    await ports.objects.writeObjects(writes, createdCells(todo));
    written += todo.length;
  }
  return { seeded: true, boundaries: boundaries.length, objects: written };
}
