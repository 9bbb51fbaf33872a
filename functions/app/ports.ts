/**
 * Ports: what use cases need from the outside world. Adapters (functions/adapters) implement them over DynamoDB, S3
 * and the identity providers; use cases receive them as arguments, never as module-level clients.
 */
import type { FormDefinition, Localized } from '#domain/forms';
import type { ObjectCounts, ObjectEffect, ObjectStatus, SurveyObject } from '#domain/objects';
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
  /** The survey object this record surveys (set at creation, never changed). */
  objectId?: string;
}

export interface HistoryEntry {
  at: string;
  by: string;
  action: 'created' | 'updated' | 'submitted' | 'returned' | 'approved' | 'reopened' | 'voided' | 'handed-over';
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
  /**
   * The record's object, claimed or released in the same transaction (objects.ts `objectEffect`), with the counter
   * deltas of the object's cell. A claim of an object that is not pending and free throws `ObjectTaken`.
   */
  object?: ObjectEffect;
}

/** The object a record names is not free: another live record surveys it, or it is closed (not required / duplicate). */
export class ObjectTaken extends Error {
  constructor(readonly objectId: string) {
    super(`object ${objectId} is not free`);
    this.name = 'ObjectTaken';
  }
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

export interface ObjectQuery {
  /** Forms to read (one partition each, in this order); a query for "every form of my sector" lists them. */
  formIds: string[];
  /** Region roots (subtrees); one or more. */
  regions: string[];
  status?: ObjectStatus;
  assignee?: string;
  /** Text filter on code (prefix) or name (substring). */
  q?: string;
  cursor?: string;
  limit: number;
}

/** One object written by `writeObjects`: created (the id must be unused) or replaced (the stored version must match). */
export interface ObjectWrite {
  next: SurveyObject;
  expect: { create: true } | { version: number };
}

/** Counter deltas of one progress cell, written with the objects that cause them. */
export interface ObjectCellDelta {
  formId: string;
  regionCode: string;
  delta: Partial<ObjectCounts>;
}

export interface ObjectStore {
  get(id: string): Promise<SurveyObject | undefined>;
  /** Several objects by id (missing ones left out), in one round trip where the store can. */
  getMany(ids: readonly string[]): Promise<SurveyObject[]>;
  /** Objects of the forms within the region subtrees: by form (in the order given), then region code, then code. */
  list(q: ObjectQuery): Promise<Page<SurveyObject>>;
  /**
   * One transaction: the objects (each conditioned on create / version; any failure → `WriteConflict`, nothing
   * written) and the cells' object counters. At most `MAX_OBJECT_BATCH` objects per call.
   */
  writeObjects(writes: readonly ObjectWrite[], cells: readonly ObjectCellDelta[]): Promise<void>;
}

/** DynamoDB transactions hold 100 items: objects plus one counter update per cell they touch. */
export const MAX_OBJECT_BATCH = 40;

/** A region outline (GeoJSON geometry, WGS84), uploaded by the district. */
export interface Boundary {
  code: string;
  level: Region['level'];
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown };
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
  /** A retired form takes no new records; what was collected stays (reports, exports, review). */
  retired?: true;
  retiredAt?: string;
  retiredBy?: string;
}

/** Who published a form version, and when (absent for versions seeded before publishing was recorded). */
export interface Publication {
  by: string;
  at: string;
}

/** One published version of a form, as the version list shows it. */
export interface FormVersionInfo {
  version: number;
  title: Localized;
  /** Number of top-level fields. */
  fields: number;
  publishedAt?: string;
  publishedBy?: string;
}

export type MemberStatus = 'active' | 'disabled';

export interface Member extends Principal {
  username: string;
  displayName: string;
  email?: string;
  phone?: string;
  /** A disabled member is refused on every request; what they created keeps them as its author. Absent = active. */
  status?: MemberStatus;
  /** Optimistic-concurrency version of the membership (ETag); absent on rows written before members were managed = 1. */
  version?: number;
  /** Tokens issued before this time (ISO 8601, ms) are refused: a password change, reset or disable ends sessions. */
  sessionsRevokedAt?: string;
  /** The session (token `sid`) that a password change was made in: it survives that revocation. */
  keptSession?: string;
  lastSignInAt?: string;
  createdAt?: string;
  createdBy?: string;
  updatedAt?: string;
}

