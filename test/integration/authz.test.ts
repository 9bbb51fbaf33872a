/**
 * The authorization matrix: every demo account × every route × own/other sector × own/other region, over real HTTP.
 *
 * The expectations come from the policy as documented (API.md, access.ts header), written down here independently of
 * the implementation: admin everything; viewer only progress/regions/forms; reviewer reads and reviews its sector in its
 * regions; staff reads and writes its sector in its regions (the first township). A record outside the caller's scope
 * answers exactly as a record that does not exist (404; the role gate's 403 never depends on the record either), denied
 * writes change nothing, and lists return exactly the set the caller may see.
 *
 * MATRIX below has one entry per route of ROUTES (a guard test fails when a route is missing or its role list drifts).
 * Record routes are one `recordRoute({...})` line each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, catalogForm, type CatalogEntry } from '../../functions/domain/catalog/index';
import { allFields, type FormDefinition } from '../../functions/domain/forms';
import { contains } from '../../functions/domain/regions';
import { generateSample } from '../../functions/domain/samples';
import { SECTOR_IDS, type SectorId } from '../../functions/domain/sectors';
import { validate } from '../../functions/domain/validate';
import { ROUTES } from '../../functions/http/routes';
import { Client, ifMatch, login, newId, PHOTO_BYTES, startTestStack, uploadAttachment, type Res, type TestStack } from '../support/stack';

const COUNTY = '420999000000';
/** The first township: the staff accounts' whole scope. */
const T1 = '420999001000';
/** Another township: inside the reviewers' scope, outside the staff's. */
const T2 = '420999002000';
const VILLAGE: Record<Where, string> = { T1: '420999001001', T2: '420999002001' };
const TOWNSHIP: Record<Where, string> = { T1, T2 };

type Role = 'admin' | 'reviewer' | 'staff' | 'viewer';
type Where = 'T1' | 'T2';
type State = 'draft' | 'submitted';

interface Account {
  username: string;
  role: Role;
  sector: SectorId | null;
  /** As API.md describes them (admin and viewer: the district). */
  regions: string[];
  userId: string;
  client: Client;
}

const ACCOUNT_SPECS: Omit<Account, 'userId' | 'client'>[] = [
  { username: 'admin', role: 'admin', sector: null, regions: [COUNTY] },
  { username: 'viewer', role: 'viewer', sector: null, regions: [COUNTY] },
  ...SECTOR_IDS.flatMap((s) => [
    { username: `reviewer-${s}`, role: 'reviewer' as const, sector: s, regions: [COUNTY] },
    { username: `staff-${s}`, role: 'staff' as const, sector: s, regions: [T1] },
  ]),
];
const ACCOUNTS: Account[] = ACCOUNT_SPECS.map((a) => ({ ...a, userId: '', client: undefined as unknown as Client }));

const acct = (username: string) => ACCOUNTS.find((a) => a.username === username)!;

// ── the policy, as documented ────────────────────────────────────────────────────────────────────────────────────────
const inScope = (a: Account, region: string) => a.role === 'admin' || a.regions.some((r) => contains(r, region));
const canRead = (a: Account, r: Rec) => a.role === 'admin' || ((a.role === 'staff' || a.role === 'reviewer') && a.sector === r.sector && inScope(a, r.region));
const canWrite = (a: Account, sector: SectorId, region: string) => a.role === 'admin' || (a.role === 'staff' && a.sector === sector && inScope(a, region));
const canReview = (a: Account, r: Rec) => a.role === 'admin' || (a.role === 'reviewer' && a.sector === r.sector && inScope(a, r.region));

const ALL: readonly Role[] = ['admin', 'reviewer', 'staff', 'viewer'];
const WORKERS: readonly Role[] = ['admin', 'reviewer', 'staff'];
const WRITERS: readonly Role[] = ['admin', 'staff'];
const REVIEWERS: readonly Role[] = ['admin', 'reviewer'];
const ADMIN: readonly Role[] = ['admin'];

// ── forms and records ────────────────────────────────────────────────────────────────────────────────────────────────
interface Kind {
  sector: SectorId;
  where: Where;
}
const KINDS: Kind[] = SECTOR_IDS.flatMap((sector) => (['T1', 'T2'] as const).map((where) => ({ sector, where })));

interface Rec {
  id: string;
  sector: SectorId;
  where: Where;
  formId: string;
  region: string;
  status: string;
  version: number;
  createdBy: string;
  data: Record<string, unknown>;
  attachmentId?: string;
}

/** Every submission this file creates (the stack is fresh, so this is every submission there is), kept up to date. */
const registry = new Map<string, Rec>();

interface Picked {
  entry: CatalogEntry;
  def: FormDefinition;
  /** A top-level photo/file field that is not required at submit. */
  photo: string;
  accept: string;
}

function stripAttachments(def: FormDefinition, data: Record<string, unknown>) {
  const out = { ...data };
  for (const { field, parent } of allFields(def)) {
    if (field.type !== 'photo' && field.type !== 'file') continue;
    if (!parent) delete out[field.name];
    else if (Array.isArray(out[parent.name])) {
      out[parent.name] = (out[parent.name] as Record<string, unknown>[]).map((row) => {
        const { [field.name]: _drop, ...rest } = row;
        return rest;
      });
    }
  }
  return out;
}

/**
 * Per sector, a catalog form filed per village or township whose sample passes submit without attachments and that has a
 * top-level photo field; village and township level alternate across sectors so both are covered.
 */
function pickForm(sector: SectorId, i: number): Picked {
  const want = i % 2 === 0 ? 'village' : 'township';
  const candidates = CATALOG.filter((e) => e.definition.sector === sector && e.definition.regionLevel !== 'county')
    .map((entry) => {
      const def = entry.definition;
      const photo = allFields(def).find((x) => (x.field.type === 'photo' || x.field.type === 'file') && !x.parent)?.field;
      const data = stripAttachments(def, generateSample(def, entry.sample, { regionCode: def.regionLevel === 'village' ? VILLAGE.T1 : T1 }));
      const ok = validate(def, data, { mode: 'submit', regionExists: () => true }).ok;
      return photo && (photo.type === 'photo' || photo.type === 'file') && ok ? { entry, def, photo: photo.name, accept: photo.accept[0]! } : undefined;
    })
    .filter((x): x is Picked => !!x);
  const p = candidates.find((c) => c.def.regionLevel === want) ?? candidates[0];
  if (!p) throw new Error(`no usable form for ${sector}`);
  return p;
}

