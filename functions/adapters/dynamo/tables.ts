/**
 * The one definition of every DynamoDB table: keys, GSIs and settings, with the access patterns each serves.
 * The CDK stack (infra/aws) and the local bootstrap (infra/local) both create tables from this list.
 *
 * Decision: five tables. Submissions and Progress carry the write traffic; Objects holds the survey lists (listing, 清查); Directory holds low-volume reference data
 * (form versions, regions, members, local users, target history, export jobs) under prefixed keys; Audit is append-only.
 */

export type AttrType = 'S' | 'N';

export interface KeyDef {
  name: string;
  type: AttrType;
}

export interface IndexDef {
  name: string;
  partitionKey: KeyDef;
  sortKey?: KeyDef;
  /** What the index is for (one line per access pattern). */
  patterns: string[];
}

export interface TableDef {
  /** Logical id, used for construct ids and env var names (`TABLE_<ID>`). */
  id: 'submissions' | 'progress' | 'directory' | 'audit' | 'objects';
  partitionKey: KeyDef;
  sortKey?: KeyDef;
  indexes: IndexDef[];
  ttlAttribute?: string;
  patterns: string[];
}

export const SUBMISSIONS: TableDef = {
  id: 'submissions',
  partitionKey: { name: 'id', type: 'S' },
  indexes: [
    {
      name: 'byFormRegion',
      partitionKey: { name: 'formCounty', type: 'S' }, // `${formId}#${countyCode}`
      sortKey: { name: 'regionUpdated', type: 'S' }, // `${regionCode}#${updatedAt}#${id}`
      patterns: ['listByForm(formId, region subtree): submissions of a form in a region and everything below it, newest last'],
    },
    {
      name: 'bySectorRegion',
      partitionKey: { name: 'sectorCounty', type: 'S' }, // `${sector}#${countyCode}`
      sortKey: { name: 'regionUpdated', type: 'S' },
      patterns: ['listBySector(sector, region subtree): all submissions of a sector in a region subtree'],
    },
    {
      name: 'byAuthor',
      partitionKey: { name: 'createdBy', type: 'S' },
      sortKey: { name: 'updatedAt', type: 'S' },
      patterns: ['listByAuthor(userId): my submissions, newest last'],
    },
    {
      name: 'reviewQueue',
      partitionKey: { name: 'queueKey', type: 'S' }, // `${sector}#${countyCode}`, present only while status = submitted
      sortKey: { name: 'queueSort', type: 'S' }, // `${submittedAt}#${id}`
      patterns: ['listAwaitingReview(sector, county): submitted items, oldest first (sparse: only submitted items are indexed)'],
    },
  ],
  patterns: ['getSubmission(id)', 'create: conditional put attribute_not_exists(id)', 'status change: update conditioned on version + status'],
};

export const PROGRESS: TableDef = {
  id: 'progress',
  partitionKey: { name: 'county', type: 'S' },
  sortKey: { name: 'cell', type: 'S' }, // `${formId}#${regionCode}`
  indexes: [],
  patterns: ['getProgressForCounty(county): every cell of a district in one Query', 'ADD per-status counters in the status-change transaction'],
};

export const DIRECTORY: TableDef = {
  id: 'directory',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  indexes: [],
  ttlAttribute: 'expiresAt',
  patterns: [
    'FORM#<formId> / V#<0001>: form definition versions; FORM#<formId> / CURRENT: pointer to the published version',
    'FORMS / <formId>: form summaries (list)',
    'REGIONS / <code>: the region tree',
    'MEMBER#<sub> / PROFILE: principal (role, sector, regions) by identity subject',
    'MEMBERS / <sub>: member list',
    'USER#<username> / LOCAL: local-mode login (scrypt hash)',
    'TARGETLOG#<formId>#<region> / <at>: target change history',
    'EXPORT#<id> / JOB: export jobs (expire via TTL)',
    'IMPORT#<id> / JOB: bulk-import jobs with their validation summary and first errors (expire via TTL)',
    'UPLOAD#<id> / JOB: a presigned import upload and who may use it (expire via TTL)',
    'SETTINGS / <name>: district-wide settings (the census deadline)',
    'BOUNDARIES / <code>: region outlines (gzipped GeoJSON geometry)',
    'SNAPSHOT#<county> / <YYYY-MM-DD>: daily progress snapshot of a district (trend chart), oldest first',
  ],
};

export const AUDIT: TableDef = {
  id: 'audit',
  partitionKey: { name: 'entityId', type: 'S' },
  sortKey: { name: 'atEvent', type: 'S' }, // `${at}#${seq}#${event}`
  indexes: [],
  patterns: ['listHistory(entityId): the history of a submission, oldest first'],
};

export const OBJECTS: TableDef = {
  id: 'objects',
  partitionKey: { name: 'id', type: 'S' }, // `${formId}~${code}`
  indexes: [
    {
      name: 'byFormRegion',
      partitionKey: { name: 'formCounty', type: 'S' }, // `${formId}#${countyCode}`
      sortKey: { name: 'regionKey', type: 'S' }, // `${regionCode}#${code}`
      patterns: ['listObjects(formId, region subtree): the survey list of a form in a region and below, by region then code'],
    },
    {
      name: 'byAssignee',
      partitionKey: { name: 'assignee', type: 'S' }, // present only while assigned
      sortKey: { name: 'assigneeKey', type: 'S' }, // `${formId}#${regionCode}#${code}`
      patterns: ["listObjects(assignee): a member's tasks, by form then region then code (sparse)"],
    },
  ],
  patterns: ['getObject(id)', 'import / add: conditional put attribute_not_exists(id)', 'claim / release by a record: update conditioned on status and submissionId in its transaction'],
};

export const TABLES: readonly TableDef[] = [SUBMISSIONS, PROGRESS, DIRECTORY, AUDIT, OBJECTS];

/** Environment variable that carries a table's physical name to a function. */
export function tableEnvVar(t: TableDef): string {
  return `TABLE_${t.id.toUpperCase()}`;
}

/** Physical table names: from env on AWS, a prefix + id locally. */
export function tableName(t: TableDef, env: Record<string, string | undefined> = process.env): string {
  return env[tableEnvVar(t)] ?? `${env.TABLE_PREFIX ?? 'risk-census-'}${t.id}`;
}
