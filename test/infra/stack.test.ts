/**
 * The AWS stack, offline: synthesized once in-process (bundling and aws-cdk-lib's CloudFormation schema validation
 * skipped for speed) for the template assertions and cdk-nag, while `npx cdk synth` runs the real app in a child
 * process with no AWS environment (full bundling, validation and cdk-nag) in parallel.
 *
 * Expectations are computed from the route table and tables.ts, not copied from the stack code.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { CfnElement, type App } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../functions/adapters/dynamo/tables';
import { JOB_TTL_S } from '../../functions/app/jobs';
import { JOB_WORKER, ROUTES, type RouteDef } from '../../functions/http/routes';
import { acknowledgements } from '../../infra/aws/nag';
import { REPO_ROOT, WEB_BUILD_DIR } from '../../infra/aws/paths';
import { buildApp, type RiskCensusStack } from '../../infra/aws/stack';
import { missingWebBuildMessage } from '../../infra/aws/web';

type Json = any;

const DEPLOYED = ROUTES.filter((r) => !r.localOnly);
const routeKey = (r: Pick<RouteDef, 'method' | 'path'>) => `${r.method} ${r.path}`;

// Independent statement of the permissions each declared access needs (not imported from the stack code).
const DDB_READ = ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query'];
const DDB_WRITE = [...DDB_READ, 'dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'].sort();
const S3_OBJECT: Record<string, string[]> = { read: ['s3:GetObject'], head: ['s3:GetObject'], write: ['s3:PutObject'] };
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
/** What functions/adapters/identity/cognito.ts calls (and nothing more: no AdminDeleteUser). */
const COGNITO = [
  'cognito-idp:AdminCreateUser',
  'cognito-idp:AdminDisableUser',
  'cognito-idp:AdminEnableUser',
  'cognito-idp:AdminGetUser',
  'cognito-idp:AdminResetUserPassword',
  'cognito-idp:AdminSetUserPassword',
  'cognito-idp:AdminUserGlobalSignOut',
  'cognito-idp:ListUsers',
];

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  outdir: string;
}

/** `npx cdk synth --quiet` with no AWS_* variables, telemetry and version check off, and a dead proxy (no network). */
function cdkSynth(outdir: string): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('AWS_') || k.startsWith('CDK_') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  Object.assign(env, {
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
    HTTP_PROXY: 'http://127.0.0.1:9',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '',
  });
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npx', ['--no-install', 'cdk', 'synth', '--quiet', '-o', outdir], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', (e) => resolve({ code: -1, stdout, stderr: `${stderr}\n${e}`, ms: Date.now() - started, outdir }));
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started, outdir }));
  });
}

/** CloudFormation value → readable string: GetAtt → `Id.Attr`, Ref → `Id`, Join → concatenation. */
function flat(v: Json): string {
  if (typeof v === 'string') return v;
  if (v?.['Fn::GetAtt']) return `${v['Fn::GetAtt'][0]}.${v['Fn::GetAtt'][1]}`;
  if (v?.Ref) return `${v.Ref}`;
  if (v?.['Fn::Join']) return (v['Fn::Join'][1] as Json[]).map(flat).join(v['Fn::Join'][0]);
  if (v?.['Fn::Sub']) return `\${Sub:${v['Fn::Sub']}}`;
  return JSON.stringify(v);
}
const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

let tmpRoot: string;
let app: App;
let stack: RiskCensusStack;
let template: Template;
let resources: Record<string, Json>;
let assemblyDir: string;
let cli: Promise<CliResult>;
/** web/build/index.html as synthesized (the web app may be rebuilt while the tests run). */
let shellHtml: string;
/** Logical id of a construct (its default CloudFormation child) or of a CfnElement. */
const id = (c: IConstruct): string => stack.getLogicalId((CfnElement.isCfnElement(c) ? c : c.node.defaultChild) as CfnElement);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

beforeAll(() => {
  if (!existsSync(join(WEB_BUILD_DIR, 'index.html'))) throw new Error(missingWebBuildMessage());
  tmpRoot = mkdtempSync(join(tmpdir(), 'risk-census-infra-'));
  cli = cdkSynth(join(tmpRoot, 'cli.out'));
  assemblyDir = join(tmpRoot, 'cdk.out');
  shellHtml = readFileSync(join(WEB_BUILD_DIR, 'index.html'), 'utf8');
  ({ app, stack } = buildApp({ outdir: assemblyDir, cfnValidation: false, context: { 'aws:cdk:bundling-stacks': [] } }));
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
}, 60_000);

afterAll(async () => {
  await cli?.catch(() => undefined);
  if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
}, 120_000);