const FORMS = Object.fromEntries(SECTOR_IDS.map((s, i) => [s, pickForm(s, i)])) as Record<SectorId, Picked>;

const regionOf = (k: Kind) => (FORMS[k.sector].def.regionLevel === 'village' ? VILLAGE : TOWNSHIP)[k.where];
const sampleFor = (k: Kind) => {
  const { def, entry } = FORMS[k.sector];
  return stripAttachments(def, generateSample(def, entry.sample, { regionCode: regionOf(k) }));
};
const bodyFor = (r: Pick<Rec, 'formId' | 'region' | 'data'>) => ({ formId: r.formId, regionCode: r.region, data: r.data });

let stack: TestStack;
let admin: Client;
/** Shared records per kind and state; only ever read or refused (successful writes get a fresh record each). */
const base = new Map<string, Rec>();
const baseKey = (k: Kind, s: State) => `${k.sector}@${k.where}/${s}`;

function track(r: Rec, res: Res) {
  if (res.status < 300 && res.body && typeof res.body.status === 'string') {
    r.status = res.body.status;
    r.version = res.body.version;
  }
}

/** Create a record of the kind in the state, as `by` (admin unless said otherwise), optionally with an uploaded photo. */
async function create(k: Kind, state: State, opts: { by?: Account; photo?: boolean } = {}): Promise<Rec> {
  const by = opts.by ?? acct('admin');
  const r: Rec = { id: newId(), ...k, formId: FORMS[k.sector].def.id, region: regionOf(k), status: '', version: 0, createdBy: by.userId, data: sampleFor(k) };
  let res = await by.client.put(`/api/submissions/${r.id}${state === 'submitted' && !opts.photo ? '?submit=true' : ''}`, bodyFor(r));
  if (res.status !== 201) throw new Error(`set-up: create ${k.sector}@${k.where} as ${by.username}: ${res.status} ${JSON.stringify(res.body)}`);
  registry.set(r.id, r);
  track(r, res);
  if (opts.photo) {
    r.attachmentId = await uploadAttachment(by.client, r.id, FORMS[k.sector].photo, FORMS[k.sector].accept);
    r.data = { ...r.data, [FORMS[k.sector].photo]: [r.attachmentId] };
    res = await by.client.put(`/api/submissions/${r.id}${state === 'submitted' ? '?submit=true' : ''}`, bodyFor(r), ifMatch(r.version));
    if (res.status !== 200) throw new Error(`set-up: photo on ${r.id}: ${res.status} ${JSON.stringify(res.body)}`);
    track(r, res);
  }
  expect(r.status).toBe(state);
  return r;
}

/** What admin sees of a record: used to prove that a refused write changed nothing. */
async function snapshot(id: string) {
  const r = await admin.get(`/api/submissions/${id}`);
  if (r.status !== 200) return { status: r.status };
  return { status: r.body.status, version: r.body.version, updatedAt: r.body.updatedAt, history: r.body.history.length, data: r.body.data };
}

function isProblem(res: Res) {
  return (res.headers.get('content-type') ?? '').includes('application/problem+json') && res.body?.status === res.status && typeof res.body?.code === 'string';
}

/** Table rows `who · what → status`; the test compares the whole expected table with the actual one. */
class Table {
  expected: string[] = [];
  actual: string[] = [];
  row(who: string, what: string, expected: number | string | boolean, actual: number | string | boolean) {
    this.expected.push(`${who} · ${what} → ${expected}`);
    this.actual.push(`${who} · ${what} → ${actual}`);
  }
  /** Fails listing only the rows that differ, each with what was expected. */
  check() {
    expect(this.actual.length).toBeGreaterThan(0);
    const wrong = this.actual.flatMap((row, i) => (row === this.expected[i] ? [] : [`${row}   (expected ${this.expected[i]!.split(' → ').pop()})`]));
    expect(wrong).toEqual([]);
  }
}

// ── record routes: one spec line each ───────────────────────────────────────────────────────────────────────────────
interface RecordSpec {
  /** Roles the route lets in at all (the route table's gate). */
  roles: readonly Role[];
  /** Which shared records it is tried on. */
  states: State[];
  /** The finer policy check once the caller can read the record (default: can read). */
  allowed?: (a: Account, r: Rec) => boolean;
  /** Status of a success. */
  ok: number;
  /** Whether a success changes the record (then every success gets a fresh record, and refusals must change nothing). */
  mutates: boolean;
  call: (c: Client, r: Rec) => Promise<Res>;
  /** Extra checks on a success. */
  verify?: (res: Res, r: Rec, a: Account) => Promise<void> | void;
}

interface RouteCheck {
  /** The roles the route table must let in for this route (what the policy says; compared with ROUTES). */
  roles: readonly Role[];
  /** Public routes (no token). */
  open?: boolean;
  run: () => Promise<void>;
}

function recordRoute(spec: RecordSpec): RouteCheck {
  return {
    roles: spec.roles,
    async run() {
      const t = new Table();
      for (const a of ACCOUNTS) {
        for (const k of KINDS) {
          for (const state of spec.states) {
            const shared = base.get(baseKey(k, state))!;
            const gate = spec.roles.includes(a.role);
            const expected = !gate ? 403 : !canRead(a, shared) ? 404 : (spec.allowed ?? canRead)(a, shared) ? spec.ok : 403;
            const rec = spec.mutates && expected === spec.ok ? await create(k, state, { photo: !!shared.attachmentId }) : shared;
            const before = spec.mutates ? await snapshot(rec.id) : undefined;
            const res = await spec.call(a.client, rec);
            const what = `${k.sector}@${k.where} (${state})`;
            t.row(a.username, what, expected, res.status);
            if (res.status !== expected) continue;
            if (expected === spec.ok) {
              track(rec, res);
              await spec.verify?.(res, rec, a);
              continue;
            }
            // A refusal is problem+json, answers exactly as for a record that does not exist, and changes nothing.
            t.row(a.username, `${what} problem+json`, true, isProblem(res));
            if (expected === 404) t.row(a.username, `${what} says nothing of the record`, false, JSON.stringify(res.body).includes(JSON.stringify(rec.data).slice(1, 40)));
            const ghost = await spec.call(a.client, { ...rec, id: newId() });
            t.row(a.username, `${what} same answer as a missing record`, `${res.status} ${res.body?.code}`, `${ghost.status} ${ghost.body?.code}`);
            if (spec.mutates) t.row(a.username, `${what} unchanged`, JSON.stringify(before), JSON.stringify(await snapshot(rec.id)));
          }
        }
      }
      t.check();
    },
  };
}

