/**
 * The port conformance suite: one specification of what the ports of functions/app/ports.ts do, run against every
 * adapter set (embedded.test.ts: SQLite + files + in-process jobs; aws.test.ts: DynamoDB Local + the S3 emulator +
 * the Lambda Invoke emulator). A behaviour one set has and the other lacks fails here.
 *
 * Each set runs as the real local stack on a temporary DATA_DIR (seeded with the demo district), so the suite reaches
 * the ports directly and, for the behaviour clients see (replay, 409, 412, uploads), the HTTP API on top of them.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidCursor, LastAdmin, MAX_RECORD_BYTES, ObjectTaken, RecordTooLarge, UsernameTaken, WriteConflict, attachmentKey, type HistoryEntry, type LocalLogin, type Member, type MemberChange, type Ports, type Submission, type SubmissionWrite } from '../../functions/app/ports';
import { saveJob, type ExportJob } from '../../functions/app/jobs';
import { objectCountDelta, objectEffect, objectId, type SurveyObject } from '../../functions/domain/objects';
import type { StoreKind } from '../../infra/local/stack';
import { DEMO_COUNTY } from '../../infra/local/demo-district';
import { Client, ifMatch, login, newId, PHOTO_BYTES, startTestStack, type TestStack } from '../support/stack';

/** How the storage behind an upload grant judges a browser's POST: the real endpoint, or S3's policy rules. */
export type UploadJudge = (grant: { url: string; fields: Record<string, string> }, file: { bytes: Uint8Array; contentType: string; fields?: Record<string, string> }, at?: Date) => Promise<boolean>;

export interface ConformanceOptions {
  store: StoreKind;
  /** Decides whether the storage accepts an upload (see aws.test.ts for why the AWS set judges by policy). */
  judgeUpload: (stack: TestStack) => UploadJudge;
}

const FORM = 'housing.rural-house';
const SECTOR = 'housing' as const;
const VILLAGES = ['420999001001', '420999001002', '420999002001', '420999003001'];
const TOWNSHIP = '420999001000';

let seq = 0;
/** A stored submission record as the use cases build it (fields not under test take plain defaults). */
export function makeSubmission(over: Partial<Submission> = {}): Submission {
  const at = over.updatedAt ?? new Date(Date.UTC(2021, 10, 1, 8, 0, 0) + seq++ * 1000).toISOString();
  return {
    id: randomUUID(),
    formId: FORM,
    formVersion: 1,
    sector: SECTOR,
    part: 'rural',
    regionCode: VILLAGES[0]!,
    status: 'draft',
    version: 1,
    data: { householder: '张三' },
    attachments: [],
    createdBy: 'user-a',
    createdAt: at,
    updatedAt: at,
    contentHash: 'h',
    ...over,
  };
}

function createWrite(s: Submission, audit: HistoryEntry[] = [{ at: s.updatedAt, by: s.createdBy, action: 'created', from: null, to: s.status }]): SubmissionWrite {
  return { next: s, expect: { create: true }, counters: { [s.status]: 1 }, audit };
}

function statusWrite(prev: Submission, status: Submission['status'], at: string, by = 'reviewer'): SubmissionWrite {
  const next = { ...prev, status, version: prev.version + 1, updatedAt: at, ...(status === 'submitted' ? { submittedAt: at } : {}) };
  return {
    next,
    expect: { version: prev.version, status: prev.status },
    counters: { [prev.status]: -1, [status]: 1 },
    audit: [{ at, by, action: status === 'submitted' ? 'submitted' : status === 'approved' ? 'approved' : 'returned', from: prev.status, to: status }],
  };
}

async function cellOf(ports: Ports, formId: string, regionCode: string) {
  return (await ports.progress.cellsForCounty(DEMO_COUNTY)).find((c) => c.formId === formId && c.regionCode === regionCode);
}

async function all<T>(read: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await read(cursor);
    items.push(...page.items);
    pages++;
    cursor = page.nextCursor ?? undefined;
    if (pages > 1000) throw new Error('pagination does not end');
  } while (cursor);
  return { items, pages };
}

