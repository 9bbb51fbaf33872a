/**
 * The bad-input catalogue (issue 8): hostile and broken requests through the HTTP API. Every case asserts the exact status
 * (and code) AND that nothing changed: the target drafts keep their version, status, data and history, the district's
 * progress counters are identical, and a create attempt leaves no record behind. test/integration/errors.test.ts shows one
 * example per status; this file is the long list, with the state check after each case.
 *
 * A second list holds hostile input that is legitimate text (HTML, `javascript:` URLs, zero-width and RTL characters, NFD,
 * big CJK answers): accepted and stored verbatim as text (NFC-normalised), one version and one audit entry per write.
 *
 * Decisions recorded here:
 *  - lone surrogates (`"\ud800"`, valid JSON but not valid Unicode; I-JSON forbids them) → 400 request.malformed, code
 *    `encoding` with the path, for any key or string of any body;
 *  - attachment file names are metadata only: `../`, NUL and 300-byte (CJK) names are accepted (201) and never reach the
 *    storage key `attachments/<submission>/<uuid>`; a name over 255 characters → 400;
 *  - bodies nested deeper than 32 levels (DynamoDB's own limit; the deepest real answer is 7) → 400, code `too-deep`;
 *  - a stored record over 350 KB (NFC normalisation can grow a 250 KB body past DynamoDB's 400 KB item limit) → 413.
 */
import { readFileSync } from 'node:fs';
import { generateKeyPair, importJWK, SignJWT, exportSPKI, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, catalogForm } from '../../functions/domain/catalog/index';
import { defineForm, type FormDefinition } from '../../functions/domain/forms';
import { generateSample } from '../../functions/domain/samples';
import { getPorts } from '../../functions/http/ports';
import { AUDIENCE, ISSUER } from '../../functions/adapters/identity/local';
import { Client, ifMatch, login, newId, startTestStack, uploadAttachment, type Res, type TestStack } from '../support/stack';

const FORM = 'emergency.shelter';
const COUNTY = '420999000000';
const VILLAGE = '420999001001';
const def = catalogForm(FORM) as FormDefinition;
const entry = CATALOG.find((e) => e.definition.id === FORM)!;

/** A form with long text fields, for the size cases (the catalogue's text fields are at most a few hundred characters). */
const LONG_TEXT = defineForm({
  id: 'emergency.reliability-long-text',
  version: 1,
  sector: 'emergency',
  part: 'capability',
  title: { zh: '长文本测试表', en: 'Long text test form' },
  unit: 'object',
  regionLevel: 'village',
  fields: Array.from({ length: 30 }, (_, i) => ({ name: `t${i}`, label: { zh: `文本${i}`, en: `Text ${i}` }, type: 'text' as const, maxLength: 10_000 })),
});

let stack: TestStack;
let staff: Client;
let admin: Client;
/** A complete draft (submittable: its photo is uploaded): the target of most bad writes. */
let target: string;
let full: Record<string, unknown>;
/** An incomplete draft (no managing unit): submitting it fails validation. */
let partial: string;
let staffSub: string;
let keysFile: string;