/** PUT without If-Match on a new id: creating a record of each sector in each region. */
async function createMatrix() {
  const t = new Table();
  for (const a of ACCOUNTS) {
    for (const k of KINDS) {
      const region = regionOf(k);
      const expected = !WRITERS.includes(a.role) ? 403 : canWrite(a, k.sector, region) ? 201 : 403;
      const r: Rec = { id: newId(), ...k, formId: FORMS[k.sector].def.id, region, status: '', version: 0, createdBy: a.userId, data: sampleFor(k) };
      const res = await a.client.put(`/api/submissions/${r.id}`, bodyFor(r));
      t.row(a.username, `create ${k.sector}@${k.where}`, expected, res.status);
      if (res.status === 201) {
        registry.set(r.id, r);
        track(r, res);
        t.row(a.username, `create ${k.sector}@${k.where} author`, a.userId, res.body.createdBy);
      } else {
        t.row(a.username, `create ${k.sector}@${k.where} nothing written`, 404, (await admin.get(`/api/submissions/${r.id}`)).status);
      }
    }
  }
  t.check();
}

// ── lists ───────────────────────────────────────────────────────────────────────────────────────────────────────────
async function listAll(c: Client, path: string, query: string, limit = 200): Promise<{ status: number; ids: string[]; items: any[] }> {
  const items: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const qs: string = [query, `limit=${limit}`, cursor ? `cursor=${encodeURIComponent(cursor)}` : ''].filter(Boolean).join('&');
    const r: Res = await c.get(`${path}?${qs}`);
    if (r.status !== 200) return { status: r.status, ids: [], items: [] };
    items.push(...r.body.items);
    cursor = r.body.nextCursor;
    if (!cursor) return { status: 200, ids: items.map((x) => x.id).sort(), items };
  }
  throw new Error(`${path}?${query}: more than 100 pages`);
}

interface ListQuery {
  q: string;
  match: (r: Rec, a: Account) => boolean;
  limit?: number;
}

const LIST_QUERIES = (): ListQuery[] => [
  { q: '', match: () => true },
  { q: '', match: () => true, limit: 7 },
  ...SECTOR_IDS.map((s) => ({ q: `formId=${FORMS[s].def.id}`, match: (r: Rec) => r.formId === FORMS[s].def.id })),
  { q: `regionCode=${T2}`, match: (r: Rec) => contains(T2, r.region) },
  { q: `regionCode=${T1}&status=draft`, match: (r: Rec) => contains(T1, r.region) && r.status === 'draft' },
  { q: `regionCode=${VILLAGE.T2}`, match: (r: Rec) => contains(VILLAGE.T2, r.region) },
  { q: 'mine=true', match: (r: Rec, a: Account) => r.createdBy === a.userId },
  { q: `mine=true&regionCode=${T1}`, match: (r: Rec, a: Account) => r.createdBy === a.userId && contains(T1, r.region) },
  { q: 'status=submitted', match: (r: Rec) => r.status === 'submitted' },
  { q: 'sector=housing', match: (r: Rec) => r.sector === 'housing' },
];

async function listMatrix(path: string, roles: readonly Role[], queries: ListQuery[], visible: (a: Account, r: Rec) => boolean) {
  const t = new Table();
  let nonEmpty = 0;
  for (const a of ACCOUNTS) {
    for (const { q, match, limit } of queries) {
      const what = `${path}?${q}${limit ? ` (pages of ${limit})` : ''}`;
      const got = await listAll(a.client, path, q, limit);
      if (!roles.includes(a.role)) {
        t.row(a.username, what, 403, got.status);
        continue;
      }
      const expected = [...registry.values()].filter((r) => visible(a, r) && match(r, a)).map((r) => r.id).sort();
      if (expected.length) nonEmpty++;
      t.row(a.username, what, `200 ${JSON.stringify(expected)}`, `${got.status} ${JSON.stringify(got.ids)}`);
      if (a.sector) t.row(a.username, `${what} only own sector`, true, got.items.every((x) => x.sector === a.sector));
    }
  }
  t.check();
  // The comparison means something only if lists are not all empty.
  expect(nonEmpty).toBeGreaterThan(10);
}

// ── progress, targets ──────────────────────────────────────────────────────────────────────────────────────────────
async function formTarget(formId: string, region: string, sector: SectorId): Promise<number> {
  const r = await admin.get(`/api/progress?region=${region}&sector=${sector}`);
  expect(r.status).toBe(200);
  for (const s of r.body.sectors) for (const p of s.parts) for (const f of p.forms) if (f.formId === formId) return f.total.target;
  throw new Error(`${formId} missing from progress of ${region}`);
}

/** A path of the route with its parameters filled with plausible values (a form of the caller's own sector, if any). */
function concrete(path: string, a?: Account) {
  const formId = a?.sector ? FORMS[a.sector].def.id : 'emergency.shelter';
  return path.replace('{id}', newId()).replace('{attachmentId}', newId()).replace('{formId}', formId).replace('{version}', '1').replace('{userId}', newId());
}

/**
 * The least a route's entry checks: every role outside `roles` gets the route table's 403 (before any body or record is
 * looked at), every role inside gets through the gate (not 401/403 — the probe asks for something in the caller's own
 * scope or something invalid) and never a 5xx. Routes with finer rules deserve a fuller entry like the ones above.
 */