export function portConformance(opts: ConformanceOptions) {
  let stack: TestStack;
  let ports: Ports;
  let judge: UploadJudge;

  beforeAll(async () => {
    stack = await startTestStack({ store: opts.store });
    ports = stack.ports;
    judge = opts.judgeUpload(stack);
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
  });

  describe(`${opts.store}: submission writes`, () => {
    it('create stores the record, its counter and its audit entry; a second create of the id is a WriteConflict that changes nothing', async () => {
      const region = VILLAGES[1]!;
      const before = (await cellOf(ports, FORM, region))?.draft ?? 0;
      const s = makeSubmission({ regionCode: region });
      await ports.submissions.write(createWrite(s));
      expect(await ports.submissions.get(s.id)).toEqual(s);
      expect((await cellOf(ports, FORM, region))!.draft).toBe(before + 1);
      const other = { ...s, data: { householder: '李四' } };
      await expect(ports.submissions.write(createWrite(other))).rejects.toBeInstanceOf(WriteConflict);
      expect(await ports.submissions.get(s.id)).toEqual(s);
      expect((await cellOf(ports, FORM, region))!.draft).toBe(before + 1);
      expect(await ports.submissions.history(s.id)).toHaveLength(1);
    });

    it('an update is conditioned on version and status: a stale one is a WriteConflict with nothing written', async () => {
      const s = makeSubmission({ regionCode: VILLAGES[2]! });
      await ports.submissions.write(createWrite(s));
      const submitted = statusWrite(s, 'submitted', '2021-11-02T08:00:00.000Z', 'user-a');
      await ports.submissions.write(submitted);
      const c1 = await cellOf(ports, FORM, VILLAGES[2]!);
      // Same expected version again (a second writer that read before the first wrote).
      await expect(ports.submissions.write(statusWrite(s, 'submitted', '2021-11-02T08:00:01.000Z', 'user-b'))).rejects.toBeInstanceOf(WriteConflict);
      // Right version, wrong status.
      await expect(ports.submissions.write({ ...statusWrite(submitted.next, 'approved', '2021-11-02T09:00:00.000Z'), expect: { version: 2, status: 'draft' } })).rejects.toBeInstanceOf(WriteConflict);
      expect(await ports.submissions.get(s.id)).toEqual(submitted.next);
      expect(await cellOf(ports, FORM, VILLAGES[2]!)).toEqual(c1);
      expect((await ports.submissions.history(s.id)).map((h) => h.action)).toEqual(['created', 'submitted']);
    });

    it('under 40 concurrent writers one cell counts every write exactly once; of 10 racing updates of one version exactly one wins', async () => {
      const region = VILLAGES[3]!;
      const before = (await cellOf(ports, FORM, region))?.submitted ?? 0;
      const subs = Array.from({ length: 40 }, () => makeSubmission({ regionCode: region, status: 'submitted', submittedAt: '2021-11-03T00:00:00.000Z' }));
      await Promise.all(subs.map((s) => ports.submissions.write(createWrite(s))));
      expect((await cellOf(ports, FORM, region))!.submitted).toBe(before + 40);

      const target = subs[0]!;
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => ports.submissions.write(statusWrite(target, 'approved', `2021-11-03T01:00:0${i}.000Z`))));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof WriteConflict)).toHaveLength(9);
      const cell = (await cellOf(ports, FORM, region))!;
      expect(cell.submitted).toBe(before + 39);
      expect(cell.approved).toBeGreaterThanOrEqual(1);
      expect((await ports.submissions.get(target.id))!.version).toBe(2);
      expect(await ports.submissions.history(target.id)).toHaveLength(2);
    });

    it('refuses a record larger than MAX_RECORD_BYTES with RecordTooLarge and stores nothing', async () => {
      const s = makeSubmission({ data: { householder: 'x'.repeat(MAX_RECORD_BYTES) } });
      await expect(ports.submissions.write(createWrite(s))).rejects.toBeInstanceOf(RecordTooLarge);
      expect(await ports.submissions.get(s.id)).toBeUndefined();
      expect(await ports.submissions.history(s.id)).toEqual([]);
      // Just under the limit is kept.
      const ok = makeSubmission({ data: { householder: 'y'.repeat(MAX_RECORD_BYTES - 2_000) } });
      await ports.submissions.write(createWrite(ok));
      expect((await ports.submissions.get(ok.id))!.data).toEqual(ok.data);
    });

    it('keeps audit entries oldest first, and the entries of one write in the order given', async () => {
      const s = makeSubmission({ updatedAt: '2021-11-05T00:00:00.000Z' });
      const at = s.updatedAt;
      await ports.submissions.write(
        createWrite({ ...s, status: 'submitted', submittedAt: at }, [
          { at, by: 'u', action: 'created', from: null, to: 'draft' },
          { at, by: 'u', action: 'submitted', from: 'draft', to: 'submitted', note: '一次提交' },
        ]),
      );
      const later = statusWrite({ ...s, status: 'submitted' }, 'returned', '2021-11-06T00:00:00.000Z');
      later.audit[0]!.note = '请补充照片';
      await ports.submissions.write(later);
      expect(await ports.submissions.history(s.id)).toEqual([
        { at, by: 'u', action: 'created', from: null, to: 'draft' },
        { at, by: 'u', action: 'submitted', from: 'draft', to: 'submitted', note: '一次提交' },
        { at: '2021-11-06T00:00:00.000Z', by: 'reviewer', action: 'returned', from: 'submitted', to: 'returned', note: '请补充照片' },
      ]);
    });
  });

  describe(`${opts.store}: listings`, () => {
    const form = 'housing.urban-residential';
    const author = `author-${randomUUID()}`;
    let made: Submission[];

    beforeAll(async () => {
      made = [];
      // 23 records over three villages of two townships, updated at distinct times, created in shuffled order.
      for (let i = 0; i < 23; i++) {
        const regionCode = VILLAGES[(i * 7) % 3]!;
        const at = new Date(Date.UTC(2021, 10, 10, 0, 0, 0) + ((i * 11) % 23) * 60_000).toISOString();
        const submitted = i % 2 === 0;
        made.push(makeSubmission({ formId: form, part: 'urban', regionCode, createdBy: author, updatedAt: at, createdAt: at, status: submitted ? 'submitted' : 'draft', ...(submitted ? { submittedAt: at } : {}) }));
      }
      for (const s of made) await ports.submissions.write(createWrite(s));
    });

    const byRegionThenTime = (a: Submission, b: Submission) => (a.regionCode + a.updatedAt + a.id < b.regionCode + b.updatedAt + b.id ? -1 : 1);

    it('by form in a region subtree: every record once, by region code then oldest update, over pages of 5', async () => {
      const { items, pages } = await all((cursor) => ports.submissions.list({ formId: form, regions: [DEMO_COUNTY], cursor, limit: 5 }));
      const mine = items.filter((s) => s.createdBy === author);
      expect(mine.map((s) => s.id)).toEqual([...made].sort(byRegionThenTime).map((s) => s.id));
      expect(pages).toBeGreaterThanOrEqual(5);
      const township = await all((cursor) => ports.submissions.list({ formId: form, regions: [TOWNSHIP], status: 'submitted', cursor, limit: 4 }));
      expect(township.items.filter((s) => s.createdBy === author).map((s) => s.id)).toEqual(
        made.filter((s) => s.regionCode.startsWith('420999001') && s.status === 'submitted').sort(byRegionThenTime).map((s) => s.id),
      );
    });

    it('by sector and by several region roots in the order given', async () => {
      const roots = [VILLAGES[2]!, VILLAGES[0]!];
      const { items } = await all((cursor) => ports.submissions.list({ sector: SECTOR, regions: roots, cursor, limit: 3 }));
      const mine = items.filter((s) => s.createdBy === author);
      const expected = [...made.filter((s) => s.regionCode === roots[0]).sort(byRegionThenTime), ...made.filter((s) => s.regionCode === roots[1]).sort(byRegionThenTime)];
      expect(mine.map((s) => s.id)).toEqual(expected.map((s) => s.id));
    });

    it('by author: oldest update first, filtered by form, status and regions', async () => {
      const { items } = await all((cursor) => ports.submissions.list({ createdBy: author, formId: form, regions: [DEMO_COUNTY], cursor, limit: 6 }));
      expect(items.map((s) => s.id)).toEqual([...made].sort((a, b) => (a.updatedAt < b.updatedAt ? -1 : 1)).map((s) => s.id));
      const drafts = await all((cursor) => ports.submissions.list({ createdBy: author, regions: [TOWNSHIP], status: 'draft', cursor, limit: 2 }));
      expect(drafts.items.map((s) => s.id).sort()).toEqual(made.filter((s) => s.status === 'draft' && s.regionCode.startsWith('420999001')).map((s) => s.id).sort());
    });

    it('the review queue: submitted only, oldest submission first, and it leaves the queue when reviewed', async () => {
      const read = () => all((cursor) => ports.submissions.listAwaitingReview({ sectors: [SECTOR], regions: [DEMO_COUNTY], formId: form, cursor, limit: 4 }));
      const queue = (await read()).items.filter((s) => s.createdBy === author);
      const expected = made.filter((s) => s.status === 'submitted').sort((a, b) => (a.submittedAt! + a.id < b.submittedAt! + b.id ? -1 : 1));
      expect(queue.map((s) => s.id)).toEqual(expected.map((s) => s.id));
      await ports.submissions.write(statusWrite(expected[0]!, 'approved', '2021-11-20T00:00:00.000Z'));
      const after = (await read()).items.filter((s) => s.createdBy === author);
      expect(after.map((s) => s.id)).toEqual(expected.slice(1).map((s) => s.id));
    });

    it('a tampered cursor is an InvalidCursor, not another page', async () => {
      const first = await ports.submissions.list({ formId: form, regions: [DEMO_COUNTY], limit: 2 });
      expect(first.nextCursor).toBeTruthy();
      for (const bad of ['not-a-cursor', Buffer.from('{"p":99}').toString('base64url'), Buffer.from('"x"').toString('base64url')]) {
        await expect(ports.submissions.list({ formId: form, regions: [DEMO_COUNTY], cursor: bad, limit: 2 })).rejects.toBeInstanceOf(InvalidCursor);
      }
    });

    it('scanCounty yields every record of the district exactly once', async () => {
      const ids = new Set<string>();
      let total = 0;
      for await (const page of ports.submissions.scanCounty(DEMO_COUNTY)) {
        for (const s of page) {
          ids.add(s.id);
          total++;
        }
      }
      expect(total).toBe(ids.size);
      for (const s of made) expect(ids.has(s.id)).toBe(true);
    });
  });

  describe(`${opts.store}: progress and directory`, () => {
    it('targets: set the listed cells only, keep counters, log every change oldest first', async () => {
      const region = VILLAGES[0]!;
      const before = (await cellOf(ports, FORM, region))!;
      await ports.progress.setTargets([{ formId: FORM, regionCode: region, target: 77 }], 'admin', '2021-11-07T00:00:00.000Z');
      await ports.progress.setAttestedNone(FORM, region, true, 'admin', '2021-11-07T01:00:00.000Z');
      await ports.progress.setTargets([{ formId: FORM, regionCode: region, target: 78 }], 'admin', '2021-11-07T02:00:00.000Z');
      const after = (await cellOf(ports, FORM, region))!;
      expect(after).toEqual({ ...before, target: 78, attestedNone: true });
      const log = await ports.progress.targetHistory(FORM, region);
      expect(log.slice(-3)).toEqual([
        { at: '2021-11-07T00:00:00.000Z', by: 'admin', target: 77 },
        { at: '2021-11-07T01:00:00.000Z', by: 'admin', attestedNone: true },
        { at: '2021-11-07T02:00:00.000Z', by: 'admin', target: 78 },
      ]);
      await ports.progress.setAttestedNone(FORM, region, false, 'admin', '2021-11-07T03:00:00.000Z');
      expect((await cellOf(ports, FORM, region))!.attestedNone).toBeUndefined();
    });

    it('a daily snapshot is replaced only by one read later', async () => {
      const county = '429999000000';
      const total = { target: 10, draft: 0, submitted: 0, returned: 0, approved: 5, remaining: 5, pct: 50, listed: 0, surveyed: 0, surveyedApproved: 0, notRequired: 0 };
      await ports.progress.putDailySnapshot({ county, date: '2021-11-08', at: '2021-11-08T10:00:00.000Z', total, sectors: [] });
      await ports.progress.putDailySnapshot({ county, date: '2021-11-08', at: '2021-11-08T09:00:00.000Z', total: { ...total, approved: 1 }, sectors: [] });
      await ports.progress.putDailySnapshot({ county, date: '2021-11-07', at: '2021-11-07T09:00:00.000Z', total, sectors: [] });
      const snaps = await ports.progress.listSnapshots(county);
      expect(snaps.map((s) => [s.date, s.total.approved])).toEqual([
        ['2021-11-07', 5],
        ['2021-11-08', 5],
      ]);
      await ports.progress.putDailySnapshot({ county, date: '2021-11-08', at: '2021-11-08T11:00:00.000Z', total: { ...total, approved: 7 }, sectors: [] });
      expect((await ports.progress.listSnapshots(county))[1]!.total.approved).toBe(7);
    });

    it('setCounts overwrites counters and keeps the target', async () => {
      const region = VILLAGES[1]!;
      const before = (await cellOf(ports, FORM, region))!;
      await ports.progress.setCounts(DEMO_COUNTY, [{ ...before, draft: 3, submitted: 2, returned: 1, approved: 0 }]);
      expect(await cellOf(ports, FORM, region)).toEqual({ ...before, draft: 3, submitted: 2, returned: 1, approved: 0 });
      await ports.progress.setCounts(DEMO_COUNTY, [before]);
    });

    it('setCounts also overwrites the object counters of a cell', async () => {
      const region = VILLAGES[2]!;
      const before = (await cellOf(ports, FORM, region))!;
      const objects = { objects: 7, listed: 6, surveyed: 3, surveyedApproved: 2, notRequired: 1 };
      await ports.progress.setCounts(DEMO_COUNTY, [{ ...before, ...objects }]);
      expect(await cellOf(ports, FORM, region)).toEqual({ ...before, ...objects });
      await ports.progress.setCounts(DEMO_COUNTY, [{ ...before, objects: 0, listed: 0, surveyed: 0, surveyedApproved: 0, notRequired: 0 }]);
      expect(await cellOf(ports, FORM, region)).toEqual(before);
    });

    it('a published form version is never overwritten; the current pointer moves to the newest', async () => {
      const base = (await ports.directory.currentForm(FORM))!;
      const id = `housing.conformance-${randomUUID().slice(0, 8)}`;
      const v1 = { ...base, id, version: 1 };
      await ports.directory.publishForm(v1);
      await expect(ports.directory.publishForm({ ...v1, title: { zh: '改', en: 'changed' } })).rejects.toBeInstanceOf(WriteConflict);
      expect((await ports.directory.formVersion(id, 1))!.title).toEqual(base.title);
      await ports.directory.publishForm({ ...v1, version: 2 });
      expect((await ports.directory.currentForm(id))!.version).toBe(2);
      expect((await ports.directory.listForms()).find((f) => f.id === id)!.version).toBe(2);
    });

    it('form versions list newest first with who published them; retiring keeps across a new version and comes back', async () => {
      const base = (await ports.directory.currentForm(FORM))!;
      const id = `housing.conformance-${randomUUID().slice(0, 8)}`;
      expect(await ports.directory.formVersions(id)).toEqual([]);
      expect(await ports.directory.setFormRetired(id, { by: 'admin', at: '2021-11-09T00:00:00.000Z' })).toBeUndefined();
      await ports.directory.publishForm({ ...base, id, version: 1 });
      await ports.directory.publishForm({ ...base, id, version: 2, fields: base.fields.slice(0, 3) }, { by: 'admin-1', at: '2021-11-10T08:00:00.000Z' });
      expect(await ports.directory.formVersions(id)).toEqual([
        { version: 2, title: base.title, fields: 3, publishedAt: '2021-11-10T08:00:00.000Z', publishedBy: 'admin-1' },
        { version: 1, title: base.title, fields: base.fields.length },
      ]);
      expect(await ports.directory.formRetired(id)).toBe(false);
      const retired = await ports.directory.setFormRetired(id, { by: 'admin-1', at: '2021-11-11T08:00:00.000Z' });
      expect(retired).toMatchObject({ id, version: 2, retired: true, retiredAt: '2021-11-11T08:00:00.000Z', retiredBy: 'admin-1' });
      expect(await ports.directory.formRetired(id)).toBe(true);
      await ports.directory.publishForm({ ...base, id, version: 3 });
      expect((await ports.directory.listForms()).find((f) => f.id === id)).toMatchObject({ version: 3, retired: true });
      const back = await ports.directory.setFormRetired(id, undefined);
      expect(back).toEqual({ id, version: 3, sector: base.sector, part: base.part, title: base.title, regionLevel: base.regionLevel });
      expect(await ports.directory.formRetired(id)).toBe(false);
      expect((await ports.directory.listForms()).find((f) => f.id === id)!.retired).toBeUndefined();
    });

    it('members are listed by username; settings and local logins round-trip', async () => {
      const sub = randomUUID();
      await ports.directory.putMember({ userId: sub, username: 'zz-conformance', displayName: '测试', role: 'staff', sector: 'forestry', regions: [TOWNSHIP] });
      expect(await ports.directory.member(sub)).toEqual({ userId: sub, username: 'zz-conformance', displayName: '测试', role: 'staff', sector: 'forestry', regions: [TOWNSHIP], status: 'active', version: 1 });
      expect((await ports.directory.memberByUsername('zz-conformance'))?.userId).toBe(sub);
      const names = (await ports.directory.members()).map((m) => m.username);
      expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
      await ports.directory.putSetting('conformance', { a: [1, '二'] }, 'admin', '2021-11-09T00:00:00.000Z');
      expect(await ports.directory.getSetting('conformance')).toEqual({ value: { a: [1, '二'] }, by: 'admin', at: '2021-11-09T00:00:00.000Z' });
      await ports.directory.putLocalUser({ username: 'zz-conformance', sub, passwordHash: 'scrypt$x' });
      expect(await ports.directory.localUser('zz-conformance')).toEqual({ username: 'zz-conformance', sub, passwordHash: 'scrypt$x' });
      expect(await ports.directory.localUser('nobody-here')).toBeUndefined();
      expect((await ports.directory.localUsers()).map((l) => l.username)).toContain('zz-conformance');
    });
  });

  describe(`${opts.store}: members`, () => {
    const at = (n: number) => new Date(Date.UTC(2021, 10, 2, 8, 0, n)).toISOString();
    const member = (over: Partial<Member> = {}): Member => ({
      userId: randomUUID(), username: `m-${randomUUID().slice(0, 8)}`, displayName: '李四', role: 'staff', sector: 'forestry', regions: [TOWNSHIP], status: 'active', version: 1, ...over,
    });
    const created = (m: Member): MemberChange => ({ at: at(0), by: 'admin', action: 'created', after: { username: m.username, role: m.role } });

    it('createMember writes the member, its username, its login and its first audit entry in one go', async () => {
      const m = member({ email: 'li@example.cn' });
      const login: LocalLogin = { username: m.username, sub: m.userId, passwordHash: 'scrypt$t', mustChangePassword: true, temporaryUntil: at(9) };
      await ports.directory.createMember(m, created(m), login);
      expect(await ports.directory.member(m.userId)).toEqual(m);
      expect(await ports.directory.memberByUsername(m.username)).toEqual(m);
      expect(await ports.directory.localUser(m.username)).toEqual(login);
      expect(await ports.directory.memberHistory(m.userId)).toEqual([created(m)]);
    });

    it('a taken username is UsernameTaken and a reused userId a WriteConflict; neither writes anything', async () => {
      const m = member();
      await ports.directory.createMember(m, created(m));
      const other = member({ username: m.username });
      await expect(ports.directory.createMember(other, created(other), { username: m.username, sub: other.userId, passwordHash: 'scrypt$other' })).rejects.toBeInstanceOf(UsernameTaken);
      expect(await ports.directory.member(other.userId)).toBeUndefined();
      expect(await ports.directory.localUser(m.username)).toBeUndefined();
      const sameId = member({ userId: m.userId });
      await expect(ports.directory.createMember(sameId, created(sameId))).rejects.toBeInstanceOf(WriteConflict);
      expect(await ports.directory.memberByUsername(sameId.username)).toBeUndefined();
      expect((await ports.directory.member(m.userId))!.username).toBe(m.username);
    });

    it('of 8 concurrent creates of one username exactly one wins', async () => {
      const username = `race-${randomUUID().slice(0, 8)}`;
      const tries = Array.from({ length: 8 }, () => member({ username }));
      const results = await Promise.allSettled(tries.map((m) => ports.directory.createMember(m, created(m))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(UsernameTaken);
      const winner = await ports.directory.memberByUsername(username);
      expect(tries.map((t) => t.userId)).toContain(winner!.userId);
    });

    it('updateMember is conditioned on the version: a stale one is a WriteConflict with nothing written; history stays in order', async () => {
      const m = member();
      await ports.directory.createMember(m, created(m));
      const moved: MemberChange = { at: at(1), by: 'admin', action: 'updated', before: { regions: [TOWNSHIP] }, after: { regions: [VILLAGES[0]!] } };
      await ports.directory.updateMember({ ...m, regions: [VILLAGES[0]!], version: 2 }, 1, moved);
      await expect(ports.directory.updateMember({ ...m, displayName: '王五', version: 2 }, 1, { at: at(2), by: 'admin', action: 'updated' })).rejects.toBeInstanceOf(WriteConflict);
      const stored = await ports.directory.member(m.userId);
      expect(stored).toMatchObject({ regions: [VILLAGES[0]], displayName: '李四', version: 2 });
      const disabled: MemberChange = { at: at(3), by: 'admin', action: 'disabled', before: { status: 'active' }, after: { status: 'disabled' } };
      const login: LocalLogin = { username: m.username, sub: m.userId, passwordHash: 'scrypt$new', passwordChangedAt: at(3) };
      await ports.directory.updateMember({ ...stored!, status: 'disabled', sessionsRevokedAt: at(3), version: 3 }, 2, disabled, login);
      expect(await ports.directory.member(m.userId)).toMatchObject({ status: 'disabled', sessionsRevokedAt: at(3), version: 3 });
      expect(await ports.directory.localUser(m.username)).toEqual(login);
      expect((await ports.directory.memberHistory(m.userId)).map((c) => c.action)).toEqual(['created', 'updated', 'disabled']);
      expect((await ports.directory.members()).find((x) => x.userId === m.userId)).toMatchObject({ status: 'disabled', version: 3 });
      // A row written before members were managed (no version) counts as version 1.
      const legacy = member();
      await ports.directory.putMember({ userId: legacy.userId, username: legacy.username, displayName: 'x', role: 'viewer', sector: null, regions: [TOWNSHIP] });
      await ports.directory.updateMember({ ...legacy, role: 'viewer', sector: null, displayName: 'y', version: 2 }, 1, null);
      expect((await ports.directory.member(legacy.userId))!.displayName).toBe('y');
      expect(await ports.directory.memberHistory(legacy.userId)).toEqual([]);
    });

    it('the last active administrator cannot be demoted or disabled, even by two concurrent changes', async () => {
      const admins = (await ports.directory.members()).filter((m) => m.role === 'admin' && m.status === 'active');
      // Bring the office down to two active administrators of our own, then race the demotion of both.
      const a = member({ role: 'admin', sector: null, regions: [] });
      const b = member({ role: 'admin', sector: null, regions: [] });
      await ports.directory.createMember(a, created(a));
      await ports.directory.createMember(b, created(b));
      for (const other of admins) await ports.directory.updateMember({ ...other, status: 'disabled', version: (other.version ?? 1) + 1 }, other.version ?? 1, null);
      const demote = (m: Member) => ports.directory.updateMember({ ...m, role: 'viewer', regions: [TOWNSHIP], version: 2 }, 1, { at: at(4), by: 'admin', action: 'updated' });
      const results = await Promise.allSettled([demote(a), demote(b)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(LastAdmin);
      const left = (await ports.directory.members()).filter((m) => m.role === 'admin' && m.status === 'active');
      expect(left).toHaveLength(1);
      await expect(ports.directory.updateMember({ ...left[0]!, status: 'disabled', version: 3 }, left[0]!.version!, null)).rejects.toBeInstanceOf(LastAdmin);
      // Restore the demo administrators (promotion is always allowed) for the rest of the suite.
      for (const other of admins) {
        const now = (await ports.directory.member(other.userId))!;
        await ports.directory.updateMember({ ...now, status: 'active', version: now.version! + 1 }, now.version!, null);
      }
      expect((await ports.directory.members()).filter((m) => m.role === 'admin' && m.status === 'active').length).toBe(admins.length + 1);
    });

    it('job records: read back while live, gone once expired', async () => {
      const id = randomUUID();
      const job = { kind: 'upload' as const, id, createdBy: 'u', createdAt: 'x', updatedAt: 'x', key: 'imports/x', fileName: 'a.csv', format: 'csv' as const, size: 3 };
      await ports.directory.putJob(job, Math.floor(Date.now() / 1000) + 60);
      expect(await ports.directory.getJob('upload', id)).toEqual(job);
      await ports.directory.putJob(job, Math.floor(Date.now() / 1000) - 1);
      expect(await ports.directory.getJob('upload', id)).toBeUndefined();
      expect(await ports.directory.getJob('export', id)).toBeUndefined();
    });
  });

  describe(`${opts.store}: jobs`, () => {
    it('a started export runs to done and its file downloads; a job for a member who is gone ends failed', async () => {
      const admin = await login(stack.url, 'admin');
      const start = await admin.post('/api/exports', { formId: FORM, format: 'csv' });
      expect(start.status).toBe(202);
      await stack.jobs.idle();
      const done = await admin.get(`/api/exports/${start.body.id}`);
      expect(done.body.status).toBe('done');
      const file = await fetch(new URL(done.body.url, stack.url));
      expect(file.status).toBe(200);
      expect((await file.text()).replace(/^\uFEFF/, '').split('\n')[0]).toContain('_id');

      const id = randomUUID();
      const job: ExportJob = {
        kind: 'export', id, createdBy: 'gone', createdAt: new Date().toISOString(), updatedAt: '', formId: FORM, format: 'csv',
        region: null, status: null, state: 'running', rows: 0, key: `exports/${id}.csv`, fileName: 'x.csv',
      };
      await saveJob(ports, job);
      await ports.jobs.start({ job: 'export', id, userId: 'no-such-member' });
      await stack.jobs.idle();
      const failed = await ports.directory.getJob<ExportJob>('export', id);
      expect(failed!.state).toBe('failed');
      expect(failed!.error).toMatch(/no longer a member/);
    });
  });

  describe(`${opts.store}: files`, () => {
    const submissionId = randomUUID();
    const key = attachmentKey(submissionId, randomUUID());

    it('an upload within the signed policy is accepted and then exists', async () => {
      const grant = await ports.files.presignUpload(key, 'image/jpeg', 1000, { field: 'photos' });
      expect(await judge(grant, { bytes: PHOTO_BYTES, contentType: 'image/jpeg' })).toBe(true);
      if (opts.store === 'embedded') expect(await ports.files.exists(key)).toBe(true);
    });

    it('refuses uploads outside the policy: too large, empty, another content type, another key, after expiry', async () => {
      const k = attachmentKey(submissionId, randomUUID());
      const grant = await ports.files.presignUpload(k, 'image/jpeg', 100, { field: 'photos' });
      expect(await judge(grant, { bytes: new Uint8Array(101), contentType: 'image/jpeg' })).toBe(false);
      expect(await judge(grant, { bytes: new Uint8Array(0), contentType: 'image/jpeg' })).toBe(false);
      expect(await judge(grant, { bytes: PHOTO_BYTES, contentType: 'image/png' })).toBe(false);
      expect(await judge(grant, { bytes: PHOTO_BYTES, contentType: 'image/jpeg', fields: { key: attachmentKey(randomUUID(), randomUUID()) } })).toBe(false);
      expect(await judge(grant, { bytes: PHOTO_BYTES, contentType: 'image/jpeg' }, new Date(Date.now() + 16 * 60_000))).toBe(false);
      if (opts.store === 'embedded') expect(await ports.files.exists(k)).toBe(false);
    });

    it('putStream stores a body of unknown length; getBytes reads it back and refuses more than asked; a signed link downloads it', async () => {
      const k = `exports/conformance-${randomUUID()}.csv`;
      const body = Buffer.from('a,b\n'.repeat(50_000));
      const r = await ports.files.putStream(k, Readable.from([body.subarray(0, 1000), body.subarray(1000)]), 'text/csv; charset=utf-8');
      expect(r.bytes).toBe(body.length);
      expect(await ports.files.exists(k)).toBe(true);
      expect(Buffer.from((await ports.files.getBytes(k, body.length))!).equals(body)).toBe(true);
      await expect(ports.files.getBytes(k, 10)).rejects.toThrow();
      expect(await ports.files.getBytes(`exports/missing-${randomUUID()}`, 10)).toBeUndefined();
      const link = await ports.files.presignDownload(k, '导出.csv');
      const res = await fetch(new URL(link, stack.url));
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    });

    it('a failing source leaves no object', async () => {
      const k = `exports/conformance-${randomUUID()}.csv`;
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(10_000, 1));
          this.destroy(new Error('source failed'));
        },
      });
      await expect(ports.files.putStream(k, failing, 'text/csv')).rejects.toThrow();
      expect(await ports.files.exists(k)).toBe(false);
    });
  });

  describe(`${opts.store}: survey objects`, () => {
    const OFORM = 'emergency.shelter';
    const OVILLAGES = ['420999004001', '420999004002', '420999003002'];
    const AT = '2021-11-09T08:00:00.000Z';
    const object = (code: string, over: Partial<SurveyObject> = {}): SurveyObject => ({
      id: objectId(over.formId ?? OFORM, code),
      formId: OFORM,
      regionCode: OVILLAGES[0]!,
      code,
      name: `避难场所${code}`,
      status: 'pending',
      version: 1,
      createdAt: AT,
      createdBy: 'admin',
      updatedAt: AT,
      updatedBy: 'admin',
      ...over,
    });
    const cellDelta = (o: SurveyObject) => ({ formId: o.formId, regionCode: o.regionCode, delta: objectCountDelta(null, o.status) });
    const counts = async (formId: string, region: string) => {
      const c = await cellOf(ports, formId, region);
      return { objects: c?.objects ?? 0, listed: c?.listed ?? 0, surveyed: c?.surveyed ?? 0, surveyedApproved: c?.surveyedApproved ?? 0, notRequired: c?.notRequired ?? 0 };
    };

    it('a batch writes its objects and their cell counters together; a taken id fails the whole batch with nothing written', async () => {
      const before = await counts(OFORM, OVILLAGES[0]!);
      const a = object('C1-001');
      const b = object('C1-002', { status: 'not-required', note: '已拆除' });
      const c = object('C1-003', { status: 'duplicate', note: '与C1-001重复' });
      await ports.objects.writeObjects(
        [a, b, c].map((next) => ({ next, expect: { create: true } as const })),
        [{ formId: OFORM, regionCode: OVILLAGES[0]!, delta: { objects: 3, listed: 2, notRequired: 1 } }],
      );
      expect(await ports.objects.get(a.id)).toEqual(a);
      expect(await counts(OFORM, OVILLAGES[0]!)).toEqual({ ...before, objects: before.objects + 3, listed: before.listed + 2, notRequired: before.notRequired + 1 });
      const d = object('C1-004');
      await expect(ports.objects.writeObjects([{ next: d, expect: { create: true } }, { next: a, expect: { create: true } }], [cellDelta(d)])).rejects.toBeInstanceOf(WriteConflict);
      expect(await ports.objects.get(d.id)).toBeUndefined();
      expect((await counts(OFORM, OVILLAGES[0]!)).objects).toBe(before.objects + 3);
      expect((await ports.objects.getMany([a.id, d.id, b.id, a.id])).map((o) => o.id).sort()).toEqual([a.id, b.id].sort());
    });

    it('a replace is conditioned on the stored version: a stale one is a WriteConflict with nothing written', async () => {
      const a = object('C2-001');
      await ports.objects.writeObjects([{ next: a, expect: { create: true } }], [cellDelta(a)]);
      const next = { ...a, name: '新名称', version: 2 };
      await ports.objects.writeObjects([{ next, expect: { version: 1 } }], []);
      await expect(ports.objects.writeObjects([{ next: { ...a, name: '旧的', version: 2 }, expect: { version: 1 } }], [])).rejects.toBeInstanceOf(WriteConflict);
      expect((await ports.objects.get(a.id))!.name).toBe('新名称');
    });

    it('lists by form in the order given, then region code, then code, over pages; filters by status, assignee and text; a forged cursor is refused', async () => {
      const FORM2 = 'emergency.school';
      const objs = [
        object('L-03', { regionCode: OVILLAGES[1]! }),
        object('L-01', { regionCode: OVILLAGES[1]!, assignee: 'staff-x' }),
        object('L-02', { regionCode: OVILLAGES[0]!, status: 'not-required', note: 'n' }),
        object('L-09', { regionCode: OVILLAGES[2]!, assignee: 'staff-x' }),
        object('L-05', { formId: FORM2, id: objectId(FORM2, 'L-05'), regionCode: OVILLAGES[0]!, name: '第五小学', assignee: 'staff-x' }),
      ];
      await ports.objects.writeObjects(objs.map((next) => ({ next, expect: { create: true } as const })), objs.map(cellDelta));
      const ours = (items: SurveyObject[]) => items.filter((o) => o.code.startsWith('L-')).map((o) => `${o.formId}/${o.regionCode}/${o.code}`);
      const township4 = '420999004000';
      const listed = await all((cursor) => ports.objects.list({ formIds: [FORM2, OFORM], regions: [township4], limit: 2, ...(cursor ? { cursor } : {}) }));
      expect(ours(listed.items)).toEqual([`${FORM2}/${OVILLAGES[0]}/L-05`, `${OFORM}/${OVILLAGES[0]}/L-02`, `${OFORM}/${OVILLAGES[1]}/L-01`, `${OFORM}/${OVILLAGES[1]}/L-03`]);
      expect(new Set(listed.items.map((o) => o.id)).size).toBe(listed.items.length);
      expect(listed.pages).toBeGreaterThan(1);
      const mine = await all((cursor) => ports.objects.list({ formIds: [OFORM, FORM2], regions: [DEMO_COUNTY], assignee: 'staff-x', limit: 1, ...(cursor ? { cursor } : {}) }));
      expect(ours(mine.items)).toEqual([`${OFORM}/${OVILLAGES[2]}/L-09`, `${OFORM}/${OVILLAGES[1]}/L-01`, `${FORM2}/${OVILLAGES[0]}/L-05`]);
      const closed = await all((cursor) => ports.objects.list({ formIds: [OFORM], regions: [township4], status: 'not-required', limit: 50, ...(cursor ? { cursor } : {}) }));
      expect(ours(closed.items)).toEqual([`${OFORM}/${OVILLAGES[0]}/L-02`]);
      const text = await all((cursor) => ports.objects.list({ formIds: [FORM2], regions: [DEMO_COUNTY], q: '第五', limit: 50, ...(cursor ? { cursor } : {}) }));
      expect(ours(text.items)).toEqual([`${FORM2}/${OVILLAGES[0]}/L-05`]);
      const byCode = await all((cursor) => ports.objects.list({ formIds: [OFORM], regions: [DEMO_COUNTY], q: 'L-0', limit: 50, ...(cursor ? { cursor } : {}) }));
      expect(ours(byCode.items).length).toBe(4);
      await expect(ports.objects.list({ formIds: [OFORM], regions: [township4], limit: 2, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursor);
      await expect(ports.objects.list({ formIds: [OFORM], regions: [township4], limit: 2, cursor: Buffer.from(JSON.stringify({ p: 7, k: 'x' })).toString('base64url') })).rejects.toBeInstanceOf(InvalidCursor);
    });

    it('a record claims its object in its own transaction; a second live record is ObjectTaken with nothing written; voiding releases it; approval counts', async () => {
      const village = OVILLAGES[2]!;
      const o = object('R-001', { regionCode: village });
      await ports.objects.writeObjects([{ next: o, expect: { create: true } }], [cellDelta(o)]);
      const before = await counts(OFORM, village);
      const first = makeSubmission({ formId: OFORM, sector: 'emergency', regionCode: village, objectId: o.id });
      await ports.submissions.write({ ...createWrite(first), object: objectEffect(o.id, null, 'draft') });
      const claimed = (await ports.objects.get(o.id))!;
      expect([claimed.status, claimed.submissionId, claimed.version]).toEqual(['surveyed', first.id, 2]);
      expect(await counts(OFORM, village)).toEqual({ ...before, surveyed: before.surveyed + 1 });

      const second = makeSubmission({ formId: OFORM, sector: 'emergency', regionCode: village, objectId: o.id });
      const cellBefore = await cellOf(ports, OFORM, village);
      await expect(ports.submissions.write({ ...createWrite(second), object: objectEffect(o.id, null, 'draft') })).rejects.toBeInstanceOf(ObjectTaken);
      expect(await ports.submissions.get(second.id)).toBeUndefined();
      expect(await ports.submissions.history(second.id)).toEqual([]);
      expect(await cellOf(ports, OFORM, village)).toEqual(cellBefore);

      const submitted = { ...statusWrite(first, 'submitted', '2021-11-09T09:00:00.000Z', 'staff'), object: objectEffect(o.id, 'draft', 'submitted') };
      await ports.submissions.write(submitted);
      const approvedW = { ...statusWrite(submitted.next, 'approved', '2021-11-09T10:00:00.000Z'), object: objectEffect(o.id, 'submitted', 'approved') };
      await ports.submissions.write(approvedW);
      expect(await counts(OFORM, village)).toEqual({ ...before, surveyed: before.surveyed + 1, surveyedApproved: before.surveyedApproved + 1 });

      const voided = statusWrite(approvedW.next, 'voided' as Submission['status'], '2021-11-09T11:00:00.000Z', 'admin');
      await ports.submissions.write({ ...voided, object: objectEffect(o.id, 'approved', 'voided') });
      const released = (await ports.objects.get(o.id))!;
      expect([released.status, released.submissionId]).toEqual(['pending', undefined]);
      expect(await counts(OFORM, village)).toEqual(before);
      // Released, the object can be surveyed again.
      await ports.submissions.write({ ...createWrite(second), object: objectEffect(o.id, null, 'draft') });
      expect((await ports.objects.get(o.id))!.submissionId).toBe(second.id);
    });

    it('of 8 records racing for one object exactly one claims it, and the cell counts it once', async () => {
      const village = OVILLAGES[1]!;
      const o = object('R-RACE', { regionCode: village });
      await ports.objects.writeObjects([{ next: o, expect: { create: true } }], [cellDelta(o)]);
      const before = await counts(OFORM, village);
      const racers = Array.from({ length: 8 }, () => makeSubmission({ formId: OFORM, sector: 'emergency', regionCode: village, objectId: o.id }));
      const results = await Promise.allSettled(racers.map((r) => ports.submissions.write({ ...createWrite(r), object: objectEffect(o.id, null, 'draft') })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ObjectTaken);
      const winner = racers[results.findIndex((r) => r.status === 'fulfilled')]!;
      expect((await ports.objects.get(o.id))!.submissionId).toBe(winner.id);
      expect((await counts(OFORM, village)).surveyed).toBe(before.surveyed + 1);
    });

    it('boundaries: stored and replaced by code, read back by level', async () => {
      const ring = (x: number) => [[[114 + x, 30], [114.1 + x, 30], [114.1 + x, 30.1], [114 + x, 30]]];
      await ports.directory.putBoundaries([
        { code: '429998000000', level: 'county', geometry: { type: 'Polygon', coordinates: ring(0) } },
        { code: '429998001000', level: 'township', geometry: { type: 'Polygon', coordinates: ring(0.5) } },
      ]);
      await ports.directory.putBoundaries([{ code: '429998001000', level: 'township', geometry: { type: 'MultiPolygon', coordinates: [ring(0.7)] } }]);
      const townships = (await ports.directory.boundaries('township')).filter((b) => b.code.startsWith('429998'));
      expect(townships).toEqual([{ code: '429998001000', level: 'township', geometry: { type: 'MultiPolygon', coordinates: [ring(0.7)] } }]);
      const every = (await ports.directory.boundaries()).filter((b) => b.code.startsWith('429998')).map((b) => b.code);
      expect(every).toEqual(['429998000000', '429998001000']);
    });
  });

  describe(`${opts.store}: what clients see over HTTP`, () => {
    let staff: Client;
    const body = (n: number) => ({
      formId: FORM,
      regionCode: '420999001001',
      data: { householder: `王${n}`, floors: 2, floor_area: 96.5, year_built: 2001, structure: 'masonry', strengthened: false, location: { lat: 30.6, lng: 114.3 } },
    });

    beforeAll(async () => {
      staff = await login(stack.url, 'staff-housing');
    });

    it('create → 201; the same again is replayed; other content → 409; a stale If-Match → 412; the last write retried → its answer', async () => {
      const id = newId();
      const a = await staff.put(`/api/submissions/${id}`, body(1));
      expect(a.status).toBe(201);
      const replay = await staff.put(`/api/submissions/${id}`, body(1));
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(a.body);
      expect((await staff.put(`/api/submissions/${id}`, body(2))).status).toBe(409);
      const upd = await staff.put(`/api/submissions/${id}`, body(3), ifMatch(1));
      expect(upd.status).toBe(200);
      const retried = await staff.put(`/api/submissions/${id}`, body(3), ifMatch(1));
      expect(retried.status).toBe(200);
      expect(retried.body.version).toBe(2);
      expect((await staff.put(`/api/submissions/${id}`, body(4), ifMatch(1))).status).toBe(412);
      const got = await staff.get(`/api/submissions/${id}`);
      expect(got.body.data.householder).toBe('王3');
      expect(got.body.history.map((h: HistoryEntry) => h.action)).toEqual(['created', 'updated']);
    });

    it('16 clients submitting at once: every 2xx is stored once and the counters equal a recount', async () => {
      const admin = await login(stack.url, 'admin');
      const ids = Array.from({ length: 48 }, () => newId());
      const res = await Promise.all(ids.map((id, i) => staff.put(`/api/submissions/${id}?submit=true`, body(100 + i))));
      expect(res.map((r) => r.status)).toEqual(ids.map(() => 201));
      for (const id of ids) expect((await staff.get(`/api/submissions/${id}`)).body.status).toBe('submitted');
      const rec = await admin.post('/api/admin/reconcile', {});
      expect(rec.status).toBe(200);
      expect(rec.body.drift).toEqual([]);
    });
  });
}
