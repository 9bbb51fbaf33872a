/**
 * The device's own store (IndexedDB through `idb`): the outbox of records waiting to reach the server, the photos and
 * files they carry (as Blobs, one row per file so items stay light to read), the user's recent records as the server
 * last returned them, and a few settings. Every access goes through the named functions below; nothing else opens the
 * database. Writes that read-modify-write run in one transaction, so two tabs never lose each other's change.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Submission } from '$lib/form/types';
import { DB_NAME } from './db-name';

export type ItemState = 'waiting' | 'sending' | 'sent' | 'attention';

/** What the server answered for the last confirmed write of an item. */
export interface Receipt {
  id: string;
  version: number;
  status: Submission['status'];
  at: string;
}

/** Why an item needs the user: its server copy moved (conflict), or the server refused it (rejected). */
export interface Attention {
  kind: 'conflict' | 'rejected';
  status: number;
  code: string;
  /** Field errors (422) or the problem's detail, to show as they came. */
  errors?: { path: string; message: { zh: string; en: string } }[];
  detail?: string;
  /** The record as the server holds it now (conflicts). */
  server?: Submission;
  at: string;
}

/** One record on its way to the server: the latest answers the user saved, and how far sending them got. */
export interface OutboxItem {
  /** The submission id (client-generated UUID) — the same id on every replay, so the server can recognise retries. */
  id: string;
  /** Whose record it is: only that user's session sends it. */
  userId: string;
  formId: string;
  formVersion?: number;
  regionCode: string;
  /** The survey object the record is for (sent with the record, so one made offline claims its object at sync). */
  objectId?: string;
  /** Answers; photo/file answers may hold local ids (see OutboxFile) until the files are uploaded. */
  data: Record<string, unknown>;
  /** Submit (PUT ?submit=true) rather than save a draft. */
  submit: boolean;
  /** The server version these answers were edited on top of (If-Match); null while the record does not exist there. */
  baseVersion: number | null;
  /** Queue order: when the item was first queued (ms). */
  seq: number;
  queuedAt: string;
  updatedAt: string;
  /** Bumped on every change by the user, so a send that raced an edit does not mark the newer answers as sent. */
  rev: number;
  state: ItemState;
  /** Failed attempts since the last success (for display; the engine's backoff is per run). */
  attempts: number;
  lastTryAt?: string;
  lastError?: string;
  receipt?: Receipt;
  attention?: Attention;
}

/** A photo or file kept on the device until it is uploaded. `attachmentId` is the server's id once uploaded. */
export interface OutboxFile {
  localId: string;
  itemId: string;
  field: string;
  name: string;
  type: string;
  size: number;
  blob: Blob;
  addedAt: string;
  attachmentId?: string;
}

export interface CachedRecord {
  id: string;
  userId: string;
  record: Submission;
  savedAt: string;
}

interface Schema extends DBSchema {
  outbox: { key: string; value: OutboxItem };
  files: { key: string; value: OutboxFile; indexes: { 'by-item': string } };
  records: { key: string; value: CachedRecord; indexes: { 'by-user': string } };
  meta: { key: string; value: unknown };
}

const NAME = DB_NAME;
let opened: Promise<IDBPDatabase<Schema>> | undefined;

function db(): Promise<IDBPDatabase<Schema>> {
  opened ??= openDB<Schema>(NAME, 1, {
    upgrade(d) {
      d.createObjectStore('outbox', { keyPath: 'id' });
      d.createObjectStore('files', { keyPath: 'localId' }).createIndex('by-item', 'itemId');
      d.createObjectStore('records', { keyPath: 'id' }).createIndex('by-user', 'userId');
      d.createObjectStore('meta');
    },
    blocking() {
      // A newer version of the app wants to upgrade the schema: let it.
      void opened?.then((x) => x.close());
      opened = undefined;
    },
  });
  opened.catch(() => (opened = undefined));
  return opened;
}

// ── outbox

/** Every item, in queue order. */
export async function listItems(): Promise<OutboxItem[]> {
  const all = await (await db()).getAll('outbox');
  return all.sort((a, b) => a.seq - b.seq || a.id.localeCompare(b.id));
}

export async function getItem(id: string): Promise<OutboxItem | undefined> {
  return (await db()).get('outbox', id);
}

