/**
 * The house function construct: every Lambda of the platform is one of these. It fixes the runtime (Node.js 24, the
 * newest Lambda offers; the code also runs on the local Node 20), arm64, esbuild bundling (ESM, `@aws-sdk/*` left to the
 * runtime), a log group with retention, X-Ray tracing, and an execution role that starts empty. Permissions only come
 * from `bindTable` / `bindBucket` / `bindJobs` / `bindIdentity`, which set the environment variable and the least-privilege grant together, so a
 * function can never know a resource it may not touch (or be allowed to touch one it does not know).
 */
import { Duration, RemovalPolicy, Stack, type Size } from 'aws-cdk-lib';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { CfnBucket, IBucket } from 'aws-cdk-lib/aws-s3';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tableEnvVar } from '../../functions/adapters/dynamo/tables';
import type { MemberInvites } from '../../functions/adapters/identity/cognito';
import type { CensusTable } from './data';
import { acknowledge } from './nag';
import { HANDLERS_DIR, REPO_ROOT } from './paths';

export const RUNTIME = Runtime.NODEJS_24_X;
/** Prepended to every bundle: a CommonJS dependency that calls require() still works inside an ESM bundle. */
export const BANNER = "import{createRequire as __rcCreateRequire}from'node:module';const require=__rcCreateRequire(import.meta.url);";
export const ARCHITECTURE = Architecture.ARM_64;

/** DynamoDB actions the adapters use. `write` includes the reads an update path needs (get before a conditional write). */
export const TABLE_ACTIONS = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'],
  write: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:ConditionCheckItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:BatchWriteItem',
  ],
} as const;

/**
 * S3 actions per declared access. `head` (HeadObject) is authorised by s3:GetObject. S3 answers a missing key with 404
 * only when the caller may also s3:ListBucket — otherwise 403, which the adapter rightly treats as an error rather than
 * "not there" — so `read` and `head` add ListBucket on the bucket itself: it reveals key names, never contents.
 */
export const BUCKET_ACTIONS = {
  read: ['s3:GetObject'],
  head: ['s3:GetObject'],
  // Generated files (exports, import reports) are stored with one PutObject of a spooled file (adapters/s3/files.ts).
  write: ['s3:PutObject'],
} as const;

/** Accesses that check whether a key exists (HeadObject / GetObject answering 404), which needs ListBucket. */
const NEEDS_LIST: readonly BucketAccess[] = ['read', 'head'];

/**
 * Cognito admin actions the identity adapter (functions/adapters/identity/cognito.ts) calls, on the census pool only.
 * AdminCreateUser also serves the RESEND of an invitation; there is no AdminDeleteUser (a re-created user gets a new sub).
 */
export const IDENTITY_ACTIONS = [
  'cognito-idp:AdminCreateUser',
  'cognito-idp:AdminGetUser',
  'cognito-idp:AdminSetUserPassword',
  'cognito-idp:AdminResetUserPassword',
  'cognito-idp:AdminDisableUser',
  'cognito-idp:AdminEnableUser',
  'cognito-idp:AdminUserGlobalSignOut',
  'cognito-idp:ListUsers',
] as const;

export type TableAccess = keyof typeof TABLE_ACTIONS;
export type BucketAccess = keyof typeof BUCKET_ACTIONS;

export interface CensusFunctionProps {
  /** Handler module under functions/http/handlers/ (the bundle entry). */
  module: string;
  /** The exported handler in that module. */
  handler: string;
  description: string;
  memorySize?: number;
  timeout?: Duration;
  /** /tmp size (default 512 MiB); the job function spools export files there. */
  ephemeralStorageSize?: Size;
  logRetention?: RetentionDays;
  /**
   * A log group shared with other functions (the API's route functions share one: a function and a log group per route
   * would take CloudFormation's 500-resource stack limit by themselves). Records carry the route, so a shared group
   * loses nothing; without it the function gets its own.
   */
  logGroup?: LogGroup;
}

