/**
 * The Risk Census stack: one CDK stack, region- and account-agnostic, composed of one construct per concern.
 * `buildApp()` is shared by `app.ts` (what `cdk synth` / `cdk deploy` run) and the infra tests.
 */
import { App, CfnOutput, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { createRequire } from 'node:module';
import { TABLES, type TableDef } from '../../functions/adapters/dynamo/tables';
import { ROUTES, type RouteDef } from '../../functions/http/routes';
import type { MemberInvites } from '../../functions/adapters/identity/cognito';
import { Api } from './api';
import { DEFAULT_STACK_NAME, OUTPUTS, tableOutputId } from './constants';
import { Data } from './data';
import { AccessLogs, Files } from './files';
import { cognitoDomainUrl, defaultDomainPrefix, Identity } from './identity';
import { Monitoring } from './monitoring';
import { Web } from './web';

export { DEFAULT_STACK_NAME };

export interface RiskCensusStackProps extends StackProps {
  routes?: readonly RouteDef[];
  tables?: readonly TableDef[];
  /** Cognito domain prefix; default `<stack name lowercase>-<account id>`. */
  domainPrefix?: string;
  alarmEmail?: string;
  webAclArn?: string;
  webBuildDir?: string;
  mfa?: 'optional' | 'required';
  /** 等保 2.0 option: the pool requires all four character classes (default: length only). */
  passwordComplexity?: boolean;
  /** How new members get their temporary password: 'slips' (default) or 'email' (Cognito mails it; needs SES). */
  memberInvites?: MemberInvites;
}

export class RiskCensusStack extends Stack {
  readonly logs: AccessLogs;
  readonly data: Data;
  readonly web: Web;
  readonly files: Files;
  readonly identity: Identity;
  readonly api: Api;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: RiskCensusStackProps = {}) {
    super(scope, id, { description: 'Risk Census (自然灾害综合风险普查) — data collection platform', ...props });
    const domainPrefix = props.domainPrefix ?? defaultDomainPrefix(this);
    const authUrl = cognitoDomainUrl(domainPrefix);

    this.logs = new AccessLogs(this, 'AccessLogs');
    this.data = new Data(this, 'Data', props.tables ?? TABLES);
    this.web = new Web(this, 'Web', {
      logBucket: this.logs.bucket,
      cognitoDomainUrl: authUrl,
      ...(props.webAclArn ? { webAclArn: props.webAclArn } : {}),
      ...(props.webBuildDir ? { buildDir: props.webBuildDir } : {}),
    });
    const siteUrl = this.web.siteUrl;
    this.files = new Files(this, 'Files', { siteOrigin: siteUrl, logBucket: this.logs.bucket });
    this.identity = new Identity(this, 'Identity', {
      siteUrl,
      domainPrefix,
      ...(props.mfa ? { mfa: props.mfa } : {}),
      ...(props.passwordComplexity ? { passwordComplexity: true } : {}),
    });
    this.api = new Api(this, 'Api', {
      routes: props.routes ?? ROUTES,
      data: this.data,
      filesBucket: this.files.bucket,
      userPool: this.identity.userPool,
      userPoolClient: this.identity.client,
      siteOrigin: siteUrl,
      memberInvites: props.memberInvites ?? 'slips',
    });
    this.web.deploy({
      apiBase: this.api.url,
      authMode: 'cognito',
      region: this.region,
      userPoolId: this.identity.userPool.userPoolId,
      clientId: this.identity.client.userPoolClientId,
      // The managed-login base URL (authorize, token, logout endpoints live under it).
      cognitoDomain: this.identity.domain.baseUrl(),
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      api: this.api,
      data: this.data,
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });

    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out(OUTPUTS.siteUrl, siteUrl, 'The web app');
    out(OUTPUTS.apiUrl, this.api.url, 'HTTP API base (routes under /api/…)');
    out(OUTPUTS.userPoolId, this.identity.userPool.userPoolId, 'Cognito user pool');
    out(OUTPUTS.userPoolClientId, this.identity.client.userPoolClientId, 'Cognito app client of the web app');
    out(OUTPUTS.cognitoDomain, this.identity.domain.baseUrl(), 'Managed login base URL');
    out(OUTPUTS.filesBucket, this.files.bucket.bucketName, 'Attachments and exports');
    out(OUTPUTS.accessLogsBucket, this.logs.bucket.bucketName, 'S3 server access logs and CloudFront logs');
    out(OUTPUTS.alarmTopic, this.monitoring.topic.topicArn, 'Subscribe to receive alarms');
    for (const { def, table } of Object.values(this.data.tables)) {
      out(tableOutputId(def), table.tableName, `DynamoDB table '${def.id}' (env TABLE_${def.id.toUpperCase()})`);
    }
  }
}

/** The recommended feature flags of this aws-cdk-lib (what `cdk init` would write into cdk.json). */
function recommendedFlags(): Record<string, unknown> {
  return createRequire(import.meta.url)('aws-cdk-lib/recommended-feature-flags.json') as Record<string, unknown>;
}

export interface BuildAppOptions {
  /** Cloud assembly directory (tests use a temp dir); default: the CLI's CDK_OUTDIR or cdk.out. */
  outdir?: string;
  /** Register cdk-nag AwsSolutions as a validation plugin, so any unacknowledged finding fails synthesis. */
  nag?: boolean;
  /** aws-cdk-lib's built-in CloudFormation schema validation at synth (default on; ~10 s of CPU, tests turn it off). */
  cfnValidation?: boolean;
  /** Extra context (e.g. `aws:cdk:bundling-stacks`). */
  context?: Record<string, unknown>;
  stackProps?: RiskCensusStackProps;
}

export function buildApp(opts: BuildAppOptions = {}): { app: App; stack: RiskCensusStack } {
  const app = new App({
    context: { ...recommendedFlags(), ...(opts.context ?? {}) },
    ...(opts.outdir ? { outdir: opts.outdir } : {}),
    ...(opts.cfnValidation === false ? { builtinCloudFormationValidation: false } : {}),
  });
  const ctx = (k: string) => {
    const v = app.node.tryGetContext(k);
    return typeof v === 'string' && v ? v : undefined;
  };
  const stackName = ctx('stackName') ?? DEFAULT_STACK_NAME;
  const domainPrefix = ctx('domainPrefix');
  const alarmEmail = ctx('alarmEmail');
  const webAclArn = ctx('webAclArn');
  const mfa = ctx('mfa');
  if (mfa !== undefined && mfa !== 'optional' && mfa !== 'required') throw new Error(`-c mfa must be optional or required, not ${mfa}`);
  const complexity = ctx('passwordComplexity');
  if (complexity !== undefined && complexity !== 'on' && complexity !== 'off') throw new Error(`-c passwordComplexity must be on or off, not ${complexity}`);
  const memberInvites = ctx('memberInvites');
  if (memberInvites !== undefined && memberInvites !== 'slips' && memberInvites !== 'email') {
    throw new Error(`-c memberInvites must be slips or email (email needs SES configured for the user pool), not ${memberInvites}`);
  }
  const stack = new RiskCensusStack(app, stackName, {
    ...(domainPrefix ? { domainPrefix } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(webAclArn ? { webAclArn } : {}),
    ...(mfa ? { mfa } : {}),
    ...(complexity === 'on' ? { passwordComplexity: true } : {}),
    ...(memberInvites ? { memberInvites } : {}),
    ...(opts.stackProps ?? {}),
  });
  if (opts.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
