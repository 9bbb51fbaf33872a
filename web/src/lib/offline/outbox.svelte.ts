/**
 * The outbox: records saved or submitted on this device wait here (IndexedDB, photos included) until the server has
 * confirmed them, and are replayed in the order they were queued whenever the network allows.
 *
 * Contract with the API (API.md "Submissions"), which makes every replay safe:
 * - An item keeps its client id for ever. A create (PUT without If-Match) or an update (PUT with If-Match) that is sent
 *   again with the same body is answered with the original success, so a reply lost on a bad network costs nothing.
 * - A record with photos taken offline is created as a draft first (attachments hang off an existing record), each
 *   photo gets a grant (POST …/attachments) and is uploaded to storage, then the answers — local photo ids replaced
 *   by the server's attachment ids, kept per file so an interrupted sync does not upload twice — are saved or
 *   submitted (PUT ?submit=true) with If-Match. Every confirmed step moves the item's base version, on the device.
 * - Only then is the item "sent" (with the server's receipt: id, version, status) and its photos dropped. Nothing
 *   leaves the device before the server has confirmed it.
 * - Network failures, 5xx and 429 stop the run and retry later with exponential backoff and jitter; the order is kept
 *   (a later item never overtakes an earlier one that is still failing).
 * - 412 (someone changed the record meanwhile, e.g. a reviewer returned it) and 409 are conflicts: the item needs
 *   attention with the server's copy beside the user's, until the user chooses (keep mine → re-applied on top of the
 *   server version with its If-Match; take theirs → the device copy is dropped). Nothing is overwritten silently.
 *   Other refusals (422, 403, 404…) also need attention, with the server's reasons.
 * - One tab sends at a time (Web Locks); tabs tell each other about changes (BroadcastChannel).
 */
import { api, ApiError, uploadToStorage } from '$lib/api';
import { session } from '$lib/session.svelte';
import type { Submission } from '$lib/form/types';
import { newId } from '$lib/form/uuid';
import {
  deleteItem,
  dropOrphanFiles,
  fileCounts,
  filesOf,
  getFile,
  getItem,
  getMeta,
  getRecord,
  listItems,
  recordsOf,
  markUploaded,
  pruneFiles,
  releaseUploaded,
  putFile,
  saveRecords,
  setMeta,
  updateItem,
  type Attention,
  type CachedRecord,
  type OutboxFile,
  type OutboxItem,
} from './db';
import { askPersistence, persisted, usage, type Persistence, type Usage } from './storage';

export type { OutboxItem, OutboxFile, Attention, CachedRecord } from './db';

/** Backoff: 1 s, 2 s, 4 s … at most 2 min, each drawn in [½, 1] of that ("equal jitter"). */
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_CAP_MS = 120_000;
/** Sent items (receipts) stay visible this long. */
const KEEP_SENT_MS = 7 * 24 * 3600 * 1000;

export function backoffDelay(failures: number, random = Math.random): number {
  const d = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(d / 2 + (random() * d) / 2);
}

/** Answers with a local file id replaced by its server attachment id (or removed when `strip` and not uploaded yet). */
function mapFiles(data: Record<string, unknown>, files: Map<string, OutboxFile>, strip: boolean): Record<string, unknown> {
  const one = (v: unknown): unknown => {
    if (typeof v !== 'string' || !files.has(v)) return v;
    const f = files.get(v)!;
    return f.attachmentId ?? (strip ? undefined : v);
  };
  const walk = (obj: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      let nv: unknown;
      if (Array.isArray(v)) {
        const arr = v.map((x) => (x && typeof x === 'object' && !Array.isArray(x) ? walk(x as Record<string, unknown>) : one(x))).filter((x) => x !== undefined);
        nv = arr.length || !v.length ? arr : undefined;
      } else nv = one(v);
      if (nv !== undefined) out[k] = nv;
    }
    return out;
  };
  return walk(data);
}

/** Local file ids an item's answers refer to. */
function referencedFiles(data: unknown, known: Set<string>, out = new Set<string>()): Set<string> {
  if (typeof data === 'string') {
    if (known.has(data)) out.add(data);
  } else if (Array.isArray(data)) for (const x of data) referencedFiles(x, known, out);
  else if (data && typeof data === 'object') for (const x of Object.values(data)) referencedFiles(x, known, out);
  return out;
}

