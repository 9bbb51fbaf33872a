/**
 * Ports: what use cases need from the outside world. Adapters (functions/adapters) implement them over DynamoDB, S3
 * and the identity providers; use cases receive them as arguments, never as module-level clients.
 */
import type { FormDefinition, Localized } from '#domain/forms';
import type { Principal } from '#domain/principal';
import type { Cell } from '#domain/progress';
import type { Region } from '#domain/regions';
import type { SectorId } from '#domain/sectors';
import type { Status } from '#domain/workflow';

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

export interface TargetChange {
  formId: string;
  regionCode: string;
  target: number;
}

export interface ProgressStore {
  cellsForCounty(county: string): Promise<Cell[]>;
  setTargets(changes: TargetChange[], by: string, at: string): Promise<void>;
  /** Overwrite the status counters of cells (used by reconcile to repair drift). */
  setCounts(county: string, cells: Cell[]): Promise<void>;
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
}

export interface UploadGrant {
  url: string;
  fields: Record<string, string>;
}

export interface FileStore {
  presignUpload(key: string, contentType: string, maxSize: number, meta: Record<string, string>): Promise<UploadGrant>;
  exists(key: string): Promise<boolean>;
  presignDownload(key: string, fileName?: string): Promise<string>;
}

export interface Ports {
  submissions: SubmissionStore;
  progress: ProgressStore;
  directory: DirectoryStore;
  files: FileStore;
  now: () => Date;
  newId: () => string;
}

export function attachmentKey(submissionId: string, attachmentId: string): string {
  return `attachments/${submissionId}/${attachmentId}`;
}
