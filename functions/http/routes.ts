/**
 * The one route table. The local server dispatches with it; the CDK stack creates one API route and one function per
 * entry from it, with the JWT authorizer on every route that has `auth: true`, and grants derived from `uses`.
 */
import type { Role } from '#domain/principal';
import type { TableDef } from '#adapters/dynamo/tables';

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface RouteDef {
  method: Method;
  /** API Gateway path syntax: `/api/submissions/{id}`. */
  path: string;
  /** Module under functions/http/handlers/ and its exported handler. */
  module: 'health' | 'auth' | 'reference' | 'submissions' | 'progress' | 'data' | 'members' | 'forms' | 'objects';
  handler: string;
  /** false only for health and the local login. */
  auth: boolean;
  /** Roles that may call the route at all; finer checks (sector, region) happen in the use case. */
  roles: readonly Role[];
  /** What the route's use case touches, for least-privilege grants. */
  uses: {
    tables: { id: TableDef['id']; access: 'read' | 'write' }[];
    bucket?: { prefix: string; access: 'read' | 'write' | 'head' }[];
    /** The route starts background jobs: it may invoke the job function (JOB_WORKER), whose name it gets in JOB_FUNCTION. */
    jobs?: true;
    /**
     * The route manages sign-in identities (members): on AWS it may call Cognito's admin API on the census user pool
     * (create, disable, enable, set a temporary password, sign out everywhere, list), whose id it gets in USER_POOL_ID.
     */
    identity?: true;
  };
  /**
   * The route takes a file as its body instead of JSON: the content types it accepts and the largest body in bytes.
   * API Gateway hands such bodies to Lambda base64-encoded; the local server does the same.
   */
  binaryBody?: { types: readonly string[]; maxBytes: number };
  /** Local mode only (the AWS stack uses Cognito instead). */
  localOnly?: boolean;
  /** Why a GET writes (it must say; the route test checks that no other GET does): the write is a side effect of reading. */
  readSideEffect?: string;
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const ALL: readonly Role[] = ['admin', 'reviewer', 'staff', 'viewer'];
const WORKERS: readonly Role[] = ['admin', 'reviewer', 'staff'];
const dir = { id: 'directory', access: 'read' } as const;

export const ROUTES: readonly RouteDef[] = [
  { method: 'GET', path: '/api/health', module: 'health', handler: 'health', auth: false, roles: ALL, uses: { tables: [] } },
  {
    method: 'POST', path: '/api/auth/login', module: 'auth', handler: 'login', auth: false, roles: ALL, localOnly: true,
    uses: { tables: [dir] },
  },
  { method: 'GET', path: '/api/me', module: 'auth', handler: 'me', auth: true, roles: ALL, uses: { tables: [dir] } },
  {
    method: 'POST', path: '/api/me/password', module: 'auth', handler: 'changePassword', auth: true, roles: ALL, localOnly: true,
    uses: { tables: [{ id: 'directory', access: 'write' }] },
  },
  { method: 'GET', path: '/api/regions', module: 'reference', handler: 'listRegions', auth: true, roles: ALL, uses: { tables: [dir] } },
  { method: 'GET', path: '/api/forms', module: 'reference', handler: 'listForms', auth: true, roles: ALL, uses: { tables: [dir] } },
  { method: 'GET', path: '/api/forms/{formId}', module: 'reference', handler: 'getForm', auth: true, roles: ALL, uses: { tables: [dir] } },
  {
    method: 'GET', path: '/api/forms/{formId}/versions/{version}', module: 'reference', handler: 'getFormVersion', auth: true, roles: ALL,
    uses: { tables: [dir] },
  },
  {
    method: 'POST', path: '/api/forms/xlsform', module: 'forms', handler: 'previewXlsform', auth: true, roles: ['admin'], uses: { tables: [dir] },
    binaryBody: { types: [XLSX], maxBytes: 2 * 1024 * 1024 },
  },
  { method: 'POST', path: '/api/forms', module: 'forms', handler: 'publish', auth: true, roles: ['admin'], uses: { tables: [{ id: 'directory', access: 'write' }] } },
  { method: 'GET', path: '/api/forms/{formId}/xlsform', module: 'forms', handler: 'downloadXlsform', auth: true, roles: ['admin', 'reviewer'], uses: { tables: [dir] } },
  { method: 'GET', path: '/api/forms/{formId}/versions', module: 'forms', handler: 'versions', auth: true, roles: ['admin', 'reviewer'], uses: { tables: [dir] } },
  { method: 'GET', path: '/api/forms/{formId}/diff', module: 'forms', handler: 'diff', auth: true, roles: ALL, uses: { tables: [dir] } },
  {
    method: 'POST', path: '/api/forms/{formId}/retire', module: 'forms', handler: 'retire', auth: true, roles: ['admin'],
    uses: { tables: [{ id: 'directory', access: 'write' }] },
  },
  {
    method: 'GET', path: '/api/submissions', module: 'submissions', handler: 'list', auth: true, roles: WORKERS,
    uses: { tables: [dir, { id: 'submissions', access: 'read' }] },
  },
  {
    method: 'GET', path: '/api/review-queue', module: 'submissions', handler: 'reviewQueue', auth: true, roles: ['admin', 'reviewer'],
    uses: { tables: [dir, { id: 'submissions', access: 'read' }] },
  },
  {
    method: 'GET', path: '/api/submissions/{id}', module: 'submissions', handler: 'get', auth: true, roles: WORKERS,
    uses: { tables: [dir, { id: 'submissions', access: 'read' }, { id: 'audit', access: 'read' }] },
  },
  {
    method: 'PUT', path: '/api/submissions/{id}', module: 'submissions', handler: 'put', auth: true, roles: ['admin', 'staff'],
    uses: {
      tables: [dir, { id: 'submissions', access: 'write' }, { id: 'progress', access: 'write' }, { id: 'audit', access: 'write' }, { id: 'objects', access: 'write' }],
      bucket: [{ prefix: 'attachments/', access: 'head' }],
    },
  },
  {
    method: 'POST', path: '/api/submissions/{id}/submit', module: 'submissions', handler: 'submit', auth: true, roles: ['admin', 'staff'],
    uses: {
      tables: [dir, { id: 'submissions', access: 'write' }, { id: 'progress', access: 'write' }, { id: 'audit', access: 'write' }, { id: 'objects', access: 'write' }],
      bucket: [{ prefix: 'attachments/', access: 'head' }],
    },
  },
  {
    method: 'POST', path: '/api/submissions/{id}/review', module: 'submissions', handler: 'review', auth: true, roles: ['admin', 'reviewer'],
    uses: { tables: [dir, { id: 'submissions', access: 'write' }, { id: 'progress', access: 'write' }, { id: 'audit', access: 'write' }, { id: 'objects', access: 'write' }] },
  },
  {
    method: 'POST', path: '/api/submissions/{id}/admin', module: 'submissions', handler: 'adminAction', auth: true, roles: ['admin'],
    uses: { tables: [dir, { id: 'submissions', access: 'write' }, { id: 'progress', access: 'write' }, { id: 'audit', access: 'write' }, { id: 'objects', access: 'write' }] },
  },
  {
    method: 'POST', path: '/api/submissions/{id}/attachments', module: 'submissions', handler: 'createAttachment', auth: true,
    roles: ['admin', 'staff'],
    uses: { tables: [dir, { id: 'submissions', access: 'read' }], bucket: [{ prefix: 'attachments/', access: 'write' }] },
  },
  {
    method: 'GET', path: '/api/submissions/{id}/attachments/{attachmentId}', module: 'submissions', handler: 'getAttachment', auth: true,
    roles: WORKERS,
    uses: { tables: [dir, { id: 'submissions', access: 'read' }], bucket: [{ prefix: 'attachments/', access: 'read' }] },
  },
  {
    method: 'PUT', path: '/api/targets', module: 'progress', handler: 'putTargets', auth: true, roles: ['admin'],
    uses: { tables: [{ id: 'directory', access: 'write' }, { id: 'progress', access: 'write' }] },
  },
  {
    method: 'GET', path: '/api/progress', module: 'progress', handler: 'getProgress', auth: true, roles: ALL,
    uses: { tables: [{ id: 'directory', access: 'write' }, { id: 'progress', access: 'read' }] },
    readSideEffect: "reading the county's figures upserts the day's progress snapshot (SNAPSHOT#<county>) in the directory table",
  },
  {
    method: 'GET', path: '/api/progress/history', module: 'progress', handler: 'getProgressHistory', auth: true, roles: ALL,
    uses: { tables: [dir] },
  },
  {
    method: 'GET', path: '/api/targets', module: 'progress', handler: 'listTargets', auth: true, roles: ALL,
    uses: { tables: [dir, { id: 'progress', access: 'read' }] },
  },
  {
    method: 'POST', path: '/api/admin/reconcile', module: 'progress', handler: 'reconcile', auth: true, roles: ['admin'],
    uses: { tables: [dir, { id: 'submissions', access: 'read' }, { id: 'progress', access: 'write' }] },
  },
  // ── data in and out (handlers/data.ts): exports, bulk imports, region and target imports, briefing, deadline
  {
    method: 'POST', path: '/api/exports', module: 'data', handler: 'createExport', auth: true, roles: WORKERS,
    uses: { tables: [{ id: 'directory', access: 'write' }], jobs: true },
  },
  {
    method: 'GET', path: '/api/exports/{id}', module: 'data', handler: 'getExport', auth: true, roles: WORKERS,
    uses: { tables: [dir], bucket: [{ prefix: 'exports/', access: 'read' }] },
  },
  {
    method: 'GET', path: '/api/forms/{formId}/template', module: 'data', handler: 'getTemplate', auth: true, roles: ['admin', 'staff'],
    uses: { tables: [dir] },
  },
  {
    method: 'POST', path: '/api/imports/uploads', module: 'data', handler: 'createUpload', auth: true, roles: ['admin', 'staff'],
    uses: { tables: [{ id: 'directory', access: 'write' }], bucket: [{ prefix: 'imports/', access: 'write' }] },
  },
  {
    method: 'POST', path: '/api/imports', module: 'data', handler: 'createImport', auth: true, roles: ['admin', 'staff'],
    uses: {
      tables: [{ id: 'directory', access: 'write' }],
      bucket: [{ prefix: 'imports/', access: 'write' }, { prefix: 'imports/', access: 'head' }],
      jobs: true,
    },
  },
  {
    method: 'GET', path: '/api/imports/{id}', module: 'data', handler: 'getImport', auth: true, roles: ['admin', 'staff'],
    uses: { tables: [dir], bucket: [{ prefix: 'imports/', access: 'read' }] },
  },
  {
    method: 'POST', path: '/api/imports/{id}/commit', module: 'data', handler: 'commitImport', auth: true, roles: ['admin', 'staff'],
    uses: { tables: [{ id: 'directory', access: 'write' }], jobs: true },
  },
  {
    method: 'POST', path: '/api/regions/import', module: 'data', handler: 'importRegions', auth: true, roles: ['admin'],
    uses: { tables: [{ id: 'directory', access: 'write' }] },
  },
  {
    method: 'POST', path: '/api/targets/import', module: 'data', handler: 'importTargets', auth: true, roles: ['admin'],
    uses: { tables: [{ id: 'directory', access: 'write' }, { id: 'progress', access: 'write' }] },
  },
  {
    method: 'GET', path: '/api/targets/history', module: 'data', handler: 'targetHistory', auth: true, roles: ALL,
    uses: { tables: [dir, { id: 'progress', access: 'read' }] },
  },
  {
    method: 'POST', path: '/api/targets/attest', module: 'data', handler: 'attestTarget', auth: true, roles: ['admin', 'reviewer'],
    uses: { tables: [{ id: 'directory', access: 'write' }, { id: 'progress', access: 'write' }] },
  },
  {
    method: 'GET', path: '/api/briefing', module: 'data', handler: 'getBriefing', auth: true, roles: ALL,
    uses: { tables: [dir, { id: 'progress', access: 'read' }] },
  },
  { method: 'GET', path: '/api/settings/deadline', module: 'data', handler: 'getDeadline', auth: true, roles: ALL, uses: { tables: [dir] } },
  {
    method: 'PUT', path: '/api/settings/deadline', module: 'data', handler: 'setDeadline', auth: true, roles: ['admin'],
    uses: { tables: [{ id: 'directory', access: 'write' }] },
  },
  // ── members and accounts (handlers/members.ts); literal paths before {userId}, as API Gateway prefers them
  { method: 'GET', path: '/api/members', module: 'members', handler: 'listMembers', auth: true, roles: ['admin', 'reviewer'], uses: { tables: [dir] } },
  {
    method: 'POST', path: '/api/members', module: 'members', handler: 'createMember', auth: true, roles: ['admin'],
    uses: { tables: [{ id: 'directory', access: 'write' }], identity: true },
  },
  {
    method: 'GET', path: '/api/members/drift', module: 'members', handler: 'drift', auth: true, roles: ['admin'],
    uses: { tables: [dir], identity: true },
  },
  {
    method: 'POST', path: '/api/members/import', module: 'members', handler: 'startImport', auth: true, roles: ['admin'],
    uses: {
      tables: [{ id: 'directory', access: 'write' }],
      bucket: [{ prefix: 'imports/', access: 'write' }, { prefix: 'imports/', access: 'head' }],
      jobs: true,
    },
  },
  { method: 'GET', path: '/api/members/import/{id}', module: 'members', handler: 'getImport', auth: true, roles: ['admin'], uses: { tables: [dir] } },
  {
    method: 'POST', path: '/api/members/import/{id}/commit', module: 'members', handler: 'commitImport', auth: true, roles: ['admin'],
    uses: { tables: [{ id: 'directory', access: 'write' }], jobs: true },
  },
  {
    method: 'GET', path: '/api/members/import/{id}/slips', module: 'members', handler: 'getSlips', auth: true, roles: ['admin'],
    uses: { tables: [{ id: 'directory', access: 'write' }] },
    readSideEffect: 'credential slips hold temporary passwords and are served once: reading them erases them from the import job record',
  },
  { method: 'GET', path: '/api/members/{userId}', module: 'members', handler: 'getMember', auth: true, roles: ['admin'], uses: { tables: [dir] } },
  {
    method: 'PUT', path: '/api/members/{userId}', module: 'members', handler: 'updateMember', auth: true, roles: ['admin'],
    uses: { tables: [{ id: 'directory', access: 'write' }], identity: true },
  },
  {
    method: 'POST', path: '/api/members/{userId}/reset-password', module: 'members', handler: 'resetPassword', auth: true, roles: ['admin'],
    uses: { tables: [{ id: 'directory', access: 'write' }], identity: true },
  },
  {
    method: 'POST', path: '/api/members/{userId}/handover', module: 'members', handler: 'handOver', auth: true, roles: ['admin'],
    uses: { tables: [{ id: 'directory', access: 'write' }, { id: 'submissions', access: 'write' }, { id: 'audit', access: 'write' }] },
  },
  // ── survey objects and boundaries (handlers/objects.ts); literal paths before {id}
  { method: 'GET', path: '/api/objects', module: 'objects', handler: 'listObjects', auth: true, roles: ALL, uses: { tables: [dir, { id: 'objects', access: 'read' }] } },
  {
    method: 'POST', path: '/api/objects', module: 'objects', handler: 'createObject', auth: true, roles: WORKERS,
    uses: { tables: [dir, { id: 'objects', access: 'write' }, { id: 'progress', access: 'write' }] },
  },
  {
    method: 'POST', path: '/api/objects/assign', module: 'objects', handler: 'assign', auth: true, roles: ['admin', 'reviewer'],
    uses: { tables: [dir, { id: 'objects', access: 'read' }, { id: 'objects', access: 'write' }] },
  },
  {
    method: 'POST', path: '/api/objects/import', module: 'objects', handler: 'previewImport', auth: true, roles: ['admin', 'reviewer'],
    uses: { tables: [{ id: 'directory', access: 'write' }, { id: 'objects', access: 'read' }], bucket: [{ prefix: 'imports/', access: 'write' }] },
    binaryBody: { types: ['text/csv', XLSX, 'application/geo+json', 'application/json'], maxBytes: 4 * 1024 * 1024 },
  },
  { method: 'GET', path: '/api/objects/import/{id}', module: 'objects', handler: 'getImport', auth: true, roles: ['admin', 'reviewer'], uses: { tables: [dir] } },
  {
    method: 'POST', path: '/api/objects/import/{id}/commit', module: 'objects', handler: 'commitImport', auth: true, roles: ['admin', 'reviewer'],
    uses: { tables: [{ id: 'directory', access: 'write' }, { id: 'objects', access: 'write' }, { id: 'progress', access: 'write' }], bucket: [{ prefix: 'imports/', access: 'read' }] },
  },
  { method: 'GET', path: '/api/objects/{id}', module: 'objects', handler: 'getObject', auth: true, roles: ALL, uses: { tables: [dir, { id: 'objects', access: 'read' }] } },
  {
    method: 'POST', path: '/api/objects/{id}/status', module: 'objects', handler: 'setStatus', auth: true, roles: ['admin', 'reviewer'],
    uses: { tables: [dir, { id: 'objects', access: 'write' }, { id: 'progress', access: 'write' }] },
  },
  {
    method: 'PUT', path: '/api/regions/boundaries', module: 'objects', handler: 'putBoundaries', auth: true, roles: ['admin'],
    uses: { tables: [{ id: 'directory', access: 'write' }] },
    binaryBody: { types: ['application/geo+json', 'application/json'], maxBytes: 4 * 1024 * 1024 },
  },
  { method: 'GET', path: '/api/regions/boundaries', module: 'objects', handler: 'getBoundaries', auth: true, roles: ALL, uses: { tables: [dir] } },
];

/**
 * The job function: not an HTTP route. It runs the exports and imports that routes with `uses.jobs` hand to it
 * (functions/http/handlers/jobs.ts → app/run-job.ts), so it holds what those run functions touch: reading the forms,
 * regions and members, writing job records (directory); reading submissions for exports and saving imported ones with
 * their counters and audit entries; the export files, the import files and reports, and the attachments an imported
 * row may name (head). It may run for up to 15 minutes and spools export files to its temporary storage.
 * Member imports create the members' sign-in identities (identity: Cognito's admin API on the census pool).
 */
export const JOB_WORKER = {
  module: 'jobs',
  handler: 'run',
  uses: {
    tables: [
      { id: 'directory', access: 'write' },
      { id: 'submissions', access: 'read' },
      { id: 'submissions', access: 'write' },
      { id: 'progress', access: 'write' },
      { id: 'audit', access: 'write' },
    ],
    bucket: [
      { prefix: 'exports/', access: 'write' },
      { prefix: 'imports/', access: 'read' },
      { prefix: 'imports/', access: 'write' },
      { prefix: 'attachments/', access: 'head' },
    ],
    identity: true,
  },
} as const satisfies { module: string; handler: string; uses: RouteDef['uses'] };

/** Match a method + path against the table; returns the route and its path parameters. */
export function matchRoute(method: string, path: string): { route: RouteDef; params: Record<string, string> } | { methodNotAllowed: true } | undefined {
  let pathMatched = false;
  for (const route of ROUTES) {
    const params = matchPath(route.path, path);
    if (!params) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  return pathMatched ? { methodNotAllowed: true } : undefined;
}

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const a = pattern.split('/');
  const b = path.split('/');
  if (a.length !== b.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const p = a[i]!;
    const s = b[i]!;
    if (p.startsWith('{') && p.endsWith('}')) {
      if (!s) return undefined;
      try {
        params[p.slice(1, -1)] = decodeURIComponent(s);
      } catch {
        return undefined;
      }
    } else if (p !== s) return undefined;
  }
  return params;
}