/** Read-modify-write one item in one transaction; `change` returns the new item, or null to delete it. */
export async function updateItem(id: string, change: (cur: OutboxItem | undefined) => OutboxItem | null | undefined): Promise<OutboxItem | undefined> {
  const tx = (await db()).transaction('outbox', 'readwrite');
  const cur = await tx.store.get(id);
  const next = change(cur);
  if (next === null) await tx.store.delete(id);
  else if (next) await tx.store.put(next);
  await tx.done;
  return next ?? undefined;
}

/** Remove an item and its files together. */
export async function deleteItem(id: string): Promise<void> {
  const tx = (await db()).transaction(['outbox', 'files'], 'readwrite');
  await tx.objectStore('outbox').delete(id);
  const files = tx.objectStore('files');
  for (const key of await files.index('by-item').getAllKeys(id)) await files.delete(key);
  await tx.done;
}

// ── files

export async function putFile(f: OutboxFile): Promise<void> {
  await (await db()).put('files', f);
}

export async function getFile(localId: string): Promise<OutboxFile | undefined> {
  return (await db()).get('files', localId);
}

/** Number of files kept per item (one pass over the index; the Blobs are not read). */
export async function fileCounts(): Promise<Record<string, number>> {
  const tx = (await db()).transaction('files');
  const out: Record<string, number> = {};
  let c = await tx.store.index('by-item').openKeyCursor();
  while (c) {
    out[c.key] = (out[c.key] ?? 0) + 1;
    c = await c.continue();
  }
  await tx.done;
  return out;
}

export async function filesOf(itemId: string): Promise<OutboxFile[]> {
  return (await db()).getAllFromIndex('files', 'by-item', itemId);
}

/** Record the server's attachment id for an uploaded file. */
export async function markUploaded(localId: string, attachmentId: string): Promise<void> {
  const tx = (await db()).transaction('files', 'readwrite');
  const f = await tx.store.get(localId);
  if (f) await tx.store.put({ ...f, attachmentId });
  await tx.done;
}

/**
 * Drop an item's files that its answers no longer reference (keeps `keep`), among the files kept before `before`: a
 * photo added while an earlier save was on its way is not in that save's answers, and must outlive its pruning.
 */
export async function pruneFiles(itemId: string, keep: Set<string>, before: string): Promise<void> {
  const tx = (await db()).transaction('files', 'readwrite');
  for (const f of await tx.store.index('by-item').getAll(itemId)) if (!keep.has(f.localId) && f.addedAt < before) await tx.store.delete(f.localId);
  await tx.done;
}

/**
 * Once a record is confirmed, its uploaded files' bytes are dropped; the rows stay (local id → attachment id), so later
 * edits that still name a local id are sent with the server's id.
 */
export async function releaseUploaded(itemId: string): Promise<void> {
  const tx = (await db()).transaction('files', 'readwrite');
  for (const f of await tx.store.index('by-item').getAll(itemId)) {
    if (f.attachmentId && f.blob.size) await tx.store.put({ ...f, blob: new Blob([], { type: f.type }) });
  }
  await tx.done;
}

/** Files whose record was never queued (the form was left before saving), older than `before`. */
export async function dropOrphanFiles(before: string): Promise<number> {
  const tx = (await db()).transaction(['files', 'outbox'], 'readwrite');
  const items = new Set(await tx.objectStore('outbox').getAllKeys());
  let n = 0;
  for (const f of await tx.objectStore('files').getAll()) {
    if (!items.has(f.itemId) && f.addedAt < before) {
      await tx.objectStore('files').delete(f.localId);
      n++;
    }
  }
  await tx.done;
  return n;
}

// ── recent records (the server's copy, for reading while offline)

export async function saveRecords(userId: string, records: Submission[]): Promise<void> {
  const tx = (await db()).transaction('records', 'readwrite');
  const savedAt = new Date().toISOString();
  for (const r of records) await tx.store.put({ id: r.id, userId, record: r, savedAt });
  await tx.done;
}

export async function getRecord(id: string): Promise<CachedRecord | undefined> {
  return (await db()).get('records', id);
}

export async function recordsOf(userId: string): Promise<CachedRecord[]> {
  return (await db()).getAllFromIndex('records', 'by-user', userId);
}

// ── settings

export async function getMeta<T>(key: string): Promise<T | undefined> {
  return (await db()).get('meta', key) as Promise<T | undefined>;
}

export async function setMeta(key: string, value: unknown): Promise<void> {
  await (await db()).put('meta', value, key);
}