function gate(method: string, path: string, roles: readonly Role[], probe: { query?: string; body?: unknown } = {}): RouteCheck {
  return {
    roles,
    async run() {
      const t = new Table();
      for (const a of ACCOUNTS) {
        const url = `${concrete(path, a)}${probe.query ? `?${probe.query}` : ''}`;
        const r = await a.client.req(method, url, method === 'GET' ? undefined : (probe.body ?? {}));
        const inside = roles.includes(a.role);
        const got = r.status === 403 ? `403 ${r.body?.code}` : r.status === 401 || r.status >= 500 ? `${r.status} ${r.body?.code}` : 'through the gate';
        t.row(a.username, `${method} ${url}`, inside ? 'through the gate' : '403 access.forbidden', got);
      }
      t.check();
    },
  };
}

// ── survey objects ────────────────────────────────────────────────────────────────────────────────────────────────
/** An object table per sector, and the region of its level in a township. */
const OBJECT_FORMS: Record<SectorId, string> = { emergency: 'emergency.shelter', agriculture: 'agriculture.reservoir', forestry: 'forestry.fire-depot', housing: 'housing.rural-house' };
const OBJECT_REGION = (formId: string, where: Where) => (catalogForm(formId)!.regionLevel === 'township' ? TOWNSHIP[where] : VILLAGE[where]);
let seededObjects: { id: string; sector: SectorId; region: string }[] | undefined;
/** One listed object per sector and township, made by the administrator (once). */
async function seedObjects() {
  if (seededObjects) return seededObjects;
  seededObjects = [];
  for (const s of SECTOR_IDS) {
    for (const where of ['T1', 'T2'] as const) {
      const formId = OBJECT_FORMS[s];
      const region = OBJECT_REGION(formId, where);
      const r = await admin.post('/api/objects', { formId, regionCode: region, name: `名录-${s}-${where}`, code: `AZ-${s}-${where}` });
      expect(r.status).toBe(201);
      seededObjects.push({ id: r.body.id, sector: s, region });
    }
  }
  return seededObjects;
}

// ── the matrix: one entry per route ────────────────────────────────────────────────────────────────────────────────
const photoRequest = (r: Rec) => ({ field: FORMS[r.sector].photo, contentType: FORMS[r.sector].accept, size: PHOTO_BYTES.length, fileName: 'p.jpg' });