/** 'retry': the item adopted the server's version of its own lost create; send it again now. */
type SendResult = 'done' | 'transient' | 'attention' | 'auth' | 'retry';

export interface EnqueueInput {
  id: string;
  formId: string;
  formVersion?: number;
  regionCode: string;
  /** The survey object the record is for, if any. */
  objectId?: string;
  data: Record<string, unknown>;
  submit: boolean;
  /** The server version the answers were edited on (null: not on the server yet). */
  baseVersion: number | null;
}

class Outbox {
  /** All items of this device, queue order. */
  items = $state.raw<OutboxItem[]>([]);
  /** Number of files (photos) kept per item. */
  fileCounts = $state.raw<Record<string, number>>({});
  online = $state(typeof navigator === 'undefined' ? true : navigator.onLine);
  running = $state(false);
  lastSync = $state<string | null>(null);
  /** When the next automatic attempt is due after a failure (ms since epoch), or null. */
  retryAt = $state<number | null>(null);
  lastProblem = $state('');
  persistence = $state<Persistence | null>(null);
  storage = $state<Usage | null>(null);

  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private again = false;
  private started = false;
  private channel: BroadcastChannel | null = null;
  /** Who waits for an item to settle, and since when (ms): a failed send after that settles it too. */
  private waiters = new Map<string, { done: (i: OutboxItem | undefined) => void; since: number }[]>();
  /** When a send last failed for the network or the server (ms): the queue then waits, and so need no caller. */
  private failedAt = 0;

  /** This user's items. */
  get mine(): OutboxItem[] {
    const uid = session.me?.userId;
    return uid ? this.items.filter((i) => i.userId === uid) : [];
  }
  /** Items not yet confirmed by the server. */
  get unsent(): OutboxItem[] {
    return this.mine.filter((i) => i.state !== 'sent');
  }
  get attention(): OutboxItem[] {
    return this.mine.filter((i) => i.state === 'attention');
  }
  /** Unsent items of other accounts on this device (they are sent when that account signs in). */
  get others(): number {
    const uid = session.me?.userId;
    return this.items.filter((i) => i.userId !== uid && i.state !== 'sent').length;
  }

  /** The item for a record when it is still waiting to be sent (or needs attention). */
  pending(id: string): OutboxItem | undefined {
    const it = this.items.find((i) => i.id === id);
    return it && it.state !== 'sent' ? it : undefined;
  }
  item(id: string): OutboxItem | undefined {
    return this.items.find((i) => i.id === id);
  }