describe('AWS stack — synthesis', () => {
  it('`npx cdk synth` succeeds with no credentials, no AWS env and no network (bundles every handler, runs cdk-nag)', async () => {
    const r = await cli;
    expect(r.code, `cdk synth failed after ${r.ms} ms:\n${r.stderr.slice(-4000)}`).toBe(0);
    const tpl = JSON.parse(readFileSync(join(r.outdir, `${stack.stackName}.template.json`), 'utf8'));
    // Every function's code asset exists and is an ESM bundle that leaves the AWS SDK to the runtime.
    const assets = JSON.parse(readFileSync(join(r.outdir, `${stack.stackName}.assets.json`), 'utf8')).files as Record<string, Json>;
    const fns = Object.values(tpl.Resources as Record<string, Json>).filter((x) => x.Type === 'AWS::Lambda::Function' && x.Properties.Runtime?.startsWith('nodejs'));
    // One per deployed route, and the job function.
    expect(fns).toHaveLength(DEPLOYED.length + 1);
    for (const f of fns) {
      const key = String(f.Properties.Code.S3Key).replace(/\.zip$/, '');
      const dir = join(r.outdir, assets[key].source.path);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code).toMatch(/from\s*"@aws-sdk\/client-dynamodb"/);
      expect(code).not.toMatch(/#(domain|app|adapters|http)\//);
      // A sanity bound (Lambda allows 250 MB unzipped); the SDK staying external is what keeps bundles small.
      expect(statSync(join(dir, 'index.mjs')).size).toBeLessThan(10_000_000);
    }
    // Every bundle loads as Lambda loads it (ESM; the SDK resolved from node_modules, as the runtime provides it) and
    // exports the handlers its routes name; the health handler answers.
    const dirs = new Map<string, string[]>();
    for (const f of fns) {
      const dir = join(r.outdir, assets[String(f.Properties.Code.S3Key).replace(/\.zip$/, '')].source.path);
      dirs.set(dir, [...(dirs.get(dir) ?? []), String(f.Properties.Handler).replace(/^index\./, '')]);
    }
    for (const dir of dirs.keys()) symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const script = `
      const { pathToFileURL } = await import('node:url');
      const out = {};
      for (const dir of ${JSON.stringify([...dirs.keys()])}) {
        const m = await import(pathToFileURL(dir + '/index.mjs').href);
        out[dir] = Object.keys(m);
        // The job function refuses a malformed task before touching anything.
        if (m.run) out.jobs = await m.run({ job: 'export', id: 'x', userId: 'u', extra: 1 }).then(() => 'ran', (e) => e.message);
        if (m.health) out.health = await m.health({ version: '2.0', rawPath: '/api/health', headers: {}, isBase64Encoded: false, requestContext: { requestId: 't', http: { method: 'GET', path: '/api/health' } } });
      }
      console.log(JSON.stringify(out));`;
    const run = spawnSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    const loaded = JSON.parse(run.stdout.trim().split('\n').pop()!);
    for (const [dir, handlers] of dirs) expect(loaded[dir]).toEqual(expect.arrayContaining(handlers));
    expect(loaded.health).toMatchObject({ statusCode: 200, body: '{"ok":true}' });
    expect(loaded.jobs).toBe('Unknown key extra in a job task');
  }, 150_000);

  it('synthesizes an environment-agnostic stack', () => {
    expect(stack.environment).toBe('aws://unknown-account/unknown-region');
    expect(Object.keys(resources).length).toBeGreaterThan(100);
  });
});