/** The fields of a membership that changes are recorded for (before → after). */
export const MEMBER_FIELDS = ['username', 'displayName', 'email', 'phone', 'role', 'sector', 'regions', 'status'] as const;
export type MemberField = (typeof MEMBER_FIELDS)[number];

/** One audited membership change, shown on the member's page. */
export interface MemberChange {
  at: string;
  by: string;
  action: 'created' | 'updated' | 'disabled' | 'enabled' | 'password-reset' | 'password-changed' | 'handover';
  before?: Partial<Pick<Member, MemberField>>;
  after?: Partial<Pick<Member, MemberField>>;
  note?: string;
}

/**
 * A local sign-in record (local identity only): the scrypt hash, and whether the password is a temporary one that must
 * be changed at the next sign-in (then valid until `temporaryUntil`).
 */
export interface LocalLogin {
  username: string;
  sub: string;
  passwordHash: string;
  mustChangePassword?: boolean;
  temporaryUntil?: string;
  passwordChangedAt?: string;
}

/** Thrown by `createMember` when the username belongs to another member. */
export class UsernameTaken extends Error {
  constructor(readonly username: string) {
    super(`username ${username} is taken`);
    this.name = 'UsernameTaken';
  }
}

/** Thrown by `updateMember` when the change would leave the office without an active administrator. */
export class LastAdmin extends Error {
  constructor() {
    super('the last active administrator cannot be disabled or demoted');
    this.name = 'LastAdmin';
  }
}

/** An active administrator (counts toward the "at least one" guard). */
export function isActiveAdmin(m: Pick<Member, 'role' | 'status'>): boolean {
  return m.role === 'admin' && (m.status ?? 'active') === 'active';
}

export interface DirectoryStore {
  listForms(): Promise<FormSummary[]>;
  currentForm(formId: string): Promise<FormDefinition | undefined>;
  formVersion(formId: string, version: number): Promise<FormDefinition | undefined>;
  /** publishForm: writes a new version once (an existing version → WriteConflict) and moves the current pointer; the form's retired state is kept. */
  publishForm(def: FormDefinition, published?: Publication): Promise<void>;
  /** formVersions(formId): every published version, newest first ([] for an unknown form). */
  formVersions(formId: string): Promise<FormVersionInfo[]>;
  /** setFormRetired: retire a form (no new records) or bring it back (`undefined`); the summary after, or undefined for an unknown form. */
  setFormRetired(formId: string, retired: Publication | undefined): Promise<FormSummary | undefined>;
  /** formRetired(formId): whether the form is retired; may be up to 30 s old in another process (like the current pointer). */
  formRetired(formId: string): Promise<boolean>;
  regions(): Promise<Region[]>;
  putRegions(regions: Region[]): Promise<void>;
  /** member(sub): the membership of an identity subject, read consistently (a disable is seen by the next request). */
  member(sub: string): Promise<Member | undefined>;
  /** memberByUsername(username): the member holding a username (lower case), if any. */
  memberByUsername(username: string): Promise<Member | undefined>;
  /** members(): every member, by username. */
  members(): Promise<Member[]>;
  /** putMember: create or replace a membership unconditionally (seeding and `create-admin` only; no audit). */
  putMember(m: Member): Promise<void>;
  /**
   * createMember: one transaction — the member (version 1), its username claim, the audit entry and, for the local
   * identity, its login record. Throws `UsernameTaken` when another member holds the username, `WriteConflict` when
   * the userId exists.
   */
  createMember(m: Member, change: MemberChange, login?: LocalLogin): Promise<void>;
  /**
   * updateMember: one transaction — replace the member if its stored version is `expectVersion` (else
   * `WriteConflict`), append the audit entry (when given) and replace the login record (when given). When the change
   * takes away the last active administrator it throws `LastAdmin` and changes nothing — decided inside the
   * transaction, so two concurrent demotions cannot both pass. The username never changes.
   */
  updateMember(next: Member, expectVersion: number, change: MemberChange | null, login?: LocalLogin): Promise<void>;
  /** memberHistory(userId): the audited membership changes, oldest first. */
  memberHistory(userId: string): Promise<MemberChange[]>;
  /** Local identity: the login record of a username (lower case). */
  localUser(username: string): Promise<LocalLogin | undefined>;
  /** Local identity: create or replace a login record (seeding). */
  putLocalUser(u: LocalLogin): Promise<void>;
  /** Local identity: every login record (for the drift report). */
  localUsers(): Promise<LocalLogin[]>;
  /** putJob: create or replace a background job record (`<KIND>#<id>` / JOB), expiring at `expiresAt` (epoch seconds). */
  putJob(job: JobRecord, expiresAt: number): Promise<void>;
  /** getJob(kind, id): the job record, or undefined (unknown or expired). */
  getJob<T extends JobRecord>(kind: JobRecord['kind'], id: string): Promise<T | undefined>;
  /** getSetting(name): a district-wide setting (SETTINGS / <name>), e.g. the census deadline. */
  getSetting(name: string): Promise<{ value: unknown; by: string; at: string } | undefined>;
  /** putBoundaries: create or replace the outlines of these regions (others are kept). */
  putBoundaries(boundaries: readonly Boundary[]): Promise<void>;
  /** boundaries(level?): every stored outline (of one level), by code. */
  boundaries(level?: Region['level']): Promise<Boundary[]>;
  putSetting(name: string, value: unknown, by: string, at: string): Promise<void>;
}