  /** Start once per page: load the queue, ask for persistent storage, listen to the network, send what waits. */
  start() {
    if (this.started || typeof window === 'undefined') return;
    this.started = true;
    window.addEventListener('online', () => {
      this.online = true;
      this.failures = 0;
      void this.sync();
    });
    window.addEventListener('offline', () => {
      this.online = false;
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.unsent.length) void this.sync();
    });
    if ('BroadcastChannel' in window) {
      this.channel = new BroadcastChannel('risk-census-outbox');
      this.channel.onmessage = () => void this.refresh();
    }
    void (async () => {
      this.lastSync = (await getMeta<string>('lastSync')) ?? null;
      await this.housekeeping();
      await this.refresh();
      this.persistence = await persisted();
      this.storage = await usage();
      await this.sync();
    })();
  }

  /** Ask for persistent storage (on the first record kept on the device, or from the status panel). */
  async askPersistence(): Promise<Persistence> {
    this.persistence = await askPersistence();
    this.storage = await usage();
    return this.persistence;
  }

  async refresh() {
    const [items, counts] = await Promise.all([listItems(), fileCounts()]);
    this.items = items;
    this.fileCounts = counts;
    for (const [id, list] of this.waiters) {
      const it = items.find((i) => i.id === id);
      const ready = list.filter((w) => isSettled(it) || this.failedAt >= w.since);
      if (!ready.length) continue;
      const rest = list.filter((w) => !ready.includes(w));
      if (rest.length) this.waiters.set(id, rest);
      else this.waiters.delete(id);
      for (const w of ready) w.done(it);
    }
  }

  private changed() {
    this.channel?.postMessage('changed');
    return this.refresh();
  }

  private async housekeeping() {
    const old = new Date(Date.now() - KEEP_SENT_MS).toISOString();
    for (const it of await listItems()) if (it.state === 'sent' && it.updatedAt < old) await deleteItem(it.id);
    await dropOrphanFiles(new Date(Date.now() - 24 * 3600 * 1000).toISOString());
  }

  // ── what the form editor uses

  /** Keep a photo or file on the device for a record; returns the local id to put in the answers (a UUID). */
  async keepFile(itemId: string, field: string, file: File): Promise<string> {
    const localId = newId();
    await putFile({ localId, itemId, field, name: file.name, type: file.type, size: file.size, blob: file, addedAt: new Date().toISOString() });
    void this.askOnce();
    return localId;
  }

  /**
   * A local file id: a displayable URL while the file is on the device, or the server's attachment id once it has
   * been uploaded. Null when the id is not a local one (it is the server's own).
   */
  async fileUrl(localId: string): Promise<{ url?: string; attachmentId?: string } | null> {
    const f = await getFile(localId);
    if (!f) return null;
    return f.attachmentId ? { attachmentId: f.attachmentId } : { url: URL.createObjectURL(f.blob) };
  }

  /** Put the latest answers of a record in the outbox (replacing what waited for it) and try to send them. */
  async enqueue(input: EnqueueInput): Promise<OutboxItem> {
    const me = session.me;
    if (!me) throw new Error('not signed in');
    const now = new Date().toISOString();
    const item = await updateItem(input.id, (cur) => {
      const data = structuredClone(input.data);
      if (!cur || cur.state === 'sent') {
        // Build on the newest version we know: our own last confirmed write counts.
        const base = cur?.receipt && (input.baseVersion === null || cur.receipt.version > input.baseVersion) ? cur.receipt.version : input.baseVersion;
        return {
          id: input.id,
          userId: me.userId,
          formId: input.formId,
          formVersion: input.formVersion,
          regionCode: input.regionCode,
          ...(input.objectId ? { objectId: input.objectId } : {}),
          data,
          submit: input.submit,
          baseVersion: base,
          seq: Date.now(),
          queuedAt: now,
          updatedAt: now,
          rev: (cur?.rev ?? 0) + 1,
          state: 'waiting',
          attempts: 0,
        };
      }
      // Still waiting: the newer answers replace the older ones; the base version stays what the server confirmed.
      const conflict = cur.state === 'attention' && cur.attention?.kind === 'conflict';
      return {
        ...cur,
        data,
        // Moved to a newer version of the form while waiting: the answers now belong to that version.
        formVersion: input.formVersion ?? cur.formVersion,
        submit: input.submit,
        updatedAt: now,
        rev: cur.rev + 1,
        state: conflict ? 'attention' : cur.state === 'sending' ? 'sending' : 'waiting',
        attention: conflict ? cur.attention : undefined,
        attempts: conflict ? cur.attempts : 0,
      };
    });
    const known = new Set((await filesOf(input.id)).map((f) => f.localId));
    await pruneFiles(input.id, referencedFiles(input.data, known), now);
    await this.changed();
    void this.askOnce();
    this.failures = 0;
    void this.sync();
    return item!;
  }

  /**
   * Resolves when the record's item is sent or needs attention, when it failed an attempt since it was queued, when a
   * send of the queue failed for the network or the server after `since` (the queue then waits its backoff), or after
   * `ms` — then with its current state.
   */
  settled(id: string, ms: number, since = Date.now()): Promise<OutboxItem | undefined> {
    const it = this.items.find((i) => i.id === id);
    if (isSettled(it) || this.failedAt >= since) return Promise.resolve(it);
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      const waiter = {
        since,
        done: (x: OutboxItem | undefined) => {
          clearTimeout(t);
          resolve(x);
        },
      };
      const t = setTimeout(() => {
        const l = this.waiters.get(id);
        if (l) this.waiters.set(id, l.filter((w) => w !== waiter));
        resolve(this.items.find((i) => i.id === id));
      }, ms);
      list.push(waiter);
      this.waiters.set(id, list);
    });
  }

  private asked = false;
  private async askOnce() {
    if (this.asked) return;
    this.asked = true;
    await this.askPersistence();
  }

  // ── the user's choices

  /** Conflict → keep mine: re-apply my answers on top of the server's current version (its If-Match). */
  async keepMine(id: string) {
    await updateItem(id, (cur) => {
      const server = cur?.attention?.server;
      if (!cur || !server) return cur;
      return { ...cur, baseVersion: server.version, state: 'waiting', attention: undefined, attempts: 0, updatedAt: new Date().toISOString(), rev: cur.rev + 1 };
    });
    await this.changed();
    this.failures = 0;
    await this.sync();
  }

  /** Conflict → take theirs: drop the device's copy; the server's record stays as it is. */
  async takeTheirs(id: string) {
    const it = await getItem(id);
    const me = session.me;
    if (it?.attention?.server && me) await saveRecords(me.userId, [it.attention.server]);
    await deleteItem(id);
    await this.changed();
  }

  /** Try an item that was refused again (e.g. after the administrator fixed a permission). */
  async retry(id: string) {
    await updateItem(id, (cur) => (cur ? { ...cur, state: 'waiting', attention: undefined, attempts: 0 } : cur));
    await this.changed();
    this.failures = 0;
    await this.sync();
  }

  // ── sending

  /** Send what waits, in order. Safe to call any time: runs one at a time (across tabs too). */
  async sync(manual = false): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    if (typeof navigator !== 'undefined' && !navigator.onLine) {
      this.online = false;
      return;
    }
    const me = session.me;
    if (!session.token || !me) return;
    clearTimeout(this.timer);
    this.retryAt = null;
    this.running = true;
    try {
      const work = () => this.runQueue(me.userId, manual);
      if (navigator.locks?.request) await navigator.locks.request('risk-census-outbox', work);
      else await work();
    } finally {
      this.running = false;
      await this.refresh();
      this.storage = await usage();
    }
    if (this.again) {
      this.again = false;
      void this.sync();
    }
  }

  private async runQueue(userId: string, manual: boolean) {
    let confirmed = 0;
    do {
      this.again = false;
      const queue = (await listItems()).filter((i) => i.userId === userId && (i.state === 'waiting' || i.state === 'sending'));
      for (const queued of queue) {
        // Re-read: the user may have edited it, or another tab sent it, since the queue was listed.
        const it = await updateItem(queued.id, (c) => (c && (c.state === 'waiting' || c.state === 'sending') ? { ...c, state: 'sending', lastTryAt: new Date().toISOString() } : undefined));
        if (!it) continue;
        await this.changed();
        const r = await this.send(it);
        await this.changed();
        if (r === 'done') confirmed++;
        if (r === 'transient') {
          this.failedAt = Date.now();
          this.failures++;
          const wait = backoffDelay(this.failures);
          this.retryAt = Date.now() + wait;
          this.timer = setTimeout(() => void this.sync(), wait);
          return;
        }
        if (r === 'auth') return;
      }
    } while (this.again);
    this.failures = 0;
    this.lastProblem = '';
    if (!confirmed && manual) {
      // Nothing to send: a real round trip (not the service worker's cache) tells whether the server is reachable.
      try {
        await api.get('/api/health');
      } catch {
        return;
      }
      confirmed = 1;
    }
    if (confirmed) {
      this.lastSync = new Date().toISOString();
      await setMeta('lastSync', this.lastSync);
    }
  }

  /** Send one item as far as it goes. */
  private async send(it: OutboxItem): Promise<SendResult> {
    try {
      return await this.sendSteps(it, false);
    } catch (e) {
      const message = e instanceof ApiError ? `${e.status || ''} ${e.code}`.trim() : (e as Error).message;
      this.lastProblem = message;
      await updateItem(it.id, (c) => (c ? { ...c, state: 'waiting', attempts: c.attempts + 1, lastError: message } : c));
      if (e instanceof ApiError && e.status === 401) return 'auth';
      return 'transient';
    }
  }

  private async sendSteps(it: OutboxItem, adopted: boolean): Promise<SendResult> {
    const files = new Map((await filesOf(it.id)).map((f) => [f.localId, f]));
    const refs = [...referencedFiles(it.data, new Set(files.keys()))].map((k) => files.get(k)!);
    let version = it.baseVersion;
    // The version the answers were filled under: a record kept offline under an old version syncs under it.
    const body = (data: Record<string, unknown>) => ({
      formId: it.formId,
      ...(it.formVersion ? { formVersion: it.formVersion } : {}),
      regionCode: it.regionCode,
      ...(it.objectId ? { objectId: it.objectId } : {}),
      data,
    });

    const put = async (data: Record<string, unknown>, submit: boolean): Promise<Submission | SendResult> => {
      try {
        const r = await api.put<Submission>(`/api/submissions/${it.id}${submit ? '?submit=true' : ''}`, body(data), version === null ? {} : api.ifMatch(version));
        return r.body;
      } catch (e) {
        return this.refused(it, e, version, adopted);
      }
    };

    const pendingFiles = refs.filter((f) => !f.attachmentId);
    if (pendingFiles.length) {
      if (version === null) {
        // Attachments hang off an existing record: create it as a draft first, without the photos.
        const r = await put(mapFiles(it.data, files, true), false);
        if (typeof r === 'string') return r === 'retry' ? this.sendSteps({ ...it, baseVersion: (await getItem(it.id))?.baseVersion ?? null }, true) : r;
        version = r.version;
        await this.confirmStep(it.id, r);
      }
      for (const f of pendingFiles) {
        let grant: { attachmentId: string; upload: { url: string; fields: Record<string, string> } };
        try {
          grant = (await api.post<typeof grant>(`/api/submissions/${it.id}/attachments`, { field: f.field, contentType: f.type, size: f.size, fileName: f.name.slice(0, 255) })).body;
        } catch (e) {
          const r = await this.refused(it, e, version, adopted);
          return r === 'retry' ? this.sendSteps({ ...it, baseVersion: (await getItem(it.id))?.baseVersion ?? null }, true) : r;
        }
        try {
          await uploadToStorage(grant.upload, f.blob);
        } catch (e) {
          // Storage refused or the connection dropped: a fresh grant next time (grants expire; unused ones are harmless).
          throw e instanceof ApiError ? new ApiError(e.network ? 0 : 503, 'upload', e.detail) : e;
        }
        await markUploaded(f.localId, grant.attachmentId);
        f.attachmentId = grant.attachmentId;
      }
    }

    const data = mapFiles(it.data, files, false);
    const r = await put(data, it.submit);
    if (typeof r === 'string') return r === 'retry' ? this.sendSteps({ ...it, baseVersion: (await getItem(it.id))?.baseVersion ?? null }, true) : r;
    await this.finish(it, r, data);
    return 'done';
  }

  /** A step the server confirmed (the draft created before uploading): the item now builds on that version. */
  private async confirmStep(id: string, s: Submission) {
    const receipt = { id: s.id, version: s.version, status: s.status, at: new Date().toISOString() };
    await updateItem(id, (c) => (c ? { ...c, baseVersion: s.version, receipt } : c));
  }

  private async finish(it: OutboxItem, s: Submission, sentData: Record<string, unknown>) {
    const receipt = { id: s.id, version: s.version, status: s.status, at: new Date().toISOString() };
    let sent = false;
    await updateItem(it.id, (c) => {
      if (!c) return c;
      // Edited while sending: the newer answers wait for the next round, on top of the version just confirmed.
      if (c.rev !== it.rev) return { ...c, state: 'waiting', baseVersion: s.version, receipt, attempts: 0, lastError: undefined };
      sent = true;
      return { ...c, state: 'sent', data: sentData, baseVersion: s.version, receipt, attempts: 0, lastError: undefined, attention: undefined, updatedAt: receipt.at };
    });
    if (sent) await releaseUploaded(it.id);
    const me = session.me;
    if (me) await saveRecords(me.userId, [s]);
  }

  /**
   * What a refusal means for the item: transient (thrown), or it needs attention, or — for a create whose id already
   * holds this user's own untouched draft (an earlier save whose reply was lost) — the item adopts that version and the
   * caller sends again ('retry').
   */
  private async refused(it: OutboxItem, e: unknown, version: number | null, adopted: boolean): Promise<SendResult> {
    if (!(e instanceof ApiError)) throw e;
    if (e.network || e.status >= 500 || e.status === 429 || e.status === 408 || e.status === 401) throw e;
    const at = new Date().toISOString();
    if (e.status === 412 || e.status === 409) {
      let server: Submission | undefined;
      try {
        server = (await api.get<Submission>(`/api/submissions/${it.id}`)).body;
      } catch (g) {
        if (g instanceof ApiError && (g.network || g.status >= 500 || g.status === 429 || g.status === 401)) throw g;
      }
      const me = session.me;
      if (
        server &&
        me &&
        version === null &&
        !adopted &&
        server.status === 'draft' &&
        server.createdBy === me.userId &&
        (server.history ?? []).every((h) => h.by === me.userId)
      ) {
        await updateItem(it.id, (c) => (c ? { ...c, baseVersion: server.version } : c));
        return 'retry';
      }
      await this.needsAttention(it.id, { kind: 'conflict', status: e.status, code: e.code, detail: e.detail, server, at });
      return 'attention';
    }
    await this.needsAttention(it.id, {
      kind: 'rejected',
      status: e.status,
      code: e.code,
      detail: e.detail,
      errors: e.errors.map((x) => ({ path: x.path, message: x.message })),
      at,
    });
    return 'attention';
  }

  private async needsAttention(id: string, attention: Attention) {
    await updateItem(id, (c) => (c ? { ...c, state: 'attention', attention, lastError: `${attention.status} ${attention.code}` } : c));
  }

  // ── last resort

  /** Every unsent item of this user with its files (base64), as one JSON document for a file download. */
  async exportUnsent(): Promise<{ name: string; blob: Blob; count: number }> {
    const me = session.me;
    const items = (await listItems()).filter((i) => i.state !== 'sent' && (!me || i.userId === me.userId));
    const out = [];
    for (const it of items) {
      const files = [];
      for (const f of await filesOf(it.id)) {
        files.push({ localId: f.localId, field: f.field, name: f.name, type: f.type, size: f.size, attachmentId: f.attachmentId ?? null, dataUrl: await dataUrl(f.blob) });
      }
      out.push({
        id: it.id,
        formId: it.formId,
        formVersion: it.formVersion ?? null,
        regionCode: it.regionCode,
        submit: it.submit,
        baseVersion: it.baseVersion,
        state: it.state,
        queuedAt: it.queuedAt,
        updatedAt: it.updatedAt,
        data: it.data,
        files,
        attention: it.attention ? { kind: it.attention.kind, status: it.attention.status, code: it.attention.code, errors: it.attention.errors ?? [] } : null,
      });
    }
    const doc = {
      kind: 'risk-census.unsent-records',
      version: 1,
      exportedAt: new Date().toISOString(),
      user: me ? { userId: me.userId, username: me.username } : null,
      note: 'Each item is PUT /api/submissions/{id}[?submit=true] with { formId, regionCode, data }; files are uploaded first via POST /api/submissions/{id}/attachments and their localId in data replaced by the attachmentId.',
      items: out,
    };
    const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');
    return { name: `risk-census-unsent-${stamp}.json`, blob: new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }), count: out.length };
  }
}