beforeAll(async () => {
  stack = await startTestStack();
  keysFile = `${stack.dataDir}/keys/signing-key.json`;
  await (await getPorts()).directory.publishForm(LONG_TEXT);
  staff = await login(stack.url, 'staff-emergency');
  admin = await login(stack.url, 'admin');
  staffSub = (await staff.get('/api/me')).body.userId;
  target = newId();
  const create = await staff.put(`/api/submissions/${target}`, { formId: FORM, regionCode: VILLAGE, data: { name: '临时' } });
  expect(create.status, JSON.stringify(create.body)).toBe(201);
  const photo = await uploadAttachment(staff, target, 'photos', 'image/jpeg');
  full = { ...generateSample(def, entry.sample, { regionCode: VILLAGE }), photos: [photo] };
  const r = await staff.put(`/api/submissions/${target}`, { formId: FORM, regionCode: VILLAGE, data: full }, ifMatch(1));
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  partial = newId();
  const p = await staff.put(`/api/submissions/${partial}`, { formId: FORM, regionCode: VILLAGE, data: { ...full, managing_unit: undefined, photos: undefined } });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

// ── state before/after ───────────────────────────────────────────────────────────────────────────────────────────────

async function record(id: string) {
  const r = await admin.get(`/api/submissions/${id}`);
  expect(r.status).toBe(200);
  const { version, status, data, history } = r.body;
  return { version, status, data, history };
}

async function state() {
  const [t, p, county, village] = await Promise.all([
    record(target),
    record(partial),
    admin.get(`/api/progress?region=${COUNTY}`),
    admin.get(`/api/progress?region=${VILLAGE}`),
  ]);
  return { target: t, partial: p, county: county.body.total, village: village.body.sectors };
}

function expectProblem(r: Res, status: number, code?: string) {
  expect(r.status, JSON.stringify(r.body)?.slice(0, 400)).toBe(status);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(r.body.status).toBe(status);
  if (code) expect(r.body.code).toBe(code);
  expect(JSON.stringify(r.body)).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
}

// ── requests ─────────────────────────────────────────────────────────────────────────────────────────────────────────

const put = (c: Client, id: string, body: unknown, headers: Record<string, string> = {}, query = '') =>
  c.req('PUT', `/api/submissions/${id}${query}`, typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json', ...headers });
/** An update of the complete draft with these answers. */
const update = (data: unknown, extra: Record<string, unknown> = {}) => put(staff, target, { formId: FORM, regionCode: VILLAGE, data, ...extra }, ifMatch(2));
/** Save-and-submit of the complete draft with these answers. */
const submitWith = (data: unknown) => put(staff, target, { formId: FORM, regionCode: VILLAGE, data }, ifMatch(2), '?submit=true');
const raw = (body: string, headers: Record<string, string> = {}) => put(staff, target, body, { ...ifMatch(2), ...headers });
const deep = (n: number, inner = '"x"') => '['.repeat(n) + inner + ']'.repeat(n);
const jsonWith = (dataJson: string) => `{"formId":"${FORM}","regionCode":"${VILLAGE}","data":${dataJson}}`;

/** Sends raw bytes with no Content-Type header at all. */
async function noContentType(): Promise<Res> {
  const r = await fetch(`${stack.url}/api/submissions/${target}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${staff.token}`, 'if-match': '"2"' },
    body: new TextEncoder().encode(JSON.stringify({ formId: FORM, regionCode: VILLAGE, data: { ...full, name: 'x' } })),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: JSON.parse(text) };
}

// ── tokens ───────────────────────────────────────────────────────────────────────────────────────────────────────────

const now = () => Math.floor(Date.now() / 1000);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

function localJwks(): { privateJwk: JWK; publicJwk: JWK } {
  return JSON.parse(readFileSync(keysFile, 'utf8'));
}

async function signLocal(claims: Record<string, unknown>, opts: { iat?: number; exp?: number; nbf?: number; iss?: string; aud?: string } = {}) {
  const key = await importJWK(localJwks().privateJwk, 'ES256');
  const t = now();
  const jwt = new SignJWT({ username: 'staff-emergency', token_use: 'access', ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setSubject(staffSub)
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setIssuedAt(opts.iat ?? t)
    .setExpirationTime(opts.exp ?? t + 600);
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(key);
}

async function hs256(secret: Uint8Array) {
  const t = now();
  return new SignJWT({ username: 'staff-emergency', token_use: 'access' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(staffSub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(t)
    .setExpirationTime(t + 600)
    .sign(secret);
}

/** A write with this bearer token (the rejected token must not let it through). */
const withToken = (token: string) => put(new Client(stack.url, token), target, { formId: FORM, regionCode: VILLAGE, data: { ...full, name: 'forged' } }, ifMatch(2));

// ── attachments ──────────────────────────────────────────────────────────────────────────────────────────────────────

async function grant(fileName: string) {
  return staff.post(`/api/submissions/${target}/attachments`, { field: 'photos', contentType: 'image/jpeg', size: 100, fileName });
}

function expectKeyIsOpaque(r: Res) {
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const key = r.body.upload.fields.key as string;
  expect(key).toBe(`attachments/${target}/${r.body.attachmentId}`);
  expect(key).toMatch(/^attachments\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);
}

// ── the catalogue ────────────────────────────────────────────────────────────────────────────────────────────────────

interface Case {
  name: string;
  run: () => Promise<Res>;
  status: number;
  code?: string;
  /** An error path the response must name. */
  path?: string;
  /** Extra checks on the response. */
  check?: (r: Res) => void;
  /** Id of a record the request tried to create: it must not exist afterwards. */
  created?: string;
}

/** Bodies nested past MAX_DEPTH (32, DynamoDB's own limit) are refused at parse time with the path of the deep value. */
const tooDeep = (prefix: string) => (r: Res) => {
  expect(r.body.errors[0].code).toBe('too-deep');
  expect(r.body.errors[0].path.startsWith(prefix)).toBe(true);
};
const longText = (fields: number, text: string) => Object.fromEntries(Array.from({ length: fields }, (_, i) => [`t${i}`, text]));
const createIds = { expanding: newId(), cjk400: newId(), proto: newId(), wrongRegion: newId(), unknownForm: newId() };

const CASES: Case[] = [
  // Malformed JSON and bodies that are not the object { formId, regionCode, data }
  { name: 'truncated JSON', run: () => raw('{"formId": "emergency.shelter", '), status: 400, code: 'request.malformed' },
  { name: 'trailing comma', run: () => raw(`{"formId":"${FORM}","regionCode":"${VILLAGE}","data":{},}`), status: 400, code: 'request.malformed' },
  { name: 'single-quoted JSON', run: () => raw(`{'formId':'${FORM}'}`), status: 400, code: 'request.malformed' },
  { name: 'NaN literal', run: () => raw(jsonWith('{"capacity":NaN}')), status: 400, code: 'request.malformed' },
  { name: 'array body holding the right object', run: () => raw(JSON.stringify([{ formId: FORM, regionCode: VILLAGE, data: full }])), status: 400, code: 'request.malformed' },
  { name: 'null body', run: () => raw('null'), status: 400, code: 'request.malformed' },
  { name: 'number body', run: () => raw('0'), status: 400, code: 'request.malformed' },
  { name: 'boolean body', run: () => raw('true'), status: 400, code: 'request.malformed' },
  { name: 'JSON string holding JSON', run: () => raw(JSON.stringify(JSON.stringify({ formId: FORM, regionCode: VILLAGE, data: full }))), status: 400, code: 'request.malformed' },
  { name: 'empty body', run: () => staff.req('PUT', `/api/submissions/${target}`, undefined, { 'content-type': 'application/json', ...ifMatch(2) }), status: 400, code: 'request.malformed' },
  { name: 'formId as a number', run: () => raw(JSON.stringify({ formId: 7, regionCode: VILLAGE, data: full })), status: 400, code: 'request.malformed' },
  { name: 'regionCode as an array', run: () => raw(JSON.stringify({ formId: FORM, regionCode: [VILLAGE], data: full })), status: 400, code: 'request.malformed' },
  { name: 'data as an array', run: () => update([full]), status: 400, code: 'request.malformed', path: 'data' },
  { name: 'data as a string', run: () => update(JSON.stringify(full)), status: 400, code: 'request.malformed', path: 'data' },
  { name: 'data missing', run: () => raw(JSON.stringify({ formId: FORM, regionCode: VILLAGE })), status: 400, code: 'request.malformed', path: 'data' },

  // Wrong types (422 with the path, drafts included)
  { name: 'integer sent as a string', run: () => update({ ...full, capacity: '15000' }), status: 422, code: 'validation.failed', path: 'data.capacity' },
  { name: 'decimal sent as a boolean', run: () => update({ ...full, total_area: true }), status: 422, code: 'validation.failed', path: 'data.total_area' },
  { name: 'multiple choice sent as a string', run: () => update({ ...full, hazards: 'flood' }), status: 422, code: 'validation.failed', path: 'data.hazards' },
  { name: 'unknown choice', run: () => update({ ...full, hazards: ['meteor'] }), status: 422, code: 'validation.failed', path: 'data.hazards[0]' },
  { name: 'the same choice twice', run: () => update({ ...full, hazards: ['flood', 'flood'] }), status: 422, code: 'validation.failed', path: 'data.hazards[1]' },
  { name: 'geopoint as a string', run: () => update({ ...full, location: '30.59,114.30' }), status: 422, code: 'validation.failed', path: 'data.location' },
  { name: 'latitude as a string', run: () => update({ ...full, location: { lat: '30.59', lng: 114.3 } }), status: 422, code: 'validation.failed', path: 'data.location.lat' },
  { name: 'fractional integer', run: () => update({ ...full, capacity: 1.5 }), status: 422, code: 'validation.failed', path: 'data.capacity' },
  { name: 'astronomically large number', run: () => update({ ...full, capacity: 1e300 }), status: 422, code: 'validation.failed', path: 'data.capacity' },
  { name: 'too many decimals', run: () => update({ ...full, total_area: 52000.123 }), status: 422, code: 'validation.failed', path: 'data.total_area' },
  { name: 'photo id that is not an attachment id', run: () => update({ ...full, photos: ['../../etc/passwd'] }), status: 422, code: 'validation.failed', path: 'data.photos[0]' },
  { name: 'impossible date', run: () => update({ ...full, fill_date: '2021-02-30' }), status: 422, code: 'validation.failed', path: 'data.fill_date' },
  { name: 'CJK text over maxLength', run: () => update({ ...full, name: '避'.repeat(101) }), status: 422, code: 'validation.failed', path: 'data.name' },

  // Missing required fields and out-of-range values: refused at submit, the draft stays a draft
  { name: 'submit without a required answer', run: () => submitWith({ ...full, name: undefined }), status: 422, code: 'validation.failed', path: 'data.name' },
  { name: 'submit with a negative count', run: () => submitWith({ ...full, capacity: -1 }), status: 422, code: 'validation.failed', path: 'data.capacity' },
  { name: 'submit with zero area (exclusive minimum)', run: () => submitWith({ ...full, total_area: 0 }), status: 422, code: 'validation.failed', path: 'data.total_area' },
  { name: 'submit with effective area above total area', run: () => submitWith({ ...full, effective_area: 60000 }), status: 422, code: 'validation.failed', path: 'data.effective_area' },
  { name: 'submit with a point outside China', run: () => submitWith({ ...full, location: { lat: -33.92, lng: 18.42 } }), status: 422, code: 'validation.failed', path: 'data.location' },
  { name: 'submit of the incomplete draft', run: () => staff.post(`/api/submissions/${partial}/submit`, undefined, ifMatch(1)), status: 422, code: 'validation.failed', path: 'data.managing_unit' },
  { name: 'latitude beyond 90', run: () => update({ ...full, location: { lat: 90.0001, lng: 114.3 } }), status: 422, code: 'validation.failed', path: 'data.location' },
  { name: 'longitude beyond -180', run: () => update({ ...full, location: { lat: 30.6, lng: -180.5 } }), status: 422, code: 'validation.failed', path: 'data.location' },

  // Unknown and privileged keys, prototype keys
  { name: 'privileged key status inside data', run: () => update({ ...full, status: 'approved' }), status: 422, code: 'validation.failed', path: 'data.status' },
  { name: 'privileged key createdBy inside data', run: () => update({ ...full, createdBy: 'admin' }), status: 422, code: 'validation.failed', path: 'data.createdBy' },
  { name: 'privileged key sector with submit=true', run: () => put(staff, target, { formId: FORM, regionCode: VILLAGE, data: full, sector: 'housing' }, ifMatch(2), '?submit=true'), status: 400, code: 'request.unknown-key', path: 'sector' },
  { name: 'top-level id / history / attachments', run: () => update(full, { id: newId(), history: [], attachments: [] }), status: 400, code: 'request.unknown-key', path: 'id' },
  { name: 'field name differing in case', run: () => update({ ...full, Name: 'x' }), status: 422, code: 'validation.failed', path: 'data.Name' },
  { name: '__proto__ at top level (create)', run: () => put(staff, createIds.proto, `{"__proto__":{"status":"approved"},"formId":"${FORM}","regionCode":"${VILLAGE}","data":{}}`), status: 400, code: 'request.unknown-key', path: '__proto__', created: createIds.proto },
  { name: 'constructor at top level', run: () => raw(`{"constructor":{"prototype":{}},"formId":"${FORM}","regionCode":"${VILLAGE}","data":{}}`), status: 400, code: 'request.unknown-key', path: 'constructor' },
  { name: '__proto__ inside data', run: () => raw(jsonWith('{"__proto__":{"capacity":1},"name":"x"}')), status: 422, code: 'validation.failed', path: 'data.__proto__' },
  { name: 'constructor inside data', run: () => raw(jsonWith('{"constructor":{"name":"x"}}')), status: 422, code: 'validation.failed', path: 'data.constructor' },
  { name: 'prototype inside data', run: () => raw(jsonWith('{"prototype":1}')), status: 422, code: 'validation.failed', path: 'data.prototype' },
  { name: '__proto__ inside a geopoint', run: () => raw(jsonWith('{"location":{"lat":30.6,"lng":114.3,"__proto__":{"x":1}}}')), status: 422, code: 'validation.failed', path: 'data.location.__proto__' },

  // Unknown forms and regions (creates)
  { name: 'unknown form (create)', run: () => put(staff, createIds.unknownForm, { formId: 'emergency.no-such-table', regionCode: VILLAGE, data: {} }), status: 422, code: 'validation.failed', path: 'formId', created: createIds.unknownForm },
  { name: 'region outside the district (create, admin)', run: () => put(admin, createIds.wrongRegion, { formId: FORM, regionCode: '110101001001', data: {} }), status: 422, code: 'validation.failed', path: 'regionCode', created: createIds.wrongRegion },

  // Sizes
  { name: 'body just over 256 KB', run: () => update({ ...full, name: 'x'.repeat(256 * 1024) }), status: 413, code: 'request.too-large' },
  { name: '6 MB CJK body', run: () => update({ ...full, name: '普'.repeat(2 * 1024 * 1024) }), status: 413, code: 'request.too-large' },
  {
    name: '400 KB+ item of CJK text (create)',
    run: () => put(staff, createIds.cjk400, { formId: LONG_TEXT.id, regionCode: VILLAGE, data: longText(14, '查'.repeat(10_000)) }),
    status: 413,
    code: 'request.too-large',
    created: createIds.cjk400,
  },
  {
    name: '240 KB body that NFC normalisation grows past 400 KB (create)',
    run: () => put(staff, createIds.expanding, { formId: LONG_TEXT.id, regionCode: VILLAGE, data: longText(25, '普查'.repeat(800) + '\u{1D160}'.repeat(1_200)) }),
    status: 413,
    code: 'request.too-large',
    check: (r) => expect(r.body.detail).toMatch(/once stored/),
    created: createIds.expanding,
  },

  // Deep nesting
  { name: 'answer nested 5,000 deep', run: () => raw(jsonWith(`{"hazards":${deep(5_000)}}`)), status: 400, code: 'request.malformed', check: tooDeep('data.hazards') },
  { name: 'unknown key holding 20,000 levels', run: () => raw(jsonWith(`{"x":${deep(20_000, '{}')}}`)), status: 400, code: 'request.malformed', check: tooDeep('data.x') },
  { name: 'body nested 100,000 deep', run: () => raw(deep(100_000)), status: 400, code: 'request.malformed', check: tooDeep('[0]') },
  { name: 'review body nested 40 deep', run: () => admin.req('POST', `/api/submissions/${target}/review`, `{"decision":"approve","note":${deep(40)}}`, { 'content-type': 'application/json', ...ifMatch(2) }), status: 400, code: 'request.malformed', check: tooDeep('note') },

  // Text that is not valid Unicode
  { name: 'lone high surrogate in an answer', run: () => raw(jsonWith('{"name":"\\ud800"}')), status: 400, code: 'request.malformed', path: 'data.name' },
  { name: 'lone low surrogate inside text', run: () => raw(jsonWith('{"name":"a\\udc00b"}')), status: 400, code: 'request.malformed', path: 'data.name' },
  { name: 'lone surrogate in a key', run: () => raw(jsonWith('{"\\udbff":"x"}')), status: 400, code: 'request.malformed' },
  { name: 'lone surrogate in a review note', run: () => admin.req('POST', `/api/submissions/${target}/review`, '{"decision":"return","note":"\\ud83d"}', { 'content-type': 'application/json', ...ifMatch(2) }), status: 400, code: 'request.malformed', path: 'note' },
  { name: 'lone surrogate in an attachment file name', run: () => staff.req('POST', `/api/submissions/${target}/attachments`, '{"field":"photos","contentType":"image/jpeg","size":100,"fileName":"\\udfff.jpg"}', { 'content-type': 'application/json' }), status: 400, code: 'request.malformed', path: 'fileName' },

  // Content types
  { name: 'text/plain', run: () => raw(JSON.stringify({ formId: FORM, regionCode: VILLAGE, data: full }), { 'content-type': 'text/plain' }), status: 415, code: 'request.unsupported-media-type' },
  { name: 'form-urlencoded', run: () => raw(`formId=${FORM}&regionCode=${VILLAGE}`, { 'content-type': 'application/x-www-form-urlencoded' }), status: 415, code: 'request.unsupported-media-type' },
  { name: 'multipart/form-data', run: () => raw('--b\r\nContent-Disposition: form-data; name="formId"\r\n\r\nx\r\n--b--', { 'content-type': 'multipart/form-data; boundary=b' }), status: 415, code: 'request.unsupported-media-type' },
  { name: 'application/xml', run: () => raw('<submission/>', { 'content-type': 'application/xml' }), status: 415, code: 'request.unsupported-media-type' },
  { name: 'no Content-Type at all', run: noContentType, status: 415, code: 'request.unsupported-media-type' },

  // Tokens (all 401, before anything else is looked at)
  { name: 'expired token', run: async () => withToken(await signLocal({}, { iat: now() - 7200, exp: now() - 3600 })), status: 401, code: 'auth.invalid-token' },
  { name: 'token issued in the future', run: async () => withToken(await signLocal({}, { iat: now() + 3600, exp: now() + 7200 })), status: 401, code: 'auth.invalid-token' },
  { name: 'token not valid before a future time', run: async () => withToken(await signLocal({}, { nbf: now() + 3600 })), status: 401, code: 'auth.invalid-token' },
  {
    name: 'tampered payload (admin rights claimed, signature kept)',
    run: async () => {
      const [h, , s] = (await signLocal({})).split('.');
      const body = { sub: (await admin.get('/api/me')).body.userId, username: 'admin', iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600 };
      return withToken(`${h}.${b64(body)}.${s}`);
    },
    status: 401,
    code: 'auth.invalid-token',
  },
  {
    name: 'alg: none',
    run: async () => withToken(`${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: staffSub, iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600 })}.`),
    status: 401,
    code: 'auth.invalid-token',
  },
  { name: 'HS256 signed with the public JWK as the secret', run: async () => withToken(await hs256(new TextEncoder().encode(JSON.stringify(localJwks().publicJwk)))), status: 401, code: 'auth.invalid-token' },
  {
    name: 'HS256 signed with the public key PEM as the secret',
    run: async () => withToken(await hs256(new TextEncoder().encode(await exportSPKI((await importJWK(localJwks().publicJwk, 'ES256', { extractable: true })) as CryptoKey)))),
    status: 401,
    code: 'auth.invalid-token',
  },
  {
    name: 'ES256 token signed by another key',
    run: async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const t = now();
      return withToken(await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setSubject(staffSub).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt(t).setExpirationTime(t + 600).sign(privateKey));
    },
    status: 401,
    code: 'auth.invalid-token',
  },
  { name: 'wrong issuer', run: async () => withToken(await signLocal({}, { iss: 'https://evil.invalid' })), status: 401, code: 'auth.invalid-token' },
  { name: 'wrong audience', run: async () => withToken(await signLocal({}, { aud: 'another-app' })), status: 401, code: 'auth.invalid-token' },
  { name: 'Basic credentials instead of a bearer token', run: () => put(new Client(stack.url), target, { formId: FORM, regionCode: VILLAGE, data: full }, { authorization: 'Basic YWRtaW46Q2Vuc3VzLTIwMjEh', ...ifMatch(2) }), status: 401, code: 'auth.required' },
  { name: 'a genuine token for an identity that is not a member', run: async () => withToken(await signLocalFor(newId())), status: 403, code: 'access.forbidden' },

  // Attachment file names: metadata only, the storage key is ours
  { name: 'file name with ../', run: () => grant('../../../etc/passwd'), status: 201, check: expectKeyIsOpaque },
  { name: 'file name with backslashes and ..', run: () => grant('..\\..\\windows\\system32\\x.jpg'), status: 201, check: expectKeyIsOpaque },
  { name: 'file name with NUL', run: () => grant('photo\u0000.jpg.exe'), status: 201, check: expectKeyIsOpaque },
  { name: 'file name of 300 bytes (100 CJK characters)', run: () => grant('照'.repeat(96) + '.jpg'), status: 201, check: expectKeyIsOpaque },
  { name: 'file name of 300 ASCII characters', run: () => grant('a'.repeat(296) + '.jpg'), status: 400, code: 'request.malformed', path: 'fileName' },
  { name: 'If-Match that is not a version', run: () => put(staff, target, { formId: FORM, regionCode: VILLAGE, data: full }, { 'if-match': '"2" OR 1=1' }), status: 400, code: 'request.bad-parameter' },
  { name: 'submission id with a path traversal', run: () => staff.put('/api/submissions/..%2F..%2Fadmin', { formId: FORM, regionCode: VILLAGE, data: full }), status: 400, code: 'request.bad-parameter' },
];

/** A correctly signed token for any subject. */
async function signLocalFor(sub: string) {
  const key = await importJWK(localJwks().privateJwk, 'ES256');
  const t = now();
  return new SignJWT({ username: 'ghost', token_use: 'access' }).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).setSubject(sub).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt(t).setExpirationTime(t + 600).sign(key);
}

describe('bad-input catalogue: exact status, nothing changed', () => {
  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  const before: { value?: Awaited<ReturnType<typeof state>> } = {};
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    before.value ??= await state();
    const r = await c.run();
    if (r.status < 300) expect(r.status).toBe(c.status);
    else expectProblem(r, c.status, c.code);
    if (c.path) expect((r.body.errors ?? []).map((e: { path: string }) => e.path)).toContain(c.path);
    c.check?.(r);
    if (c.created) expect((await admin.get(`/api/submissions/${c.created}`)).status).toBe(404);
    expect(await state()).toEqual(before.value);
  });

  it('leaves the counters equal to a recount', async () => {
    const r = await admin.post('/api/admin/reconcile', {});
    expect(r.status).toBe(200);
    expect(r.body.drift).toEqual([]);
    expect(r.body.submissions).toBe(2);
  });
});

describe('hostile but legitimate text: stored verbatim, one version and one audit entry per write', () => {
  const ACCEPTED: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['HTML and script tags', { name: '<script>alert(1)</script>避难所' }, { name: '<script>alert(1)</script>避难所' }],
    ['an HTML attribute payload', { address: '"><img src=x onerror=alert(document.cookie)>' }, { address: '"><img src=x onerror=alert(document.cookie)>' }],
    ['a javascript: URL', { managing_unit: 'javascript:alert(1)//管理局' }, { managing_unit: 'javascript:alert(1)//管理局' }],
    ['zero-width characters', { name: '青山\u200b公园\u200c避难\u200d场所\u2060' }, { name: '青山\u200b公园\u200c避难\u200d场所\u2060' }],
    ['RTL override and Arabic', { name: '\u202eexe.避难所\u202c ملجأ' }, { name: '\u202eexe.避难所\u202c ملجأ' }],
    ['NFD text (stored NFC)', { name: 'Cafe\u0301 \u1100\u1161\u11a8 公园', address: 'A\u030a' }, { name: 'Caf\u00e9 \uac01 公园', address: '\u00c5' }],
  ];
  let id: string;
  let version = 0;

  beforeAll(async () => {
    id = newId();
    const r = await staff.put(`/api/submissions/${id}`, { formId: FORM, regionCode: VILLAGE, data: { name: '初始' } });
    expect(r.status).toBe(201);
    version = 1;
  });

  it.each(ACCEPTED)('%s', async (_name, change, stored) => {
    const historyBefore = (await admin.get(`/api/submissions/${id}`)).body.history.length;
    const data = { ...full, photos: undefined, ...change };
    const r = await staff.put(`/api/submissions/${id}`, { formId: FORM, regionCode: VILLAGE, data }, ifMatch(version));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    version++;
    const g = await admin.get(`/api/submissions/${id}`);
    expect(g.body.version).toBe(version);
    expect(g.body.data).toMatchObject(stored);
    for (const [k, v] of Object.entries(stored)) expect(g.body.data[k]).toBe(v);
    expect(g.body.history.length).toBe(historyBefore + 1);
  });

  it('a 240 KB answer of CJK text round-trips intact', async () => {
    const cid = newId();
    const data = longText(20, '普查'.repeat(2_000));
    const r = await staff.put(`/api/submissions/${cid}`, { formId: LONG_TEXT.id, regionCode: VILLAGE, data });
    expect(r.status).toBe(201);
    const g = await admin.get(`/api/submissions/${cid}`);
    expect(g.body.data).toEqual(data);
    expect((await admin.post('/api/admin/reconcile', {})).body.drift).toEqual([]);
  });
});
