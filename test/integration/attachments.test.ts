/**
 * Attachments end to end, with `housing.rural-house` (its `photos` field) and staff-housing: upload grant → presigned POST
 * to the S3 emulator → submit referencing it; submit refusing attachments that were never uploaded (422 with the path,
 * nothing written); grant refusals (content type, size, field, another sector); download links for readers only.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogForm, CATALOG } from '../../functions/domain/catalog/index';
import { allFields, type FormDefinition } from '../../functions/domain/forms';
import { generateSample } from '../../functions/domain/samples';
import { Client, ifMatch, login, newId, startTestStack, uploadAttachment, type Res, type TestStack } from '../support/stack';

const FORM = 'housing.rural-house';
const VILLAGE = '420999001001';
const OTHER_VILLAGE = '420999002001';

const def = catalogForm(FORM) as FormDefinition;
const photoField = allFields(def).find((x) => x.field.name === 'photos' && !x.parent)!.field;
if (photoField.type !== 'photo') throw new Error('housing.rural-house photos is expected to be a photo field');
const ACCEPT = photoField.accept;
const MAX_SIZE = photoField.maxSize;

/** A complete, valid rural house without photos (the form requires photos only when there is visible damage). */
const entry = CATALOG.find((e) => e.definition.id === FORM)!;
const answers = (() => {
  const d = generateSample(def, entry.sample, { regionCode: VILLAGE }) as Record<string, unknown>;
  delete d.photos;
  return d;
})();

let stack: TestStack;
let staff: Client;
let admin: Client;
let reviewer: Client;
let viewer: Client;
let otherStaff: Client;
let otherReviewer: Client;

