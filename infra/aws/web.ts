/**
 * Web: the built SPA (`web/build`) in a private S3 bucket behind CloudFront with origin access control, an SPA fallback
 * (CloudFront Function), a response headers policy with the security headers and a CSP, and `config.json` generated at
 * deploy time (API base, Cognito ids) so one web build serves local mode and AWS.
 *
 * The CSP allows the API and S3 as region-scoped host wildcards (`https://*.execute-api.<region>.amazonaws.com`,
 * `https://*.s3.<region>.amazonaws.com`) rather than the exact hosts: the API's CORS and the files bucket's CORS name
 * the distribution's domain, so a CSP that named the API id or bucket name would make the distribution depend on them
 * and CloudFormation would reject the cycle. The Cognito domain is exact (its URL is built from the prefix, not from
 * the domain resource). Inline scripts of the SvelteKit shell are allowed by their SHA-256 hashes, read from the build
 * at synth time, so `script-src` never needs 'unsafe-inline'. The header values and the CSP's shape live in
 * infra/web-headers.ts, which the local server (`npm start`) sends too.
 */
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  CachePolicy,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
  Function as CloudFrontFunction,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type CfnBucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CROSS_ORIGIN_OPENER_POLICY,
  FRAME_OPTIONS,
  HSTS_MAX_AGE_S,
  PERMISSIONS_POLICY,
  REFERRER_POLICY,
  contentSecurityPolicy as buildCsp,
  inlineScriptHashes as sharedInlineScriptHashes,
} from '../web-headers';
import { acknowledge } from './nag';
import { WEB_BUILD_DIR } from './paths';

