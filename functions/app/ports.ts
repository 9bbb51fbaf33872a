/**
 * Ports: what use cases need from the outside world. Adapters (functions/adapters) implement them over DynamoDB, S3
 * and the identity providers; use cases receive them as arguments, never as module-level clients.
 */
import type { FormDefinition, Localized } from '#domain/forms';
import type { Principal } from '#domain/principal';
import type { Cell, Counts } from '#domain/progress';
import type { Region } from '#domain/regions';
import type { SectorId } from '#domain/sectors';
import type { Status } from '#domain/workflow';
import type { Readable } from 'node:stream';

export interface Submission {
  id: string;
  formId: string;
  formVersion: number;
  sector: SectorId;
  part: string;
  regionCode: string;
  status: Status;
  version: number;
  data: Record<string, unknown>;
  attachments: string[];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  submittedAt?: string;
  /** sha-256 of the answers as last saved. */
  contentHash: string;
  /** The note of the last review decision (return/approve/reopen/void). */
  reviewNote?: string;
  /** Fingerprint of the last successful write, so a client retry is answered as that success. */
  lastWrite?: { key: string; by: string; status: number };
}

export interface HistoryEntry {
  at: string;
  by: string;
  action: 'created' | 'updated' | 'submitted' | 'returned' | 'approved' | 'reopened' | 'voided';
  from: Status | null;
  to: Status;
  note?: string;
}