describe('AWS stack — API from the route table', () => {
  it('deploys exactly the routes of routes.ts except the local-only ones', () => {
    const deployed = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey).sort();
    expect(deployed).toEqual(DEPLOYED.map(routeKey).sort());
    expect(deployed).not.toContain('POST /api/auth/login');
  });

  it('every route except the unauthenticated ones has the Cognito JWT authorizer', () => {
    const [authId, authorizer] = ofType('AWS::ApiGatewayV2::Authorizer')[0]!;
    expect(authorizer.Properties.AuthorizerType).toBe('JWT');
    expect(flat(authorizer.Properties.JwtConfiguration.Issuer)).toBe(`https://cognito-idp.AWS::Region.amazonaws.com/${id(stack.identity.userPool)}`);
    expect(authorizer.Properties.JwtConfiguration.Audience.map(flat)).toEqual([id(stack.identity.client)]);
    for (const [, r] of ofType('AWS::ApiGatewayV2::Route')) {
      const route = DEPLOYED.find((d) => routeKey(d) === r.Properties.RouteKey)!;
      if (route.auth) {
        expect(r.Properties.AuthorizationType, route.path).toBe('JWT');
        expect(r.Properties.AuthorizerId, route.path).toEqual({ Ref: authId });
      } else {
        expect(route.path).toBe('/api/health');
        expect(r.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
      }
    }
  });

  it('one function per route: Node.js 22/24 on arm64, handler = the module export, X-Ray, the route functions\' log group with retention', () => {
    expect(stack.api.routes.map((r) => routeKey(r.route)).sort()).toEqual(DEPLOYED.map(routeKey).sort());
    for (const { route, fn } of stack.api.routes) {
      const f = resources[id(fn.fn)].Properties;
      expect(['nodejs22.x', 'nodejs24.x']).toContain(f.Runtime);
      expect(f.Architectures).toEqual(['arm64']);
      expect(f.Handler).toBe(`index.${route.handler}`);
      expect(f.TracingConfig).toEqual({ Mode: 'Active' });
      expect(f.LoggingConfig.LogGroup).toEqual({ Ref: id(fn.logGroup) });
      expect(resources[id(fn.logGroup)].Properties.RetentionInDays).toBeGreaterThan(0);
      // The integration of this route invokes this function.
      const integration = ofType('AWS::ApiGatewayV2::Integration').find(([, i]) => flat(i.Properties.IntegrationUri) === `${id(fn.fn)}.Arn`);
      const r = ofType('AWS::ApiGatewayV2::Route').find(([, x]) => x.Properties.RouteKey === routeKey(route))![1];
      expect(flat(r.Properties.Target)).toBe(`integrations/${integration![0]}`);
    }
  });

  /** The grants a function should hold, from a `uses` declaration (tables.ts for the indexes). */
  function expectedGrants(fn: RiskCensusStack['api']['jobWorker'], uses: RouteDef['uses']): Map<string, string[]> {
    const files = id(stack.files.bucket);
    const expected = new Map<string, string[]>();
    const add = (res: string, actions: string[]) => expected.set(res, [...new Set([...(expected.get(res) ?? []), ...actions])].sort());
    add(`${id(fn.logGroup)}.Arn`, LOGS);
    add('*', XRAY);
    for (const u of uses.tables) {
      const def = TABLES.find((t) => t.id === u.id)!;
      const table = id(stack.data.tables[u.id].table);
      add(`${table}.Arn`, u.access === 'write' ? DDB_WRITE : DDB_READ);
      if (u.access === 'read') for (const ix of def.indexes) add(`${table}.Arn/index/${ix.name}`, DDB_READ);
    }
    for (const b of uses.bucket ?? []) {
      add(`${files}.Arn/${b.prefix}*`, S3_OBJECT[b.access]!);
      if (b.access !== 'write') add(`${files}.Arn`, ['s3:ListBucket']);
    }
    if (uses.jobs) add(`${id(stack.api.jobWorker.fn)}.Arn`, ['lambda:InvokeFunction']);
    if (uses.identity) add(`${id(stack.identity.userPool)}.Arn`, COGNITO);
    return expected;
  }

  /** The grants a function's role holds: its one inline policy, resource → actions. */
  function actualGrants(fn: RiskCensusStack['api']['jobWorker'], label: string): Map<string, string[]> {
    const roleId = id(fn.role);
    const policies = ofType('AWS::IAM::Policy').filter(([, p]) => list(p.Properties.Roles).some((r: Json) => r.Ref === roleId));
    expect(policies, label).toHaveLength(1);
    expect(resources[roleId].Properties.ManagedPolicyArns ?? [], label).toEqual([]);
    expect(resources[roleId].Properties.Policies ?? [], label).toEqual([]);
    const actual = new Map<string, string[]>();
    for (const s of policies[0]![1].Properties.PolicyDocument.Statement) {
      expect(s.Effect).toBe('Allow');
      for (const res of list(s.Resource).map(flat)) actual.set(res, [...new Set([...(actual.get(res) ?? []), ...list<string>(s.Action)])].sort());
    }
    return actual;
  }

  it("each function's IAM policy names only the tables, indexes, bucket prefixes and job function its route uses", () => {
    expect(stack.api.routes.filter((r) => r.route.uses.jobs).map((r) => routeKey(r.route)).sort()).toEqual([
      'POST /api/exports',
      'POST /api/imports',
      'POST /api/imports/{id}/commit',
      'POST /api/members/import',
      'POST /api/members/import/{id}/commit',
    ]);
    for (const { route, fn } of stack.api.routes) {
      const actual = actualGrants(fn, routeKey(route));
      expect(Object.fromEntries([...actual].sort()), routeKey(route)).toEqual(Object.fromEntries([...expectedGrants(fn, route.uses)].sort()));
    }
  });

  it('the job function: 15 minutes, 2 GB, 4 GiB of /tmp, no retries, the grants of JOB_WORKER, invoked only by the routes that start jobs', () => {
    const worker = stack.api.jobWorker;
    const f = resources[id(worker.fn)].Properties;
    expect(f.Handler).toBe(`index.${JOB_WORKER.handler}`);
    expect(f.Timeout).toBe(900);
    expect(f.MemorySize).toBe(2048);
    expect(f.EphemeralStorage).toEqual({ Size: 4096 });
    expect(f.Architectures).toEqual(['arm64']);
    expect(f.TracingConfig).toEqual({ Mode: 'Active' });
    const invokeConfig = ofType('AWS::Lambda::EventInvokeConfig').filter(([, c]) => flat(c.Properties.FunctionName) === id(worker.fn));
    expect(invokeConfig).toHaveLength(1);
    expect(invokeConfig[0]![1].Properties.MaximumRetryAttempts).toBe(0);
    expect(invokeConfig[0]![1].Properties.MaximumEventAgeInSeconds).toBeLessThanOrEqual(300);
    const env = f.Environment.Variables;
    expect(Object.keys(env).filter((k) => k.startsWith('TABLE_')).sort()).toEqual([...new Set(JOB_WORKER.uses.tables.map((t) => `TABLE_${t.id.toUpperCase()}`))].sort());
    expect(env.BUCKET).toEqual({ Ref: id(stack.files.bucket) });
    expect(env.JOB_FUNCTION).toBeUndefined();
    const actual = actualGrants(worker, 'job function');
    expect(Object.fromEntries([...actual].sort())).toEqual(Object.fromEntries([...expectedGrants(worker, JOB_WORKER.uses)].sort()));
    // Only the job-starting routes may invoke it, and they get its name.
    for (const { route, fn } of stack.api.routes) {
      const vars = resources[id(fn.fn)].Properties.Environment?.Variables ?? {};
      if (route.uses.jobs) expect(vars.JOB_FUNCTION, routeKey(route)).toEqual({ Ref: id(worker.fn) });
      else expect(vars.JOB_FUNCTION, routeKey(route)).toBeUndefined();
    }
    const invokers = ofType('AWS::IAM::Policy').filter(([, p]) =>
      p.Properties.PolicyDocument.Statement.some((s: Json) => list<string>(s.Action).some((a) => a.startsWith('lambda:'))),
    );
    const jobRoles = stack.api.routes.filter((r) => r.route.uses.jobs).map((r) => id(r.fn.role)).sort();
    expect(invokers.flatMap(([, p]) => list(p.Properties.Roles).map((r: Json) => r.Ref)).sort()).toEqual(jobRoles);
  });

  it('routes with uses.identity (and the job function) may call exactly the Cognito admin actions, on the census pool only', () => {
    // Not vacuous: the member routes declare uses.identity.
    expect(ROUTES.some((r) => r.uses.identity)).toBe(true);
    const pool = `${id(stack.identity.userPool)}.Arn`;
    const identityFns = [
      ...stack.api.routes.filter((r) => r.route.uses.identity).map((r) => ({ label: routeKey(r.route), fn: r.fn })),
      ...((JOB_WORKER.uses as RouteDef['uses']).identity ? [{ label: 'job function', fn: stack.api.jobWorker }] : []),
    ];
    expect(identityFns.length).toBeGreaterThan(0);
    for (const { label, fn } of identityFns) {
      const statements = ofType('AWS::IAM::Policy')
        .filter(([, p]) => list(p.Properties.Roles).some((r: Json) => r.Ref === id(fn.role)))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[])
        .filter((st) => list<string>(st.Action).some((a) => a.startsWith('cognito-idp:')));
      expect(statements, label).toHaveLength(1);
      expect([...list<string>(statements[0].Action)].sort(), label).toEqual(COGNITO);
      expect(list(statements[0].Resource).map(flat), label).toEqual([pool]);
      const env = resources[id(fn.fn)].Properties.Environment.Variables;
      expect(env.USER_POOL_ID, label).toEqual({ Ref: id(stack.identity.userPool) });
      expect(env.MEMBER_INVITES, label).toBe('slips');
    }
    // Member imports create identities: the job function holds the grant too.
    expect(identityFns.map((f) => f.label)).toContain('job function');
  });

  it('routes without uses.identity (e.g. GET /api/regions) have no cognito-idp action and no USER_POOL_ID', () => {
    const others = stack.api.routes.filter((r) => !r.route.uses.identity);
    expect(others.map((r) => routeKey(r.route))).toContain('GET /api/regions');
    for (const { route, fn } of others) {
      const actions = ofType('AWS::IAM::Policy')
        .filter(([, p]) => list(p.Properties.Roles).some((r: Json) => r.Ref === id(fn.role)))
        .flatMap(([, p]) => (p.Properties.PolicyDocument.Statement as Json[]).flatMap((st) => list<string>(st.Action)));
      expect(actions.length, routeKey(route)).toBeGreaterThan(0);
      expect(actions.filter((a) => a.startsWith('cognito-idp:')), routeKey(route)).toEqual([]);
      const env = resources[id(fn.fn)].Properties.Environment?.Variables ?? {};
      expect(env.USER_POOL_ID, routeKey(route)).toBeUndefined();
      expect(env.MEMBER_INVITES, routeKey(route)).toBeUndefined();
    }
    // No role anywhere may delete users.
    for (const [pid, p] of ofType('AWS::IAM::Policy')) {
      for (const st of p.Properties.PolicyDocument.Statement as Json[]) expect(list<string>(st.Action), pid).not.toContain('cognito-idp:AdminDeleteUser');
    }
  });

  it('sets TABLE_<ID> for exactly the tables a route uses, and BUCKET only where it uses the bucket', () => {
    for (const { route, fn } of stack.api.routes) {
      const env = resources[id(fn.fn)].Properties.Environment?.Variables ?? {};
      const tables = Object.keys(env).filter((k) => k.startsWith('TABLE_')).sort();
      // A table used for reading (its indexes) and writing is bound once.
      expect(tables, routeKey(route)).toEqual([...new Set(route.uses.tables.map((t) => `TABLE_${t.id.toUpperCase()}`))].sort());
      for (const t of route.uses.tables) expect(env[`TABLE_${t.id.toUpperCase()}`]).toEqual({ Ref: id(stack.data.tables[t.id].table) });
      if (route.uses.bucket?.length) expect(env.BUCKET).toEqual({ Ref: id(stack.files.bucket) });
      else expect(env.BUCKET).toBeUndefined();
    }
  });

  it('CORS to the site origin only, stage throttling, JSON access logs with retention', () => {
    const api = resources[id(stack.api.httpApi)].Properties;
    expect(api.CorsConfiguration.AllowOrigins.map(flat)).toEqual([`https://${id(stack.web.distribution)}.DomainName`]);
    expect(api.CorsConfiguration.AllowHeaders).toEqual(expect.arrayContaining(['authorization', 'content-type', 'if-match']));
    const stage = resources[id(stack.api.stage)].Properties;
    expect(stage.StageName).toBe('$default');
    expect(stage.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(stage.DefaultRouteSettings.ThrottlingBurstLimit).toBeGreaterThan(0);
    expect(flat(stage.AccessLogSettings.DestinationArn)).toBe(`${id(stack.api.accessLogs)}.Arn`);
    expect(JSON.parse(stage.AccessLogSettings.Format).requestId).toBe('$context.requestId');
    expect(resources[id(stack.api.accessLogs)].Properties.RetentionInDays).toBeGreaterThan(0);
  });
});