export class CensusFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  /** What this function was bound to, for tests and reports. */
  readonly bindings: {
    tables: { id: string; access: TableAccess }[];
    bucket: { prefix: string; access: BucketAccess }[];
    jobs?: string;
    identity?: boolean;
  } = { tables: [], bucket: [] };
  private bucketName?: string;
  private listGranted = false;
  private readonly acknowledgedBucketPatterns = new Set<string>();

  constructor(scope: Construct, id: string, props: CensusFunctionProps) {
    super(scope, id);
    const entry = join(HANDLERS_DIR, `${props.module}.ts`);
    if (!existsSync(entry)) throw new Error(`Handler module ${entry} does not exist (route table names module '${props.module}')`);

    this.logGroup =
      props.logGroup ??
      new LogGroup(this, 'Logs', {
        retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.RETAIN,
      });

    // An empty role: no AWS managed policy; logging is granted on this function's log group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.description}`,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
    );

    this.fn = new NodejsFunction(this, 'Function', {
      description: props.description,
      entry,
      handler: props.handler,
      runtime: RUNTIME,
      architecture: ARCHITECTURE,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      ...(props.ephemeralStorageSize ? { ephemeralStorageSize: props.ephemeralStorageSize } : {}),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      environment: { NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        // ESM keeps `import.meta` (import.meta.url / dirname) meaningful; esbuild resolves the package.json "imports"
        // aliases (#domain/*, #app/*, …) itself, so nothing is read from disk at run time.
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The Lambda Node.js runtime ships AWS SDK v3; leaving it out keeps each bundle a few KB.
        externalModules: ['@aws-sdk/*'],
        banner: BANNER,
        logLevel: LogLevel.WARNING,
      },
    });

    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray tracing (Tracing.ACTIVE) adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions; every other statement of this role names its resources.',
    );
  }

  /** Give the function one table: the env var `TABLE_<ID>` with its physical name, and the grant for that access. */
  bindTable(t: CensusTable, access: TableAccess): void {
    this.fn.addEnvironment(tableEnvVar(t.def), t.table.tableName);
    // Index ARNs only for read access: the write paths address items by key; the list paths query the indexes.
    const indexes = access === 'read' ? t.def.indexes.map((ix) => `${t.table.tableArn}/index/${ix.name}`) : [];
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS[access]], resources: [t.table.tableArn, ...indexes] }));
    this.bindings.tables.push({ id: t.def.id, access });
  }

  /**
   * Let the function start background jobs: JOB_FUNCTION names the job function, and the grant is lambda:InvokeFunction
   * on exactly that function (no `:*` qualifier: the queue invokes the unqualified name).
   */
  bindJobs(worker: CensusFunction): void {
    this.fn.addEnvironment('JOB_FUNCTION', worker.fn.functionName);
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [worker.fn.functionArn] }));
    this.bindings.jobs = worker.node.id;
  }

  /**
   * Let the function manage the members' sign-in identities: USER_POOL_ID names the pool, MEMBER_INVITES says how new
   * members get their temporary password ('slips' unless SES is configured), and the grant is IDENTITY_ACTIONS on that
   * one pool's ARN.
   */
  bindIdentity(userPool: IUserPool, opts: { invites?: MemberInvites } = {}): void {
    if (this.bindings.identity) throw new Error('bindIdentity is called once per function');
    this.fn.addEnvironment('USER_POOL_ID', userPool.userPoolId);
    this.fn.addEnvironment('MEMBER_INVITES', opts.invites ?? 'slips');
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...IDENTITY_ACTIONS], resources: [userPool.userPoolArn] }));
    this.bindings.identity = true;
  }

  /** Give the function objects under one key prefix of the files bucket: env var BUCKET and the grant for that access. */
  bindBucket(bucket: IBucket, prefix: string, access: BucketAccess): void {
    if (!/^[a-z0-9-]+\/$/.test(prefix)) throw new Error(`Bucket prefix must be one folder ending in '/': ${prefix}`);
    if (this.bucketName !== undefined && this.bucketName !== bucket.bucketName) throw new Error('A function binds one bucket (env BUCKET)');
    this.bucketName = bucket.bucketName;
    this.fn.addEnvironment('BUCKET', bucket.bucketName);
    const pattern = `${prefix}*`;
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...BUCKET_ACTIONS[access]], resources: [bucket.arnForObjects(pattern)] }));
    if (NEEDS_LIST.includes(access) && !this.listGranted) {
      this.listGranted = true;
      this.role.addToPrincipalPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    }
    this.bindings.bucket.push({ prefix, access });

    if (!this.acknowledgedBucketPatterns.has(pattern)) {
      this.acknowledgedBucketPatterns.add(pattern);
      const cfn = bucket.node.defaultChild as CfnBucket | undefined;
      const logicalId = cfn ? Stack.of(this).getLogicalId(cfn) : undefined;
      if (!logicalId) throw new Error('bindBucket needs a bucket defined in this stack');
      acknowledge(
        this.role,
        `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${pattern}]`,
        `object permissions are scoped to the '${prefix}' key prefix that this route declares in routes.ts; the keys under it are generated per upload or job at run time, so they cannot be listed in advance, and no other part of the bucket is granted.`,
      );
    }
  }
}