const MATRIX: Record<string, RouteCheck> = {
  'GET /api/health': {
    roles: ALL,
    open: true,
    async run() {
      const t = new Table();
      for (const c of [new Client(stack.url), ...ACCOUNTS.map((a) => a.client)]) {
        const r = await c.get('/api/health');
        t.row(c.token ? 'token' : 'anonymous', 'health', '200 true', `${r.status} ${r.body?.ok}`);
      }
      t.check();
    },
  },
  'POST /api/auth/login': {
    roles: ALL,
    open: true,
    async run() {
      const t = new Table();
      for (const a of ACCOUNTS) {
        const r = await new Client(stack.url).post('/api/auth/login', { username: a.username, password: 'Census-2021!' });
        t.row(a.username, 'login', 200, r.status);
        const me = await new Client(stack.url, r.body?.token).get('/api/me');
        t.row(a.username, 'token is theirs', a.username, me.body?.username);
      }
      t.row('admin', 'wrong password', 401, (await new Client(stack.url).post('/api/auth/login', { username: 'admin', password: 'census-2021!' })).status);
      t.check();
    },
  },
  'GET /api/me': {
    roles: ALL,
    async run() {
      const t = new Table();
      for (const a of ACCOUNTS) {
        const r = await a.client.get('/api/me');
        t.row(a.username, 'me', 200, r.status);
        t.row(a.username, 'role/sector', `${a.role}/${a.sector}`, `${r.body.role}/${r.body.sector}`);
        if (a.role === 'staff' || a.role === 'reviewer') t.row(a.username, 'regions', JSON.stringify(a.regions), JSON.stringify(r.body.regions));
        else t.row(a.username, 'regions include the district', true, Array.isArray(r.body.regions) && r.body.regions.includes(COUNTY));
        t.row(a.username, 'shape', 'displayName,regions,role,sector,userId,username', Object.keys(r.body).sort().join(','));
      }
      expect(acct('staff-housing').regions).toEqual(['420999001000']);
      t.check();
    },
  },
  'GET /api/regions': { roles: ALL, run: () => everyoneReads('/api/regions', (b) => Array.isArray(b) && b.some((r: any) => r.code === T2)) },
  'GET /api/forms': { roles: ALL, run: () => everyoneReads('/api/forms', (b) => Array.isArray(b) && SECTOR_IDS.every((s) => b.some((f: any) => f.sector === s))) },
  'GET /api/forms/{formId}': { roles: ALL, run: () => everyoneReads('/api/forms/housing.rural-house', (b) => b?.id === 'housing.rural-house' && Array.isArray(b.fields)) },
  'GET /api/forms/{formId}/versions/{version}': { roles: ALL, run: () => everyoneReads('/api/forms/emergency.shelter/versions/1', (b) => b?.version === 1) },
  'GET /api/submissions': { roles: WORKERS, run: () => listMatrix('/api/submissions', WORKERS, LIST_QUERIES(), canRead) },
  'GET /api/review-queue': {
    roles: REVIEWERS,
    run: () =>
      listMatrix(
        '/api/review-queue',
        REVIEWERS,
        [
          { q: '', match: () => true },
          { q: '', match: () => true, limit: 3 },
          { q: `regionCode=${T2}`, match: (r) => contains(T2, r.region) },
          { q: `formId=${FORMS.forestry.def.id}`, match: (r) => r.formId === FORMS.forestry.def.id },
        ],
        (a, r) => canReview(a, r) && r.status === 'submitted',
      ),
  },
  'GET /api/submissions/{id}': recordRoute({
    roles: WORKERS,
    states: ['draft', 'submitted'],
    ok: 200,
    mutates: false,
    call: (c, r) => c.get(`/api/submissions/${r.id}`),
    verify: (res, r) => {
      expect(res.body).toMatchObject({ id: r.id, sector: r.sector, regionCode: r.region, version: r.version });
    },
  }),
  'PUT /api/submissions/{id}': {
    roles: WRITERS,
    async run() {
      await recordRoute({
        roles: WRITERS,
        states: ['draft'],
        ok: 200,
        mutates: true,
        call: (c, r) => c.put(`/api/submissions/${r.id}`, bodyFor(r), ifMatch(r.version)),
        verify: (res, r) => expect(res.body).toMatchObject({ id: r.id, status: 'draft' }),
      }).run();
      await createMatrix();
    },
  },
  'POST /api/submissions/{id}/submit': recordRoute({
    roles: WRITERS,
    states: ['draft'],
    ok: 200,
    mutates: true,
    call: (c, r) => c.post(`/api/submissions/${r.id}/submit`, undefined, ifMatch(r.version)),
    verify: (res) => expect(res.body.status).toBe('submitted'),
  }),
  'POST /api/submissions/{id}/review': recordRoute({
    roles: REVIEWERS,
    states: ['submitted'],
    allowed: canReview,
    ok: 200,
    mutates: true,
    call: (c, r) => c.post(`/api/submissions/${r.id}/review`, { decision: 'approve', note: '' }, ifMatch(r.version)),
    verify: (res) => expect(res.body.status).toBe('approved'),
  }),
  'POST /api/submissions/{id}/admin': recordRoute({
    roles: ADMIN,
    states: ['draft', 'submitted'],
    ok: 200,
    mutates: true,
    call: (c, r) => c.post(`/api/submissions/${r.id}/admin`, { action: 'void', note: '重复录入' }, ifMatch(r.version)),
    verify: (res) => expect(res.body.status).toBe('voided'),
  }),
  'POST /api/submissions/{id}/attachments': recordRoute({
    roles: WRITERS,
    states: ['draft'],
    allowed: (a, r) => canWrite(a, r.sector, r.region),
    ok: 201,
    mutates: false,
    call: (c, r) => c.post(`/api/submissions/${r.id}/attachments`, photoRequest(r)),
    verify: (res, r) => {
      expect(res.body.attachmentId).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.upload.fields.key).toBe(`attachments/${r.id}/${res.body.attachmentId}`);
    },
  }),
  'GET /api/submissions/{id}/attachments/{attachmentId}': recordRoute({
    roles: WORKERS,
    states: ['draft'],
    ok: 200,
    mutates: false,
    call: (c, r) => c.get(`/api/submissions/${r.id}/attachments/${r.attachmentId}`),
    verify: async (res) => {
      const file = await fetch(new URL(res.body.url, stack.url));
      expect(file.status).toBe(200);
      expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(PHOTO_BYTES))).toBe(true);
    },
  }),
  'PUT /api/targets': {
    roles: ADMIN,
    async run() {
      const { def } = FORMS.emergency;
      const cell = regionOf({ sector: 'emergency', where: 'T1' });
      const before = await formTarget(def.id, cell, 'emergency');
      const t = new Table();
      for (const a of ACCOUNTS.filter((x) => x.role !== 'admin')) {
        const r = await a.client.put('/api/targets', { targets: [{ formId: def.id, regionCode: cell, target: before + 7 }] });
        t.row(a.username, 'put targets', 403, r.status);
      }
      t.row('everyone but admin', 'target unchanged', before, await formTarget(def.id, cell, 'emergency'));
      const r = await admin.put('/api/targets', { targets: [{ formId: def.id, regionCode: cell, target: before + 7 }] });
      t.row('admin', 'put targets', '200 1', `${r.status} ${r.body?.updated}`);
      t.row('admin', 'target changed', before + 7, await formTarget(def.id, cell, 'emergency'));
      t.check();
    },
  },
  'GET /api/progress': {
    roles: ALL,
    async run() {
      const t = new Table();
      for (const a of ACCOUNTS) {
        for (const region of [COUNTY, T1, T2, VILLAGE.T1, VILLAGE.T2, undefined]) {
          const r = await a.client.get(`/api/progress${region ? `?region=${region}` : ''}`);
          const mine = region === undefined ? (a.role === 'staff' ? T1 : COUNTY) : region;
          const expected = inScope(a, mine) ? `200 ${mine}` : 404;
          t.row(a.username, `progress ${region ?? '(default)'}`, expected, r.status === 200 ? `200 ${r.body.region.code}` : r.status);
        }
      }
      t.check();
    },
  },
  'GET /api/progress/history': {
    roles: ALL,
    async run() {
      const t = new Table();
      for (const a of ACCOUNTS) {
        for (const region of [undefined, COUNTY]) {
          const r = await a.client.get(`/api/progress/history${region ? `?region=${region}` : ''}`);
          // District-wide figures: only for those whose scope holds the district (staff: 404, like /api/progress).
          t.row(a.username, `history ${region ?? '(default)'}`, inScope(a, COUNTY) ? `200 ${COUNTY}` : 404, r.status === 200 ? `200 ${r.body.region.code}` : r.status);
        }
      }
      t.check();
    },
  },
  'GET /api/targets': {
    roles: ALL,
    async run() {
      const regions: { code: string; level: string }[] = (await admin.get('/api/regions')).body;
      const t = new Table();
      for (const s of SECTOR_IDS) {
        const { def } = FORMS[s];
        for (const a of ACCOUNTS) {
          const r = await a.client.get(`/api/targets?formId=${def.id}`);
          // Cells of the form's level inside the caller's progress scope, whatever the caller's sector (aggregate data).
          const expected = regions.filter((x) => x.level === def.regionLevel && inScope(a, x.code)).map((x) => x.code).sort();
          t.row(a.username, `targets ${def.id}`, `200 ${JSON.stringify(expected)}`, `${r.status} ${JSON.stringify(r.status === 200 ? r.body.map((c: { regionCode: string }) => c.regionCode).sort() : null)}`);
        }
      }
      t.check();
    },
  },
  'GET /api/members': {
    roles: REVIEWERS,
    async run() {
      const t = new Table();
      for (const a of ACCOUNTS) {
        const r = await a.client.get('/api/members');
        t.row(a.username, 'members', REVIEWERS.includes(a.role) ? 200 : 403, r.status);
        if (r.status !== 200) continue;
        const names = r.body.map((m: { username: string }) => m.username).sort();
        if (a.role === 'admin') {
          t.row(a.username, 'members: everyone', JSON.stringify(ACCOUNTS.map((x) => x.username).sort()), JSON.stringify(names));
        } else {
          // A reviewer sees their sector's members within their regions (the demo reviewers have the district) and the
          // administrators by name only.
          const expected = ACCOUNTS.filter((x) => x.role === 'admin' || x.sector === a.sector).map((x) => x.username).sort();
          t.row(a.username, 'members: own sector and admins', JSON.stringify(expected), JSON.stringify(names));
          t.row(a.username, 'members: admins without regions', false, r.body.some((m: { role: string }) => m.role === 'admin' && 'regions' in m));
        }
      }
      t.check();
    },
  },
  'POST /api/me/password': {
    roles: ALL,
    async run() {
      // Everyone may change their own password (and only their own: the route takes no user); a wrong current password
      // is a 422 on currentPassword and changes nothing — the demo password still signs in.
      const t = new Table();
      for (const a of ACCOUNTS) {
        const r = await a.client.post('/api/me/password', { currentPassword: 'not-the-password-at-all', newPassword: 'a long enough new pass phrase' });
        t.row(a.username, 'wrong current', '422 currentPassword', `${r.status} ${r.body?.errors?.[0]?.path}`);
        t.row(a.username, 'still signs in', 200, (await new Client(stack.url).post('/api/auth/login', { username: a.username, password: 'Census-2021!' })).status);
      }
      t.check();
    },
  },
  'POST /api/members': {
    roles: ADMIN,
    async run() {
      // Nobody but an administrator creates members — a reviewer of the same sector and region, or staff making an
      // administrator, get 403 and nothing is created.
      const t = new Table();
      for (const a of ACCOUNTS) {
        const username = `authz-${a.username}-${newId().slice(0, 6)}`;
        const body = a.role === 'staff' || a.role === 'reviewer'
          ? { username, displayName: 'x', role: 'staff', sector: a.sector, regions: [VILLAGE.T1] }
          : { username, displayName: 'x', role: 'admin', regions: [] };
        const r = await a.client.post('/api/members', body);
        t.row(a.username, 'create', a.role === 'admin' ? 201 : 403, r.status);
        const listed = (await admin.get('/api/members')).body.some((m: { username: string }) => m.username === username);
        t.row(a.username, 'created', a.role === 'admin', listed);
        if (r.status === 201) {
          const id = r.body.member.userId;
          const off = await admin.put(`/api/members/${id}`, { status: 'disabled' }, ifMatch(r.body.member.version));
          t.row(a.username, 'tidy up', 200, off.status);
        }
      }
      t.check();
    },
  },
  'PUT /api/members/{userId}': {
    roles: ADMIN,
    async run() {
      // Staff raising their own role, a reviewer changing a member of their own sector and region, a viewer: all 403,
      // and nobody's membership changes. The administrator gets through (412 for a stale version).
      const t = new Table();
      const staffOfForestry = acct('staff-forestry');
      for (const a of ACCOUNTS) {
        const self = await a.client.put(`/api/members/${a.userId}`, { role: 'admin' }, ifMatch(1000));
        t.row(a.username, 'raise own role', a.role === 'admin' ? 412 : 403, self.status);
        const other = await a.client.put(`/api/members/${staffOfForestry.userId}`, { regions: [COUNTY] }, ifMatch(1000));
        t.row(a.username, 'change staff-forestry', a.role === 'admin' ? 412 : 403, other.status);
      }
      for (const a of ACCOUNTS) t.row(a.username, 'role unchanged', a.role, (await a.client.get('/api/me')).body.role);
      t.row('staff-forestry', 'regions unchanged', JSON.stringify([T1]), JSON.stringify((await staffOfForestry.client.get('/api/me')).body.regions));
      t.check();
    },
  },
  'GET /api/members/{userId}': {
    roles: ADMIN,
    async run() {
      const t = new Table();
      for (const a of ACCOUNTS) {
        const own = await a.client.get(`/api/members/${a.userId}`);
        t.row(a.username, 'own member page', a.role === 'admin' ? 200 : 403, own.status);
        const other = await a.client.get(`/api/members/${acct('staff-housing').userId}`);
        t.row(a.username, 'another member', a.role === 'admin' ? 200 : 403, other.status);
      }
      t.check();
    },
  },
  'POST /api/forms': {
    roles: ADMIN,
    async run() {
      // Everyone but the administrator is refused a publish of a valid definition, and nothing is published.
      const t = new Table();
      const base = (await admin.get('/api/forms/emergency.shelter')).body as FormDefinition;
      for (const a of ACCOUNTS) {
        const id = `emergency.authz-${a.username.replace(/[^a-z0-9]/g, '')}`;
        const r = await a.client.post('/api/forms', { definition: { ...base, id } });
        t.row(a.username, 'publish a new form', a.role === 'admin' ? '201 1' : 403, r.status === 201 ? `201 ${r.body.version}` : r.status);
        t.row(a.username, 'published?', a.role === 'admin' ? 200 : 404, (await admin.get(`/api/forms/${id}`)).status);
      }
      t.check();
    },
  },
  'POST /api/forms/xlsform': gate('POST', '/api/forms/xlsform', ADMIN),
  'GET /api/forms/{formId}/xlsform': gate('GET', '/api/forms/{formId}/xlsform', REVIEWERS),
  'GET /api/forms/{formId}/versions': gate('GET', '/api/forms/{formId}/versions', REVIEWERS),
  'GET /api/forms/{formId}/diff': gate('GET', '/api/forms/{formId}/diff', ALL),
  'POST /api/forms/{formId}/retire': gate('POST', '/api/forms/{formId}/retire', ADMIN),
  'GET /api/members/drift': gate('GET', '/api/members/drift', ADMIN),
  'POST /api/members/import': gate('POST', '/api/members/import', ADMIN),
  'GET /api/members/import/{id}': gate('GET', '/api/members/import/{id}', ADMIN),
  'POST /api/members/import/{id}/commit': gate('POST', '/api/members/import/{id}/commit', ADMIN),
  'GET /api/members/import/{id}/slips': gate('GET', '/api/members/import/{id}/slips', ADMIN),
  'POST /api/members/{userId}/reset-password': gate('POST', '/api/members/{userId}/reset-password', ADMIN),
  'POST /api/members/{userId}/handover': gate('POST', '/api/members/{userId}/handover', ADMIN, { body: { to: 'nobody' } }),
  // Gate-level entries (one line each) for the data routes: exports, imports, targets import/attest/history, briefing, deadline.
  'POST /api/exports': gate('POST', '/api/exports', WORKERS),
  'GET /api/exports/{id}': gate('GET', '/api/exports/{id}', WORKERS),
  'GET /api/forms/{formId}/template': gate('GET', '/api/forms/{formId}/template', WRITERS),
  'POST /api/imports/uploads': gate('POST', '/api/imports/uploads', WRITERS),
  'POST /api/imports': gate('POST', '/api/imports', WRITERS),
  'GET /api/imports/{id}': gate('GET', '/api/imports/{id}', WRITERS),
  'POST /api/imports/{id}/commit': gate('POST', '/api/imports/{id}/commit', WRITERS),
  'POST /api/regions/import': gate('POST', '/api/regions/import', ADMIN),
  'POST /api/targets/import': gate('POST', '/api/targets/import', ADMIN),
  'GET /api/targets/history': gate('GET', '/api/targets/history', ALL),
  'POST /api/targets/attest': gate('POST', '/api/targets/attest', REVIEWERS),
  'GET /api/briefing': gate('GET', '/api/briefing', ALL),
  'GET /api/settings/deadline': gate('GET', '/api/settings/deadline', ALL),
  'PUT /api/settings/deadline': gate('PUT', '/api/settings/deadline', ADMIN),
  // ── survey objects and boundaries: the lists are scoped like records (sector, regions); viewers read their regions
  'GET /api/objects': {
    roles: ALL,
    async run() {
      const made = await seedObjects();
      const t = new Table();
      for (const a of ACCOUNTS) {
        const items: { id: string }[] = [];
        let cursor: string | undefined;
        do {
          const r = await a.client.get(`/api/objects?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          expect(r.status).toBe(200);
          items.push(...r.body.items);
          cursor = r.body.nextCursor ?? undefined;
        } while (cursor);
        const seen = items.map((o) => o.id).filter((id) => made.some((m) => m.id === id)).sort();
        const expected = made.filter((m) => a.role === 'admin' || ((a.role === 'viewer' || m.sector === a.sector) && a.regions.some((r) => contains(r, m.region)))).map((m) => m.id).sort();
        t.row(a.username, 'GET /api/objects', JSON.stringify(expected), JSON.stringify(seen));
      }
      t.check();
    },
  },
  'GET /api/objects/{id}': {
    roles: ALL,
    async run() {
      const made = await seedObjects();
      const t = new Table();
      for (const a of ACCOUNTS) {
        for (const m of made) {
          const visible = a.role === 'admin' || ((a.role === 'viewer' || m.sector === a.sector) && a.regions.some((r) => contains(r, m.region)));
          const r = await a.client.get(`/api/objects/${encodeURIComponent(m.id)}`);
          t.row(a.username, `GET ${m.id}`, visible ? 200 : 404, r.status);
        }
      }
      t.check();
    },
  },
  'POST /api/objects': {
    roles: WORKERS,
    async run() {
      const t = new Table();
      for (const a of ACCOUNTS) {
        for (const where of ['T1', 'T2'] as const) {
          const formId = OBJECT_FORMS[a.sector ?? 'emergency'];
          const r = await a.client.post('/api/objects', { formId, regionCode: OBJECT_REGION(formId, where), name: `新增-${a.username}-${where}`, found: true });
          const may = a.role === 'admin' || (a.role !== 'viewer' && a.regions.some((x) => contains(x, TOWNSHIP[where])));
          t.row(a.username, `found object in ${where}`, may ? 201 : 403, r.status);
        }
      }
      t.check();
    },
  },
  'POST /api/objects/assign': gate('POST', '/api/objects/assign', REVIEWERS, { body: { ids: ['emergency.shelter~NONE'], assignee: null } }),
  'POST /api/objects/import': gate('POST', '/api/objects/import', REVIEWERS, { query: 'formId=no.such-table' }),
  'GET /api/objects/import/{id}': gate('GET', '/api/objects/import/{id}', REVIEWERS),
  'POST /api/objects/import/{id}/commit': gate('POST', '/api/objects/import/{id}/commit', REVIEWERS),
  'POST /api/objects/{id}/status': gate('POST', '/api/objects/{id}/status', REVIEWERS, { body: { status: 'not-required', note: 'x' } }),
  'PUT /api/regions/boundaries': gate('PUT', '/api/regions/boundaries', ADMIN, { body: { type: 'FeatureCollection', features: [] } }),
  'GET /api/regions/boundaries': gate('GET', '/api/regions/boundaries', ALL),
  'POST /api/admin/reconcile': {
    roles: ADMIN,
    async run() {
      const t = new Table();
      for (const a of ACCOUNTS) {
        const r = await a.client.post('/api/admin/reconcile', {});
        t.row(a.username, 'reconcile', a.role === 'admin' ? 200 : 403, r.status);
        // After everything above (refused writes included) the counters still match the records.
        if (r.status === 200) t.row(a.username, 'no drift', '[] ' + registry.size, `${JSON.stringify(r.body.drift)} ${r.body.submissions}`);
      }
      t.check();
    },
  },
};

async function everyoneReads(path: string, ok: (body: any) => boolean) {
  const t = new Table();
  for (const a of ACCOUNTS) {
    const r = await a.client.get(path);
    t.row(a.username, path, '200 true', `${r.status} ${ok(r.body)}`);
  }
  t.check();
}

// ── set-up ──────────────────────────────────────────────────────────────────────────────────────────────────────────
beforeAll(async () => {
  stack = await startTestStack();
  for (const a of ACCOUNTS) {
    a.client = await login(stack.url, a.username);
    a.userId = (await a.client.get('/api/me')).body.userId;
  }
  admin = acct('admin').client;
  // As admin: per sector and township, a draft with an uploaded photo and a submitted record.
  for (const k of KINDS) {
    base.set(baseKey(k, 'draft'), await create(k, 'draft', { photo: true }));
    base.set(baseKey(k, 'submitted'), await create(k, 'submitted'));
  }
  // Each staff member files one draft and one submitted record of their own (for `mine=true` and the team rule).
  for (const s of SECTOR_IDS) {
    await create({ sector: s, where: 'T1' }, 'draft', { by: acct(`staff-${s}`) });
    await create({ sector: s, where: 'T1' }, 'submitted', { by: acct(`staff-${s}`) });
  }
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

describe('authorization matrix', () => {
  it('covers every route of the route table, with the role gate the policy expects', () => {
    const keys = ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(Object.keys(MATRIX).sort()).toEqual([...keys].sort());
    for (const r of ROUTES) {
      const m = MATRIX[`${r.method} ${r.path}`]!;
      expect([...r.roles].sort(), `${r.method} ${r.path} roles`).toEqual([...m.roles].sort());
      expect(r.auth, `${r.method} ${r.path} auth`).toBe(!m.open);
    }
  });

  it('picks forms filed per village and per township', () => {
    const levels = new Set(SECTOR_IDS.map((s) => FORMS[s].def.regionLevel));
    expect(levels).toEqual(new Set(['village', 'township']));
    expect(base.size).toBe(16);
  });

  it('answers 401 without a token on every route that needs one', async () => {
    const t = new Table();
    for (const r of ROUTES.filter((x) => x.auth)) {
      const res = await new Client(stack.url).req(r.method, concrete(r.path), r.method === 'GET' ? undefined : {});
      t.row('anonymous', `${r.method} ${r.path}`, 401, res.status);
    }
    t.check();
  });

  it.each(Object.keys(MATRIX))('%s', async (key) => {
    await MATRIX[key]!.run();
  }, 300_000);

  it('a cursor taken from someone else’s list, or forged, lists nothing outside scope and is never a 500', async () => {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    // Real cursors from admin's lists (they point into every sector's partitions and into the other township).
    const cursors: string[] = [];
    for (const [path, q] of [['/api/submissions', ''], ['/api/submissions', `formId=${FORMS.housing.def.id}`], ['/api/submissions', 'mine=true'], ['/api/review-queue', '']] as const) {
      let cursor: string | null = null;
      for (let i = 0; i < 4; i++) {
        const r: Res = await admin.get(`${path}?${[q, 'limit=2', cursor ? `cursor=${cursor}` : ''].filter(Boolean).join('&')}`);
        expect(r.status).toBe(200);
        cursor = r.body.nextCursor;
        if (!cursor) break;
        cursors.push(cursor, cursor.startsWith('s') ? cursor.replace(/^s\d_/, '') : `s0_${cursor}`);
      }
    }
    expect(cursors.length).toBeGreaterThan(20);
    const partitionOf = (s: SectorId) => enc({ p: 0, k: { id: newId(), sectorCounty: `${s}#${COUNTY}`, regionUpdated: `${VILLAGE.T2}#2020-01-01T00:00:00.000Z` } });
    const forged = [...SECTOR_IDS.map((s) => `s0_${partitionOf(s)}`), partitionOf('housing'), `s0_${enc({ p: 0, k: 'x' })}`, enc({ p: 0, k: { id: 5 } }), `s0_${enc({ p: 0, k: { createdBy: 'someone', id: 'x', updatedAt: 'y' } })}`];
    // Accounts in parallel (each its own table, merged in a fixed order).
    const tables = await Promise.all(ACCOUNTS.filter((x) => x.role === 'staff' || x.role === 'reviewer').map(async (a) => {
      const t = new Table();
      for (const cursor of [...cursors, ...forged]) {
        for (const path of ['/api/submissions?', '/api/submissions?mine=true&', `/api/submissions?formId=${FORMS[a.sector!].def.id}&`, ...(a.role === 'reviewer' ? ['/api/review-queue?'] : [])]) {
          const r = await a.client.get(`${path}cursor=${cursor}`);
          const leaked = r.status === 200 ? r.body.items.filter((x: { id: string }) => !canRead(a, registry.get(x.id) ?? ({ sector: 'none' } as unknown as Rec))).length : 0;
          const ok = (r.status === 200 && leaked === 0) || (r.status === 400 && r.body.code === 'request.bad-parameter');
          t.row(a.username, `${path}cursor=${cursor.slice(0, 24)}…`, 'no leak, 200 or 400', ok ? 'no leak, 200 or 400' : `${r.status} ${leaked} leaked ${r.body?.code}`);
        }
      }
      // A start key in another sector's partition cannot be used: 400.
      const other = SECTOR_IDS.find((s) => s !== a.sector)!;
      const r = await a.client.get(`/api/submissions?cursor=s0_${partitionOf(other)}`);
      t.row(a.username, `cursor into the ${other} partition`, 400, r.status);
      return t;
    }));
    const all = new Table();
    for (const t of tables) {
      all.expected.push(...t.expected);
      all.actual.push(...t.actual);
    }
    all.check();
  }, 180_000);

  it('staff of one sector never see another sector’s ids, whatever the filter', async () => {
    for (const s of SECTOR_IDS) {
      const staff = acct(`staff-${s}`).client;
      const others = new Set([...registry.values()].filter((r) => r.sector !== s).map((r) => r.id));
      for (const q of ['', `regionCode=${COUNTY}`, `regionCode=${T2}`, 'status=submitted', 'status=approved', ...SECTOR_IDS.map((x) => `sector=${x}`), ...SECTOR_IDS.map((x) => `formId=${FORMS[x].def.id}`)]) {
        const got = await listAll(staff, '/api/submissions', q);
        expect(got.status).toBe(200);
        expect(got.ids.filter((id) => others.has(id)), `staff-${s} ?${q}`).toEqual([]);
      }
    }
  }, 120_000);
});