function dataUrl(b: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(b);
  });
}

export const outbox = new Outbox();

/** Read the device's copy of a record for the form editor: the unsent answers, or null. */
export async function localCopy(id: string): Promise<OutboxItem | null> {
  const it = await getItem(id);
  return it && it.state !== 'sent' ? it : null;
}

/** The server's copy of a record as this device last saw it (after sending it, or from My submissions). */
export async function cachedRecord(id: string): Promise<CachedRecord | null> {
  return (await getRecord(id)) ?? null;
}

/** Remember records the server returned, for reading them offline. */
export async function rememberRecords(records: Submission[]): Promise<void> {
  const me = session.me;
  if (me && records.length) await saveRecords(me.userId, records);
}

/** The user's records as this device last saw them, newest first. */
export async function rememberedRecords(): Promise<CachedRecord[]> {
  const me = session.me;
  if (!me) return [];
  return (await recordsOf(me.userId)).sort((a, b) => b.record.updatedAt.localeCompare(a.record.updatedAt));
}

/**
 * An item nobody need wait for: sent, needing attention, gone, or waiting after a failed attempt — an enqueue resets
 * `attempts`, so attempts > 0 means the network or the server failed since the answers were queued (also where
 * navigator.onLine still says online: captive Wi-Fi, a dead uplink).
 */
function isSettled(it: OutboxItem | undefined): boolean {
  return !it || it.state === 'sent' || it.state === 'attention' || (it.state === 'waiting' && it.attempts > 0);
}