describe('AWS stack — data and files', () => {
  it('tables have the keys and GSIs of tables.ts, on demand, PITR, deletion protection, encryption, retained', () => {
    expect(ofType('AWS::DynamoDB::Table')).toHaveLength(TABLES.length);
    for (const def of TABLES) {
      const t = resources[id(stack.data.tables[def.id].table)];
      expect(t.DeletionPolicy).toBe('Retain');
      expect(t.UpdateReplacePolicy).toBe('Retain');
      const p = t.Properties;
      const ks = (pk: { name: string }, sk?: { name: string }) => [{ AttributeName: pk.name, KeyType: 'HASH' }, ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' }] : [])];
      expect(p.KeySchema, def.id).toEqual(ks(def.partitionKey, def.sortKey));
      expect(p.BillingMode).toBe('PAY_PER_REQUEST');
      expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(p.DeletionProtectionEnabled).toBe(true);
      expect(p.SSESpecification.SSEEnabled).toBe(true);
      const gsis = (p.GlobalSecondaryIndexes ?? []).map((g: Json) => ({ name: g.IndexName, keys: g.KeySchema, projection: g.Projection.ProjectionType }));
      expect(gsis, def.id).toEqual(def.indexes.map((ix) => ({ name: ix.name, keys: ks(ix.partitionKey, ix.sortKey), projection: 'ALL' })));
      const attrs = Object.fromEntries(p.AttributeDefinitions.map((a: Json) => [a.AttributeName, a.AttributeType]));
      for (const k of [def.partitionKey, def.sortKey, ...def.indexes.flatMap((ix) => [ix.partitionKey, ix.sortKey])]) if (k) expect(attrs[k.name]).toBe(k.type);
      if (def.ttlAttribute) expect(p.TimeToLiveSpecification).toEqual({ AttributeName: def.ttlAttribute, Enabled: true });
      else expect(p.TimeToLiveSpecification).toBeUndefined();
    }
  });

  it('every bucket blocks public access, denies non-TLS requests and is encrypted; files and site buckets log access', () => {
    const buckets = ofType('AWS::S3::Bucket');
    expect(buckets).toHaveLength(3);
    for (const [bid, b] of buckets) {
      expect(b.Properties.PublicAccessBlockConfiguration, bid).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toMatch(/AES256|aws:kms/);
      const policy = ofType('AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === bid);
      const deny = policy![1].Properties.PolicyDocument.Statement.find((s: Json) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
      expect(deny, `${bid} denies non-TLS`).toBeDefined();
      expect(deny.Principal).toEqual({ AWS: '*' });
      expect(list(deny.Action)).toContain('s3:*');
    }
    for (const b of [stack.files.bucket, stack.web.bucket]) {
      expect(flat(resources[id(b)].Properties.LoggingConfiguration.DestinationBucketName)).toBe(id(stack.logs.bucket));
    }
  });

  it('files bucket: CORS for the site origin, retained, lifecycle never expires attachments', () => {
    const b = resources[id(stack.files.bucket)];
    expect(b.DeletionPolicy).toBe('Retain');
    const cors = b.Properties.CorsConfiguration.CorsRules;
    expect(cors).toHaveLength(1);
    expect(cors[0].AllowedOrigins.map(flat)).toEqual([`https://${id(stack.web.distribution)}.DomainName`]);
    expect(cors[0].AllowedMethods).toContain('POST');
    const rules = b.Properties.LifecycleConfiguration.Rules as Json[];
    expect(rules.find((r) => r.AbortIncompleteMultipartUpload)).toBeDefined();
    // Job files outlive their job records (JOB_TTL_S), then expire.
    for (const prefix of ['exports/', 'imports/']) {
      expect(rules.find((r) => r.Prefix === prefix)?.ExpirationInDays, prefix).toBeGreaterThan(JOB_TTL_S / 86_400);
    }
    for (const r of rules) {
      // Nothing else expires: a rule on current objects everywhere (or under attachments/) would delete photos that
      // submissions reference.
      if (r.ExpirationInDays || r.ExpirationDate) expect(['exports/', 'imports/']).toContain(r.Prefix ?? r.Filter?.Prefix);
    }
  });
});

describe('AWS stack — web', () => {
  it('CloudFront reaches the private site bucket with origin access control (no OAI, no website endpoint)', () => {
    const d = resources[id(stack.web.distribution)].Properties.DistributionConfig;
    expect(d.Origins).toHaveLength(1);
    const origin = d.Origins[0];
    expect(flat(origin.DomainName)).toBe(`${id(stack.web.bucket)}.RegionalDomainName`);
    expect(origin.OriginAccessControlId).toBeDefined();
    expect(origin.S3OriginConfig.OriginAccessIdentity ?? '').toBe('');
    expect(ofType('AWS::CloudFront::CloudFrontOriginAccessIdentity')).toHaveLength(0);
    const [, oac] = ofType('AWS::CloudFront::OriginAccessControl')[0]!;
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    expect(d.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(d.Logging).toBeDefined();
    // The bucket policy admits only this distribution's service principal.
    const policy = ofType('AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === id(stack.web.bucket))![1];
    const allow = policy.Properties.PolicyDocument.Statement.filter((s: Json) => s.Effect === 'Allow');
    expect(allow).toHaveLength(1);
    expect(allow[0].Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(flat(allow[0].Condition.StringEquals['AWS:SourceArn'])).toContain(id(stack.web.distribution));
  });

  it('sends the security headers, with a CSP that allows the API, the Cognito domain and S3 uploads', () => {
    const d = resources[id(stack.web.distribution)].Properties.DistributionConfig;
    expect(d.DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({ Ref: id(stack.web.headers) });
    const h = resources[id(stack.web.headers)].Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(h.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31_536_000);
    expect(h.ContentTypeOptions.Override).toBe(true);
    expect(h.FrameOptions.FrameOption).toBe('DENY');
    expect(h.ReferrerPolicy.ReferrerPolicy).toBeDefined();
    const csp = flat(h.ContentSecurityPolicy.ContentSecurityPolicy);
    const directive = (name: string) => csp.split(';').map((s) => s.trim()).find((s) => s.startsWith(`${name} `)) ?? '';
    expect(directive('default-src')).toBe("default-src 'self'");
    expect(directive('frame-ancestors')).toBe("frame-ancestors 'none'");
    expect(directive('object-src')).toBe("object-src 'none'");
    expect(directive('script-src')).not.toContain('unsafe');
    const connect = directive('connect-src');
    expect(connect).toContain('https://*.execute-api.AWS::Region.amazonaws.com');
    expect(connect).toContain('https://*.s3.AWS::Region.amazonaws.com');
    expect(connect).toMatch(/https:\/\/[a-z0-9-]+AWS::AccountId\.auth\.AWS::Region\.amazoncognito\.com/);
    // The SvelteKit shell's inline bootstrap script is allowed by its hash, computed here from the build.
    for (const m of shellHtml.matchAll(/<script>([\s\S]*?)<\/script>/g)) {
      expect(directive('script-src')).toContain(`'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
    }
  });

  it('client-side routes fall back to /index.html; static files are served as they are', () => {
    const d = resources[id(stack.web.distribution)].Properties.DistributionConfig;
    const fnId = d.DefaultCacheBehavior.FunctionAssociations[0].FunctionARN['Fn::GetAtt'][0];
    const code: string = resources[fnId].Properties.FunctionCode;
    const handler = new Function(`${code}; return handler;`)() as (e: Json) => Json;
    const uri = (u: string) => handler({ request: { uri: u } }).uri;
    expect(uri('/')).toBe('/index.html');
    expect(uri('/review')).toBe('/index.html');
    expect(uri('/fill/emergency.shelter/110101001000')).toBe('/index.html');
    expect(uri('/_app/immutable/entry/app.js')).toBe('/_app/immutable/entry/app.js');
    expect(uri('/config.json')).toBe('/config.json');
  });

  it('deploys web/build and a generated config.json (apiBase, authMode cognito, region, user pool, client, domain)', () => {
    const shell = ofType('Custom::CDKBucketDeployment').find(([, r]) => r.Properties.Prune === true)![1].Properties;
    expect(shell.DestinationBucketName).toEqual({ Ref: id(stack.web.bucket) });
    expect(shell.DistributionId).toEqual({ Ref: id(stack.web.distribution) });
    const i = (shell.SourceMarkers as Json[]).findIndex((m) => Object.keys(m).length > 0);
    const markers = shell.SourceMarkers[i] as Record<string, Json>;
    const key = String(shell.SourceObjectKeys[i]).replace(/\.zip$/, '');
    let config = readFileSync(join(assemblyDir, `asset.${key}`, 'config.json'), 'utf8');
    for (const [m, v] of Object.entries(markers)) config = config.split(m).join(flat(v));
    expect(JSON.parse(config)).toEqual({
      apiBase: `${id(stack.api.httpApi)}.ApiEndpoint`,
      authMode: 'cognito',
      region: 'AWS::Region',
      userPoolId: id(stack.identity.userPool),
      clientId: id(stack.identity.client),
      cognitoDomain: `https://${id(stack.identity.domain)}.auth.AWS::Region.amazoncognito.com`,
    });
  });
});

describe('AWS stack — identity', () => {
  it('user pool: admin-created users only, 15-character passwords without composition rules, optional TOTP MFA, no custom attributes, retained', () => {
    const pool = resources[id(stack.identity.userPool)];
    expect(pool.DeletionPolicy).toBe('Retain');
    const p = pool.Properties;
    expect(p.AdminCreateUserConfig.AllowAdminCreateUserOnly).toBe(true);
    // NIST SP 800-63B-4 / OWASP ASVS 5.0 §6.2: length, no composition (the 等保 2.0 option is tested below).
    expect(p.Policies.PasswordPolicy).toEqual({
      MinimumLength: 15,
      RequireLowercase: false,
      RequireUppercase: false,
      RequireNumbers: false,
      RequireSymbols: false,
      TemporaryPasswordValidityDays: 3,
    });
    // The COG1 finding this raises is acknowledged on the pool, with the reason.
    expect(acknowledgements(app).filter((a) => a.id === 'AwsSolutions-COG1').map((a) => a.path)).toEqual([stack.identity.userPool.node.path]);
    expect(p.MfaConfiguration).toBe('OPTIONAL');
    expect(p.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    expect((p.Schema ?? []).filter((a: Json) => String(a.Name).startsWith('custom:') || a.AttributeDataType)).toEqual([]);
    expect(p.DeletionProtection).toBe('ACTIVE');
  });

  it('SPA client: public, authorization-code flow only, callbacks on the CloudFront URL, writes no authorization data', () => {
    const c = resources[id(stack.identity.client)].Properties;
    expect(c.GenerateSecret).toBe(false);
    expect(c.AllowedOAuthFlows).toEqual(['code']);
    expect(c.AllowedOAuthScopes).toEqual(expect.arrayContaining(['openid']));
    const site = `https://${id(stack.web.distribution)}.DomainName`;
    for (const u of [...c.CallbackURLs, ...c.LogoutURLs].map(flat)) expect(u.startsWith(`${site}/`)).toBe(true);
    expect(c.WriteAttributes.every((a: string) => !a.startsWith('custom:'))).toBe(true);
    expect(c.SupportedIdentityProviders).toEqual(['COGNITO']);
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { ManagedLoginVersion: 2 });
  });

  it('SPA client tokens: access and id tokens 12 hours (a field day), refresh tokens 30 days (a field trip offline)', () => {
    const c = resources[id(stack.identity.client)].Properties;
    // CDK renders durations in minutes.
    expect(c.TokenValidityUnits).toEqual({ AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' });
    expect(c.AccessTokenValidity).toBe(12 * 60);
    expect(c.IdTokenValidity).toBe(12 * 60);
    expect(c.RefreshTokenValidity).toBe(30 * 24 * 60);
    expect(c.EnableTokenRevocation).toBe(true);
  });

  it('-c passwordComplexity=on (等保 2.0): all four character classes required, and no COG1 acknowledgement; -c memberInvites=email reaches the functions', () => {
    const built = buildApp({
      outdir: join(tmpRoot, 'complexity.out'),
      cfnValidation: false,
      context: { 'aws:cdk:bundling-stacks': [], passwordComplexity: 'on', memberInvites: 'email' },
    });
    const res = Template.fromStack(built.stack).toJSON().Resources as Record<string, Json>;
    const poolId = built.stack.getLogicalId(built.stack.identity.userPool.node.defaultChild as CfnElement);
    expect(res[poolId].Properties.Policies.PasswordPolicy).toEqual({
      MinimumLength: 15,
      RequireLowercase: true,
      RequireUppercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
      TemporaryPasswordValidityDays: 3,
    });
    expect(acknowledgements(built.app).filter((a) => a.id === 'AwsSolutions-COG1')).toEqual([]);
    const member = built.stack.api.routes.find((r) => r.route.uses.identity)!;
    const env = res[built.stack.getLogicalId(member.fn.fn.node.defaultChild as CfnElement)].Properties.Environment.Variables;
    expect(env.MEMBER_INVITES).toBe('email');
    expect(() => buildApp({ cfnValidation: false, context: { 'aws:cdk:bundling-stacks': [], passwordComplexity: 'yes' } })).toThrow(/passwordComplexity/);
    expect(() => buildApp({ cfnValidation: false, context: { 'aws:cdk:bundling-stacks': [], memberInvites: 'sms' } })).toThrow(/memberInvites/);
  }, 60_000);
});

describe('AWS stack — monitoring', () => {
  it('alarms on API 5xx, on every function’s errors and throttles and on every table’s throttling; all notify the topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(alarms.some((a) => a.Namespace === 'AWS/ApiGateway' && a.MetricName === '5xx')).toBe(true);
    const metricsOf = (a: Json) => (a.Metrics ?? []).map((m: Json) => m.MetricStat?.Metric).filter(Boolean);
    for (const { route, fn } of stack.api.routes) {
      const a = alarms.find((x) => metricsOf(x).some((m: Json) => m.Namespace === 'AWS/Lambda' && m.Dimensions?.[0]?.Value?.Ref === id(fn.fn)));
      expect(a, `alarm for ${routeKey(route)}`).toBeDefined();
      expect(metricsOf(a).map((m: Json) => m.MetricName).sort(), routeKey(route)).toEqual(['Errors', 'Throttles']);
      expect(a.Threshold).toBe(1);
    }
    for (const def of TABLES) {
      const tableRef = id(stack.data.tables[def.id].table);
      const a = alarms.find((x) => metricsOf(x).some((m: Json) => m.Namespace === 'AWS/DynamoDB' && m.Dimensions?.[0]?.Value?.Ref === tableRef));
      expect(a, `throttle alarm for ${def.id}`).toBeDefined();
      expect(a.Metrics.map((m: Json) => m.MetricStat?.Metric?.MetricName).filter(Boolean).sort()).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents']);
    }
    const topic = id(stack.monitoring.topic);
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: topic }]);
  });

  it('every log group has a retention', () => {
    for (const [lid, g] of ofType('AWS::Logs::LogGroup')) expect(g.Properties.RetentionInDays, lid).toBeGreaterThan(0);
  });
});

describe('AWS stack — cdk-nag AwsSolutions', () => {
  it('has zero unacknowledged findings and no error annotations', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}: ${v.description}`));
    expect(findings, findings.join('\n')).toEqual([]);
    const errors = Annotations.fromStack(stack).findError('*', Match.anyValue());
    expect(errors.map((e) => `${e.id}: ${JSON.stringify(e.entry.data)}`)).toEqual([]);
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
    expect(warnings.map((e) => `${e.id}: ${JSON.stringify(e.entry.data)}`)).toEqual([]);
  });

  it('every acknowledgement is granular and gives a reason that names its construct', () => {
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      // Rules with findings (IAM5 wildcards, IAM4 managed policies) must name the finding, not the whole rule.
      if (/^AwsSolutions-IAM[45]/.test(a.id)) expect(a.id).toMatch(/\[(Action|Resource|Policy)::.+\]$/);
      expect(a.reason.startsWith(`${a.path}: `), a.id).toBe(true);
      expect(a.reason.length - a.path.length, a.id).toBeGreaterThan(60);
      expect(a.path, 'no stack-wide acknowledgements').not.toBe(stack.node.path);
    }
  });

  it('no IAM policy grants on "*" unless that exact finding is acknowledged with a reason on its role', () => {
    const acks = acknowledgements(app);
    for (const [pid, p] of ofType('AWS::IAM::Policy')) {
      const wildcard = p.Properties.PolicyDocument.Statement.filter((s: Json) => s.Effect === 'Allow' && list(s.Resource).some((r) => flat(r) === '*'));
      if (!wildcard.length) continue;
      const roleIds = list(p.Properties.Roles).map((r: Json) => r.Ref);
      const acknowledged = acks.some((a) => a.id === 'AwsSolutions-IAM5[Resource::*]' && roleIds.includes(id(app.node.findAll().find((c) => c.node.path === a.path)!)));
      expect(acknowledged, `${pid} grants on * without an acknowledgement`).toBe(true);
      for (const s of wildcard) {
        for (const action of list<string>(s.Action)) expect(action, pid).toMatch(/^(xray:Put(TraceSegments|TelemetryRecords)|cloudfront:(Create|Get)Invalidation)$/);
      }
    }
  });
});
