/**
 * API: the HTTP API generated from the route table (`functions/http/routes.ts`), the same table the local server
 * dispatches with. One route and one function per entry (local-only entries — the password login — are skipped: Cognito
 * signs users in on AWS). Every route except the unauthenticated ones (health) has the Cognito JWT authorizer; grants
 * come from each route's `uses` (`uses.identity`: Cognito's admin API on the census pool, env USER_POOL_ID).
 */
import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CorsHttpMethod, HttpApi, HttpMethod, HttpNoneAuthorizer, HttpStage, LogGroupLogDestination, type IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { MemberInvites } from '../../functions/adapters/identity/cognito';
import { JOB_WORKER, type RouteDef } from '../../functions/http/routes';
import { pascal, type Data } from './data';
import { CensusFunction } from './function';
import { acknowledge } from './nag';

export const THROTTLE = { rateLimit: 100, burstLimit: 200 };

/**
 * Sizing per handler module (default 512 MB, 10 s). The data module parses and writes spreadsheets (imports/exports up
 * to 20 MB), so it gets more memory and the longest timeout an HTTP API integration can wait for (30 s).
 */
export const MODULE_SIZING: Record<string, { memorySize: number; timeout: Duration }> = {
  data: { memorySize: 1024, timeout: Duration.seconds(29) },
};

/**
 * The job function (routes.ts JOB_WORKER): exports and imports run here for up to 15 minutes, with 2 GB of memory for
 * parsing a 20 MB spreadsheet and 4 GiB of /tmp for spooling an export file before its single PUT to S3 (the export's
 * memory then stays flat whatever the number of rows). Lambda does not retry a failed job (the run functions record
 * their own failures, and a job that lost its worker shows as failed after 5 minutes without progress), and drops a
 * task it could not start within 5 minutes for the same reason.
 */
export const JOB_SIZING = { memorySize: 2048, timeout: Duration.minutes(15), ephemeralStorageSize: Size.gibibytes(4), maxEventAge: Duration.minutes(5) };

/** Construct id of a route's function: module + handler (unique in the route table). */
export function functionId(route: RouteDef): string {
  return route.module === route.handler ? pascal(route.module) : `${pascal(route.module)}${pascal(route.handler)}`;
}

/** The routes that exist on AWS. */
export function deployedRoutes(routes: readonly RouteDef[]): RouteDef[] {
  return routes.filter((r) => !r.localOnly);
}

export interface ApiProps {
  routes: readonly RouteDef[];
  data: Data;
  filesBucket: IBucket;
  userPool: IUserPool;
  userPoolClient: IUserPoolClient;
  /** The site origin (https://…) for CORS. */
  siteOrigin: string;
  /** How new members get their temporary password (env MEMBER_INVITES of the functions with `uses.identity`). */
  memberInvites?: MemberInvites;
}

export interface ApiRoute {
  route: RouteDef;
  fn: CensusFunction;
}

export class Api extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly routes: ApiRoute[] = [];
  /** The job function that routes with `uses.jobs` invoke asynchronously. */
  readonly jobWorker: CensusFunction;
  readonly accessLogs: LogGroup;
  /** https://<api id>.execute-api.<region>.amazonaws.com (routes are under /api/…). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const jwt = new HttpUserPoolAuthorizer('Cognito', props.userPool, { userPoolClients: [props.userPoolClient] });

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `${Stack.of(this).stackName}-api`,
      description: 'Risk Census API (generated from functions/http/routes.ts)',
      createDefaultStage: false,
      defaultAuthorizer: jwt,
      corsPreflight: {
        allowOrigins: [props.siteOrigin],
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.PUT, CorsHttpMethod.POST, CorsHttpMethod.DELETE, CorsHttpMethod.OPTIONS],
        allowHeaders: ['authorization', 'content-type', 'if-match'],
        exposeHeaders: ['etag', 'location'],
        maxAge: Duration.hours(1),
      },
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_YEAR });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
            method: '$context.httpMethod',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            responseLength: '$context.responseLength',
            sub: '$context.authorizer.claims.sub',
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    this.url = this.httpApi.apiEndpoint;

    this.jobWorker = new CensusFunction(this, 'JobWorker', {
      module: JOB_WORKER.module,
      handler: JOB_WORKER.handler,
      description: 'Background jobs: exports and imports (invoked asynchronously by the routes that start them)',
      memorySize: JOB_SIZING.memorySize,
      timeout: JOB_SIZING.timeout,
      ephemeralStorageSize: JOB_SIZING.ephemeralStorageSize,
    });
    this.jobWorker.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: JOB_SIZING.maxEventAge });
    for (const t of JOB_WORKER.uses.tables) this.jobWorker.bindTable(props.data.tables[t.id], t.access);
    for (const b of JOB_WORKER.uses.bucket) this.jobWorker.bindBucket(props.filesBucket, b.prefix, b.access);
    const invites = { invites: props.memberInvites ?? 'slips' } as const;
    if ((JOB_WORKER.uses as RouteDef['uses']).identity) this.jobWorker.bindIdentity(props.userPool, invites);

    // One log group for every route function (see CensusFunctionProps.logGroup); the job function keeps its own.
    const routeLogs = new LogGroup(this, 'RouteFunctionLogs', { retention: RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.RETAIN });
    for (const route of deployedRoutes(props.routes)) {
      const fid = functionId(route);
      const fn = new CensusFunction(this, fid, {
        module: route.module,
        handler: route.handler,
        description: `${route.method} ${route.path}`,
        logGroup: routeLogs,
        ...(MODULE_SIZING[route.module] ?? {}),
      });
      for (const t of route.uses.tables) fn.bindTable(props.data.tables[t.id], t.access);
      for (const b of route.uses.bucket ?? []) fn.bindBucket(props.filesBucket, b.prefix, b.access);
      if (route.uses.jobs) fn.bindJobs(this.jobWorker);
      if (route.uses.identity) fn.bindIdentity(props.userPool, invites);

      const authorizer: IHttpRouteAuthorizer = route.auth ? jwt : new HttpNoneAuthorizer();
      const [httpRoute] = this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${fid}Integration`, fn.fn),
        authorizer,
      });
      if (!route.auth && httpRoute) {
        acknowledge(
          httpRoute,
          'AwsSolutions-APIG4',
          `${route.method} ${route.path} is declared auth: false in routes.ts (${route.module}.${route.handler}): a health check for monitors and load tests that reads nothing and returns {ok:true}; it stays behind the stage throttling.`,
        );
      }
      this.routes.push({ route, fn });
    }
  }
}