beforeAll(async () => {
  stack = await startTestStack();
  staff = await login(stack.url, 'staff-housing');
  admin = await login(stack.url, 'admin');
  reviewer = await login(stack.url, 'reviewer-housing');
  viewer = await login(stack.url, 'viewer');
  otherStaff = await login(stack.url, 'staff-emergency');
  otherReviewer = await login(stack.url, 'reviewer-emergency');
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

function problem(r: Res, status: number) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(r.body.status).toBe(status);
}
const paths = (r: Res) => (r.body.errors ?? []).map((e: { path: string }) => e.path);

async function counts(region = VILLAGE) {
  const r = await admin.get(`/api/progress?region=${region}&sector=housing`);
  expect(r.status).toBe(200);
  for (const s of r.body.sectors) for (const p of s.parts) for (const f of p.forms) if (f.formId === FORM) return f.total;
  throw new Error(`${FORM} missing from progress`);
}

async function draft(c: Client, data: Record<string, unknown> = answers, region = VILLAGE): Promise<string> {
  const id = newId();
  const r = await c.put(`/api/submissions/${id}`, { formId: FORM, regionCode: region, data });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return id;
}

/** Ask for a grant and POST the bytes to the URL it names, exactly as the browser does; returns the attachment id. */
async function upload(c: Client, id: string, bytes: Uint8Array, contentType = 'image/jpeg') {
  const grant = await c.post(`/api/submissions/${id}/attachments`, { field: 'photos', contentType, size: bytes.length, fileName: '东墙裂缝.jpg' });
  expect(grant.status, JSON.stringify(grant.body)).toBe(201);
  const { attachmentId, upload: u } = grant.body;
  expect(u.fields.key).toBe(`attachments/${id}/${attachmentId}`);
  expect(u.fields['Content-Type']).toBe(contentType);
  expect(JSON.stringify(u.fields)).not.toContain('东墙裂缝'); // the user's file name is metadata, never the key
  const form = new FormData();
  for (const [k, v] of Object.entries(u.fields as Record<string, string>)) form.append(k, v);
  form.append('file', new Blob([new Uint8Array(bytes)], { type: contentType }), 'photo.jpg');
  const up = await fetch(new URL(u.url, c.base), { method: 'POST', body: form });
  expect(up.status).toBeLessThan(300);
  return attachmentId as string;
}

async function download(c: Client, id: string, attachmentId: string) {
  const r = await c.get(`/api/submissions/${id}/attachments/${attachmentId}`);
  if (r.status !== 200) return { status: r.status, bytes: undefined };
  const url = new URL(r.body.url, stack.url).toString();
  const file = await fetch(url);
  expect(file.status).toBe(200);
  return { status: 200, bytes: Buffer.from(await file.arrayBuffer()) };
}

describe('the photos field of housing.rural-house', () => {
  it('is what these tests assume, and the API serves the same limits', async () => {
    expect(ACCEPT).toContain('image/jpeg');
    expect(ACCEPT).not.toContain('application/pdf');
    expect(MAX_SIZE).toBeGreaterThan(1024);
    const r = await staff.get(`/api/forms/${FORM}`);
    expect(r.status).toBe(200);
    expect(r.body.fields.find((f: { name: string }) => f.name === 'photos')).toMatchObject({ type: 'photo', accept: ACCEPT, maxSize: MAX_SIZE });
  });
});

describe('upload and submit', () => {
  const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...randomBytes(4096), 0xff, 0xd9]);
  let id: string;
  let attachmentId: string;

  it('uploads through the presigned POST and submits with the photo (200, attachments lists it)', async () => {
    const before = await counts();
    id = await draft(staff);
    attachmentId = await upload(staff, id, bytes);
    let r = await staff.put(`/api/submissions/${id}`, { formId: FORM, regionCode: VILLAGE, data: { ...answers, photos: [attachmentId] } }, ifMatch(1));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    r = await staff.post(`/api/submissions/${id}/submit`, undefined, ifMatch(2));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: 'submitted', version: 3, attachments: [attachmentId], data: { photos: [attachmentId] } });
    r = await reviewer.get(`/api/submissions/${id}`);
    expect(r.body.attachments).toEqual([attachmentId]);
    expect(await counts()).toMatchObject({ draft: before.draft, submitted: before.submitted + 1 });
  });

  it('saves and submits in one step with an uploaded photo (PNG, two files)', async () => {
    const nid = newId();
    const r0 = await staff.put(`/api/submissions/${nid}`, { formId: FORM, regionCode: VILLAGE, data: answers });
    expect(r0.status).toBe(201);
    const a = await upload(staff, nid, randomBytes(100), 'image/png');
    const b = await uploadAttachment(staff, nid, 'photos', 'image/jpeg');
    const r = await staff.put(`/api/submissions/${nid}?submit=true`, { formId: FORM, regionCode: VILLAGE, data: { ...answers, photos: [a, b] } }, ifMatch(1));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe('submitted');
    expect([...r.body.attachments].sort()).toEqual([a, b].sort());
  });

  it('gives readers a link that downloads the identical bytes; others get 404 (the viewer role: 403)', async () => {
    for (const c of [staff, reviewer, admin]) {
      const d = await download(c, id, attachmentId);
      expect(d.status).toBe(200);
      expect(d.bytes!.equals(Buffer.from(bytes))).toBe(true);
    }
    for (const c of [otherStaff, otherReviewer]) {
      const r = await c.get(`/api/submissions/${id}/attachments/${attachmentId}`);
      problem(r, 404);
      expect(JSON.stringify(r.body)).not.toContain('http://127.0.0.1');
      // the same answer as for a submission that does not exist
      const ghost = await c.get(`/api/submissions/${newId()}/attachments/${attachmentId}`);
      expect({ status: ghost.status, code: ghost.body.code }).toEqual({ status: r.status, code: r.body.code });
    }
    problem(await viewer.get(`/api/submissions/${id}/attachments/${attachmentId}`), 403);
  });

  it('answers 404 for attachments the submission does not reference, or that do not exist', async () => {
    const stray = await upload(staff, await draft(staff), randomBytes(10));
    problem(await admin.get(`/api/submissions/${id}/attachments/${stray}`), 404); // uploaded, but under another submission
    problem(await admin.get(`/api/submissions/${id}/attachments/${newId()}`), 404);
    problem(await admin.get(`/api/submissions/${id}/attachments/not-a-uuid`), 404);
  });

  it('hides another township’s photos from staff but not from the sector’s reviewer', async () => {
    const oid = newId();
    let r = await admin.put(`/api/submissions/${oid}`, { formId: FORM, regionCode: OTHER_VILLAGE, data: answers });
    expect(r.status).toBe(201);
    const bytes2 = randomBytes(777);
    const att = await upload(admin, oid, bytes2);
    r = await admin.put(`/api/submissions/${oid}`, { formId: FORM, regionCode: OTHER_VILLAGE, data: { ...answers, photos: [att] } }, ifMatch(1));
    expect(r.status).toBe(200);
    expect((await download(reviewer, oid, att)).bytes!.equals(bytes2)).toBe(true);
    problem(await staff.get(`/api/submissions/${oid}/attachments/${att}`), 404);
    problem(await staff.post(`/api/submissions/${oid}/attachments`, { field: 'photos', contentType: 'image/jpeg', size: 10 }), 404);
  });
});