/** A write of a submission with its side effects, committed as one transaction by the store. */
export interface SubmissionWrite {
  next: Submission;
  /** Conditions: for a create, the id must be unused; otherwise the stored version and status must match. */
  expect: { create: true } | { version: number; status: Status };
  /** Counter deltas of the submission's progress cell (empty when the status does not change). */
  counters: Partial<Record<Status, number>>;
  audit: HistoryEntry[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ListQuery {
  formId?: string;
  sector?: SectorId;
  /** Region roots to search (subtrees). */
  regions: string[];
  status?: Status;
  createdBy?: string;
  cursor?: string;
  limit: number;
}

export interface SubmissionStore {
  get(id: string): Promise<Submission | undefined>;
  /** Commit the write; throws `WriteConflict` when the condition fails. */
  write(w: SubmissionWrite): Promise<void>;
  list(q: ListQuery): Promise<Page<Submission>>;
  listAwaitingReview(q: { sectors: SectorId[]; regions: string[]; formId?: string; cursor?: string; limit: number }): Promise<Page<Submission>>;
  history(id: string): Promise<HistoryEntry[]>;
  /** Every submission of a county (for reconcile and exports), page by page. */
  scanCounty(county: string): AsyncIterable<Submission[]>;
}

export class WriteConflict extends Error {
  constructor() {
    super('condition failed');
    this.name = 'WriteConflict';
  }
}

/** A list cursor the store cannot start from (tampered with, or taken from another query): the caller's mistake. */
export class InvalidCursor extends Error {
  constructor() {
    super('invalid cursor');
    this.name = 'InvalidCursor';
  }
}

/**
 * The largest record a store keeps (its JSON, UTF-8): DynamoDB's item limit is 400 KB, and the embedded store refuses
 * the same records, so a write that works on one set works on the other. Use cases measure before writing
 * (save-submission's MAX_STORED_BYTES is below it); a store that is handed a larger record throws `RecordTooLarge`.
 */
export const MAX_RECORD_BYTES = 400 * 1024;

export class RecordTooLarge extends Error {
  constructor(bytes: number) {
    super(`record of ${bytes} bytes is larger than the ${MAX_RECORD_BYTES} bytes a store keeps`);
    this.name = 'RecordTooLarge';
  }
}

export interface TargetChange {
  formId: string;
  regionCode: string;
  target: number;
}

/** The district's progress on one day (China Standard Time), for the trend chart; upserted through the day. */
export interface ProgressSnapshot {
  county: string;
  /** `YYYY-MM-DD` in China Standard Time (UTC+8). */
  date: string;
  /** When the figures were read (ISO 8601 UTC); a snapshot is only replaced by one read later. */
  at: string;
  total: Counts;
  sectors: { sector: SectorId; total: Counts }[];
}

export interface ProgressStore {
  cellsForCounty(county: string): Promise<Cell[]>;
  /** putDailySnapshot: upsert the day's snapshot unless the stored one was read later (then nothing is written). */
  putDailySnapshot(s: ProgressSnapshot): Promise<void>;
  /** listSnapshots(county): every daily snapshot of a district, oldest first. */
  listSnapshots(county: string): Promise<ProgressSnapshot[]>;
  setTargets(changes: TargetChange[], by: string, at: string): Promise<void>;
  /** seedTargets: create or replace whole cells with these targets and zero counters (seeding a fresh store only). */
  seedTargets(changes: TargetChange[]): Promise<void>;
  /** Overwrite the status counters of cells (used by reconcile to repair drift). */
  setCounts(county: string, cells: Cell[]): Promise<void>;
  /** setAttestedNone: the region attests "none exist here" for a form (or withdraws it); logged like a target change. */
  setAttestedNone(formId: string, regionCode: string, none: boolean, by: string, at: string): Promise<void>;
  /** targetHistory(formId, regionCode): every logged target change and attestation of a cell, oldest first. */
  targetHistory(formId: string, regionCode: string): Promise<TargetLogEntry[]>;
}

/** One entry of a cell's target log (TARGETLOG#…): a new target, or an attestation change. */
export interface TargetLogEntry {
  at: string;
  by: string;
  target?: number;
  attestedNone?: boolean;
}

export interface FormSummary {
  id: string;
  version: number;
  sector: SectorId;
  part: string;
  title: Localized;
  regionLevel: Region['level'];
}

export interface Member extends Principal {
  username: string;
  displayName: string;
}

export interface DirectoryStore {
  listForms(): Promise<FormSummary[]>;
  currentForm(formId: string): Promise<FormDefinition | undefined>;
  formVersion(formId: string, version: number): Promise<FormDefinition | undefined>;
  publishForm(def: FormDefinition): Promise<void>;
  regions(): Promise<Region[]>;
  putRegions(regions: Region[]): Promise<void>;
  member(sub: string): Promise<Member | undefined>;
  members(): Promise<Member[]>;
  putMember(m: Member): Promise<void>;
  /** Local mode only: the login record (scrypt hash) of a username. */
  localUser(username: string): Promise<{ username: string; sub: string; passwordHash: string } | undefined>;
  /** Local mode only: create or replace a login record. */
  putLocalUser(u: { username: string; sub: string; passwordHash: string }): Promise<void>;
  /** putJob: create or replace a background job record (`<KIND>#<id>` / JOB), expiring at `expiresAt` (epoch seconds). */
  putJob(job: JobRecord, expiresAt: number): Promise<void>;
  /** getJob(kind, id): the job record, or undefined (unknown or expired). */
  getJob<T extends JobRecord>(kind: JobRecord['kind'], id: string): Promise<T | undefined>;
  /** getSetting(name): a district-wide setting (SETTINGS / <name>), e.g. the census deadline. */
  getSetting(name: string): Promise<{ value: unknown; by: string; at: string } | undefined>;
  putSetting(name: string, value: unknown, by: string, at: string): Promise<void>;
}

/** A background job (export, import, import upload) as stored in the directory table; the rest is kind-specific. */
export interface JobRecord {
  kind: 'export' | 'import' | 'upload';
  id: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface UploadGrant {
  url: string;
  fields: Record<string, string>;
}

export interface FileStore {
  presignUpload(key: string, contentType: string, maxSize: number, meta: Record<string, string>): Promise<UploadGrant>;
  exists(key: string): Promise<boolean>;
  presignDownload(key: string, fileName?: string): Promise<string>;
  /**
   * Stream a body of unknown length into `key`; memory does not grow with its size (the S3 adapter spools it to a
   * temporary file, then stores it with one PutObject). Rejects, leaving no object, if the body or the storage fails.
   */
  putStream(key: string, body: Readable, contentType: string): Promise<{ bytes: number }>;
  /** The object's bytes, or undefined when there is no such object; larger than `maxBytes` → throws. */
  getBytes(key: string, maxBytes: number): Promise<Uint8Array | undefined>;
}

/**
 * A unit of background work: which run function, the job's id, and the member it runs as (their rights are read again
 * when it runs, so a membership change between start and run is honoured). Small and JSON-safe: it travels as the
 * payload of an asynchronous invocation.
 */
export interface JobTask {
  job: 'export' | 'validate-import' | 'commit-import';
  id: string;
  userId: string;
}

/** Hands background work to a worker: on AWS an asynchronous invocation of the job function, locally its emulator. */
export interface JobQueue {
  /** Resolves once the worker has accepted the task (not when it is done); rejects if it could not be handed over. */
  start(task: JobTask): Promise<void>;
}

export interface Ports {
  submissions: SubmissionStore;
  progress: ProgressStore;
  directory: DirectoryStore;
  files: FileStore;
  jobs: JobQueue;
  now: () => Date;
  newId: () => string;
}

export function attachmentKey(submissionId: string, attachmentId: string): string {
  return `attachments/${submissionId}/${attachmentId}`;
}