/** Static files have one of these extensions; any other path is a client-side route and gets the app shell. */
export const STATIC_EXTENSIONS = ['html', 'js', 'mjs', 'css', 'json', 'webmanifest', 'map', 'txt', 'xml', 'ico', 'png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'avif', 'woff', 'woff2', 'ttf'];

export const SPA_REWRITE_CODE = `function handler(event) {
  var request = event.request;
  // A path whose last segment ends in a static file extension is served as is (a missing file stays a 403/404);
  // everything else is a route of the SPA (including form ids with dots, e.g. /fill/emergency.shelter).
  if (!/\\.(${STATIC_EXTENSIONS.join('|')})$/i.test(request.uri)) request.uri = '/index.html';
  return request;
}`;

/** The build's precompressed copies (`*.br`, `*.gz`, for `npm start`) stay out of the bucket: CloudFront compresses itself. */
const PRECOMPRESSED = ['*.br', '*.gz'];

export function missingWebBuildMessage(dir = WEB_BUILD_DIR): string {
  return `${join(dir, 'index.html')} is missing: build the web app first (it produces web/build), then synthesize or test the AWS stack — the stack deploys web/build.`;
}

/** SHA-256 CSP sources of every inline <script> in the built HTML files (infra/web-headers.ts, shared with `npm start`). */
export function inlineScriptHashes(dir = WEB_BUILD_DIR): string[] {
  return sharedInlineScriptHashes(dir);
}

export interface ContentSecurityPolicyProps {
  cognitoDomainUrl: string;
  scriptHashes: string[];
  region?: string;
}

/** The CSP of infra/web-headers.ts with the AWS origins the app talks to: the API, Cognito, S3 (uploads, downloads). */
export function contentSecurityPolicy(p: ContentSecurityPolicyProps): string {
  const region = p.region ?? Aws.REGION;
  const api = `https://*.execute-api.${region}.amazonaws.com`;
  const s3 = `https://*.s3.${region}.amazonaws.com`;
  return buildCsp({
    scriptHashes: p.scriptHashes,
    imgSrc: [s3],
    connectSrc: [api, p.cognitoDomainUrl, `https://cognito-idp.${region}.amazonaws.com`, s3],
    upgradeInsecureRequests: true,
  });
}

export interface WebProps {
  logBucket: IBucket;
  cognitoDomainUrl: string;
  /** ARN of a CLOUDFRONT-scope WAF web ACL (created in us-east-1), optional. */
  webAclArn?: string;
  buildDir?: string;
}

export class Web extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  readonly headers: ResponseHeadersPolicy;
  /** https://<distribution domain> */
  readonly siteUrl: string;
  readonly csp: string;
  private readonly buildDir: string;

  constructor(scope: Construct, id: string, props: WebProps) {
    super(scope, id);
    this.buildDir = props.buildDir ?? WEB_BUILD_DIR;
    if (!existsSync(join(this.buildDir, 'index.html'))) throw new Error(missingWebBuildMessage(this.buildDir));

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.logBucket,
      serverAccessLogsPrefix: 'site/',
      // Only build output lives here; the deployments below empty it on stack deletion (retainOnDelete: false).
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const spaRewrite = new CloudFrontFunction(this, 'SpaRewrite', {
      runtime: FunctionRuntime.JS_2_0,
      comment: 'SPA fallback: client-side routes get /index.html',
      code: FunctionCode.fromInline(SPA_REWRITE_CODE),
    });

    this.csp = contentSecurityPolicy({ cognitoDomainUrl: props.cognitoDomainUrl, scriptHashes: inlineScriptHashes(this.buildDir) });
    this.headers = new ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Risk Census security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: this.csp, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: FRAME_OPTIONS as string as HeadersFrameOption, override: true },
        referrerPolicy: { referrerPolicy: REFERRER_POLICY as string as HeadersReferrerPolicy, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.seconds(HSTS_MAX_AGE_S), includeSubdomains: true, override: true },
        xssProtection: { protection: false, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Permissions-Policy', value: PERMISSIONS_POLICY, override: true },
          { header: 'Cross-Origin-Opener-Policy', value: CROSS_ORIGIN_OPENER_POLICY, override: true },
        ],
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Risk Census web app',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headers,
        compress: true,
        functionAssociations: [{ function: spaRewrite, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: 'cloudfront/',
      ...(props.webAclArn ? { webAclId: props.webAclArn } : {}),
    });
    this.siteUrl = `https://${this.distribution.distributionDomainName}`;

    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'the census office decides who may sign in (Cognito, admin-created users); staff work from wherever the district sends them, so a country allow-list would add no control and could lock out field work.',
    );
    if (!props.webAclArn) {
      acknowledge(
        this.distribution,
        'AwsSolutions-CFR2',
        'a CLOUDFRONT-scope WAF web ACL must be created in us-east-1 and this stack is region-agnostic; the site is static files and the API enforces JWT auth and stage throttling. Pass -c webAclArn=<arn> to attach one (README, "Deploy to AWS").',
      );
    }
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'the distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes the viewer security policy (TLSv1); a minimum of TLSv1.2_2021 needs a custom domain with an ACM certificate (README, "Design notes and limits").',
    );
  }

  /** Upload the build and the generated config.json; invalidate the shell. */
  deploy(config: Record<string, string>): BucketDeployment[] {
    const logGroup = new LogGroup(this, 'DeployLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const role = new Role(this, 'DeployRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'BucketDeployment handler: copies web/build and config.json into the site bucket',
    });
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));

    const out: BucketDeployment[] = [];
    const immutable = join(this.buildDir, '_app', 'immutable');
    let assets: BucketDeployment | undefined;
    if (existsSync(immutable)) {
      // Content-hashed files: cached for a year, never pruned (a tab still running the previous build can load its chunks).
      assets = new BucketDeployment(this, 'DeployAssets', {
        sources: [Source.asset(immutable, { exclude: PRECOMPRESSED })],
        destinationBucket: this.bucket,
        destinationKeyPrefix: '_app/immutable/',
        prune: false,
        retainOnDelete: false,
        cacheControl: [CacheControl.fromString('public, max-age=31536000, immutable')],
        memoryLimit: 512,
        role,
        logGroup,
      });
      out.push(assets);
    }
    // The shell (index.html, service worker, manifest, …) and config.json: revalidated on every load.
    const shell = new BucketDeployment(this, 'DeployShell', {
      sources: [Source.asset(this.buildDir, { exclude: ['_app/immutable', ...PRECOMPRESSED] }), Source.jsonData('config.json', config)],
      destinationBucket: this.bucket,
      exclude: ['_app/immutable/*'],
      prune: true,
      retainOnDelete: false,
      cacheControl: [CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 512,
      role,
      logGroup,
    });
    if (assets) shell.node.addDependency(assets);
    out.push(shell);

    this.acknowledgeDeployment(role);
    return out;
  }

  /** BucketDeployment (a CDK construct) grants its handler broad S3 and CloudFront actions; each finding is named here. */
  private acknowledgeDeployment(role: Role): void {
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    const copy = 'the BucketDeployment handler (aws s3 sync) reads its source zip from the CDK asset bucket and syncs web/build into the site bucket';
    const findings: [string, string][] = [
      ['Action::s3:GetObject*', `${copy}; CDK grants s3:GetObject* for both reads.`],
      ['Action::s3:GetBucket*', `${copy}; CDK grants s3:GetBucket* (location/versioning lookups of sync).`],
      ['Action::s3:List*', `${copy}; sync lists both buckets to compare contents.`],
      ['Action::s3:DeleteObject*', `${copy}; prune deletes shell files the new build no longer has (the site bucket holds only build output).`],
      ['Action::s3:Abort*', `${copy}; sync aborts its own multipart uploads of large files on failure.`],
      ['Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*', 'read-only access to the CDK bootstrap asset bucket, whose object keys are content hashes unknown until synthesis.'],
      [`Resource::<${bucketId}.Arn>/*`, 'the handler writes every key of the site bucket, which holds nothing but the deployed web build and config.json.'],
      ['Resource::*', 'BucketDeployment grants cloudfront:CreateInvalidation/GetInvalidation on * (the CDK construct does not scope it); the role is used only by this stack\'s deployment handler, which invalidates /* after each upload.'],
    ];
    for (const [finding, reason] of findings) acknowledge(role, `AwsSolutions-IAM5[${finding}]`, reason);

    const handler = Stack.of(this).node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!handler) throw new Error('BucketDeployment handler not found');
    acknowledge(
      handler,
      'AwsSolutions-L1',
      'the BucketDeployment singleton handler is provided by aws-cdk-lib with a fixed Python runtime (it runs the AWS CLI layer at deploy time only, never on user requests); it moves forward with aws-cdk-lib upgrades.',
    );
  }
}