/** A background job (export, import, import upload) as stored in the directory table; the rest is kind-specific. */
export interface JobRecord {
  kind: 'export' | 'import' | 'upload' | 'member-import' | 'object-import';
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
  job: 'export' | 'validate-import' | 'commit-import' | 'validate-member-import' | 'commit-member-import';
  id: string;
  userId: string;
}

/** Hands background work to a worker: on AWS an asynchronous invocation of the job function, locally its emulator. */
export interface JobQueue {
  /** Resolves once the worker has accepted the task (not when it is done); rejects if it could not be handed over. */
  start(task: JobTask): Promise<void>;
}

/** A sign-in identity as the provider holds it (for the drift report). */
export interface IdentityUser {
  sub: string;
  username: string;
  enabled: boolean;
}

/**
 * Who signs people in: the local identity (scrypt logins in the directory, written in the same transaction as the
 * member) or Cognito (remote calls, ordered by the member use cases so every half-finished state has less privilege —
 * see functions/app/manage-members.ts). Authorization never comes from the provider: Members rows decide.
 */
export interface IdentityProvider {
  readonly kind: 'local' | 'cognito';
  /**
   * Create the sign-in identity of a new member (idempotent by username: an identity of that username that exists
   * already — a create interrupted before its member row was written — is taken over with a fresh temporary password).
   * `temporaryPassword` is what the office hands over (absent when the provider delivered it itself); `login` is the
   * local record the store writes with the member.
   */
  createUser(u: { username: string; displayName: string; email?: string; phone?: string }): Promise<{ sub: string; temporaryPassword?: string; login?: LocalLogin }>;
  /** A new temporary password that must be changed at the next sign-in; ends the identity's sessions at the provider. */
  resetPassword(m: Member): Promise<{ temporaryPassword?: string; login?: LocalLogin }>;
  /** Refuse the identity's sign-ins and end its sessions at the provider (the Members row is disabled first). */
  disableUser(m: Member): Promise<void>;
  /** Allow the identity to sign in again (before the Members row is re-enabled). */
  enableUser(m: Member): Promise<void>;
  /** Every identity the provider holds. */
  users(): Promise<IdentityUser[]>;
}

export interface Ports {
  identity: IdentityProvider;
  submissions: SubmissionStore;
  progress: ProgressStore;
  directory: DirectoryStore;
  objects: ObjectStore;
  files: FileStore;
  jobs: JobQueue;
  now: () => Date;
  newId: () => string;
}

export function attachmentKey(submissionId: string, attachmentId: string): string {
  return `attachments/${submissionId}/${attachmentId}`;
}