describe('submitting with an attachment that was never uploaded', () => {
  it('is 422 with the field path, and nothing is written (version, status, counters)', async () => {
    const id = await draft(staff);
    const real = await upload(staff, id, randomBytes(50));
    const ghost = newId();
    let r = await staff.put(`/api/submissions/${id}`, { formId: FORM, regionCode: VILLAGE, data: { ...answers, photos: [real, ghost] } }, ifMatch(1));
    expect(r.status, JSON.stringify(r.body)).toBe(200); // a draft may reference it: only submit checks storage
    const before = await counts();
    const snapshot = (await admin.get(`/api/submissions/${id}`)).body;

    r = await staff.post(`/api/submissions/${id}/submit`, undefined, ifMatch(2));
    problem(r, 422);
    expect(paths(r)).toEqual(['data.photos[1]']);
    expect(r.body.errors[0]).toMatchObject({ code: 'attachment-missing', message: { zh: expect.any(String), en: expect.any(String) } });

    r = await staff.put(`/api/submissions/${id}?submit=true`, { formId: FORM, regionCode: VILLAGE, data: { ...answers, photos: [ghost] } }, ifMatch(2));
    problem(r, 422);
    expect(paths(r)).toEqual(['data.photos[0]']);

    const after = (await admin.get(`/api/submissions/${id}`)).body;
    expect(after).toMatchObject({ status: 'draft', version: 2, data: { photos: [real, ghost] }, attachments: snapshot.attachments, updatedAt: snapshot.updatedAt });
    expect(after.history).toHaveLength(snapshot.history.length);
    expect(await counts()).toEqual(before);
  });

  it('is 422 on a one-step create, and the id stays unused', async () => {
    const before = await counts();
    const id = newId();
    const r = await staff.put(`/api/submissions/${id}?submit=true`, { formId: FORM, regionCode: VILLAGE, data: { ...answers, photos: [newId()] } });
    problem(r, 422);
    expect(paths(r)).toEqual(['data.photos[0]']);
    problem(await admin.get(`/api/submissions/${id}`), 404);
    expect(await counts()).toEqual(before);
  });

  it('counts a file uploaded under another submission as not uploaded', async () => {
    const elsewhere = await upload(staff, await draft(staff), randomBytes(64));
    const id = await draft(staff, { ...answers, photos: [elsewhere] });
    const r = await staff.post(`/api/submissions/${id}/submit`, undefined, ifMatch(1));
    problem(r, 422);
    expect(paths(r)).toEqual(['data.photos[0]']);
    expect((await staff.get(`/api/submissions/${id}`)).body).toMatchObject({ status: 'draft', version: 1 });
  });
});

describe('asking for an upload', () => {
  let id: string;
  beforeAll(async () => {
    id = await draft(staff);
  });
  const ask = (c: Client, sid: string, body: Record<string, unknown>) => c.post(`/api/submissions/${sid}/attachments`, { fileName: 'a.jpg', ...body });

  it('with a content type the field does not accept → 422 contentType', async () => {
    for (const contentType of ['application/pdf', 'text/html', 'image/svg+xml']) {
      const r = await ask(staff, id, { field: 'photos', contentType, size: 1000 });
      problem(r, 422);
      expect(paths(r)).toEqual(['contentType']);
    }
  });

  it('above the field’s maxSize → 422 size; exactly maxSize is fine', async () => {
    const r = await ask(staff, id, { field: 'photos', contentType: ACCEPT[0], size: MAX_SIZE + 1 });
    problem(r, 422);
    expect(paths(r)).toEqual(['size']);
    expect((await ask(staff, id, { field: 'photos', contentType: ACCEPT[0], size: MAX_SIZE })).status).toBe(201);
  });

  it('for a field that takes no files, or no such field → 422 field', async () => {
    for (const field of ['householder', 'floors', 'location', 'no_such_field']) {
      const r = await ask(staff, id, { field, contentType: 'image/jpeg', size: 1000 });
      problem(r, 422);
      expect(paths(r)).toEqual(['field']);
    }
  });

  it('for another sector’s submission → 404, the same as for no submission at all', async () => {
    const eid = newId();
    const c = await otherStaff.put(`/api/submissions/${eid}`, { formId: 'emergency.shelter', regionCode: VILLAGE, data: { name: '青山公园应急避难场所' } });
    expect(c.status).toBe(201);
    const r = await ask(staff, eid, { field: 'photos', contentType: 'image/jpeg', size: 1000 });
    problem(r, 404);
    const none = await ask(staff, newId(), { field: 'photos', contentType: 'image/jpeg', size: 1000 });
    expect({ status: none.status, code: none.body.code }).toEqual({ status: r.status, code: r.body.code });
    // and the owner may
    expect((await ask(otherStaff, eid, { field: 'photos', contentType: 'image/jpeg', size: 1000 })).status).toBe(201);
  });

  it('for a submitted record → 409 (only drafts and returned records take new files)', async () => {
    const sid = newId();
    const r0 = await staff.put(`/api/submissions/${sid}?submit=true`, { formId: FORM, regionCode: VILLAGE, data: answers });
    expect(r0.status, JSON.stringify(r0.body)).toBe(201);
    problem(await ask(staff, sid, { field: 'photos', contentType: 'image/jpeg', size: 1000 }), 409);
  });

  it('with a malformed request → 400 before anything else', async () => {
    problem(await ask(staff, id, { field: 'photos', contentType: 'image/jpeg', size: -5 }), 400);
    problem(await ask(staff, id, { field: 'photos', contentType: 'image/jpeg', size: 10, key: 'attachments/x/y' }), 400);
  });
});
