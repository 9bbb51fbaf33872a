/**
 * Identity: the Cognito user pool behind the HTTP API's JWT authorizer and the SPA's managed login.
 *
 * - Admin-created users only (no self sign-up); an administrator is created with `npm run create-admin`, everyone else
 *   from the web app's user management. Sign-in with the e-mail address; a new member gets a temporary password that
 *   must be changed at first sign-in — on a credential slip by default (Cognito's default sender delivers 50 e-mails a
 *   day), or in the invitation e-mail with `-c memberInvites=email` once SES is configured for the pool.
 * - Passwords: at least 15 characters and no composition rules (NIST SP 800-63B-4 §3.1.1.2, OWASP ASVS 5.0 §6.2: length,
 *   no composition, no periodic rotation); Plus-tier threat protection refuses compromised credentials. An office bound
 *   by 等保 2.0 deploys with `-c passwordComplexity=on`: lowercase, uppercase, digits and symbols are then all required.
 * - Tokens: access and id tokens 12 hours (a field day), refresh tokens 30 days (a field trip offline); revocation does
 *   not wait for expiry — every request checks the member's `sessionsRevokedAt` in Members.
 * - Authorization never comes from the token: handlers resolve the Principal from the Members rows keyed by `sub`.
 *   There are no custom attributes at all, and the app client may write only `name` and `locale`.
 * - MFA is OPTIONAL by default, with TOTP (authenticator app) as the only second factor: census field staff at township
 *   and village level share office PCs and basic phones, and SMS would need an SNS origination identity for +86
 *   numbers, so required MFA would stop data collection. Plus-tier threat protection (ENFORCED: compromised-credential
 *   and risky-sign-in detection) compensates, and it is what cdk-nag AwsSolutions-COG8 asks for. An office whose staff
 *   all have authenticator apps deploys with `-c mfa=required` (managed login then enrols everyone at next sign-in).
 * - The SPA is a public client (no secret) using the authorization-code flow; the web app sends a PKCE S256 challenge.
 */
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnManagedLoginBranding,
  ClientAttributes,
  FeaturePlan,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  UserPool,
  UserPoolClient,
  UserPoolClientIdentityProvider,
  UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

/** Paths of the SPA that Cognito may redirect back to (the web app handles the code exchange on either). */
export const CALLBACK_PATHS = ['/', '/login', '/auth/callback'];
export const LOGOUT_PATHS = ['/', '/login'];

export interface IdentityProps {
  /** https://<distribution domain> */
  siteUrl: string;
  /** Cognito domain prefix (globally unique per region). */
  domainPrefix: string;
  /** 'optional' (default) or 'required': required makes managed login enrol every user in TOTP at next sign-in. */
  mfa?: 'optional' | 'required';
  /** 等保 2.0 option: require lowercase, uppercase, digits and symbols (default off: length only, NIST SP 800-63B-4). */
  passwordComplexity?: boolean;
}

/** Cognito's password policy of the pool: 15 characters; composition only with the 等保 2.0 option. */
export function passwordPolicy(complexity: boolean) {
  return {
    minLength: 15,
    requireLowercase: complexity,
    requireUppercase: complexity,
    requireDigits: complexity,
    requireSymbols: complexity,
    tempPasswordValidity: Duration.days(3),
  };
}

/** The managed-login base URL for a domain prefix, built without referencing the domain resource (no dependency cycle). */
export function cognitoDomainUrl(domainPrefix: string): string {
  return `https://${domainPrefix}.auth.${Aws.REGION}.amazoncognito.com`;
}

/** A valid, stable default domain prefix: `<stack name>-<account id>`, lowercase. */
export function defaultDomainPrefix(stack: Stack): string {
  const base = stack.stackName.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
  if (/aws|amazon|cognito/.test(base)) {
    throw new Error(`The Cognito domain prefix may not contain "aws", "amazon" or "cognito" (stack name ${stack.stackName}): pass -c domainPrefix=<prefix>`);
  }
  return `${base}-${Aws.ACCOUNT_ID}`;
}

export class Identity extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly domain: UserPoolDomain;
  readonly domainUrl: string;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    const { siteUrl } = props;

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true }, fullname: { required: false, mutable: true } },
      passwordPolicy: passwordPolicy(props.passwordComplexity === true),
      mfa: props.mfa === 'required' ? Mfa.REQUIRED : Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      userInvitation: {
        emailSubject: '自然灾害综合风险普查 · Risk Census 账号 / account',
        emailBody:
          `您已被添加为自然灾害综合风险普查平台用户。<br>登录地址：${siteUrl}<br>用户名：{username}<br>临时密码：{####}<br>首次登录时请设置新密码（临时密码 3 天内有效）。` +
          `<br><br>You have been added to Risk Census. Sign in at ${siteUrl} as {username} with the temporary password {####}; ` +
          'you will choose a new password (the temporary one is valid for 3 days).',
      },
    });
    if (props.passwordComplexity !== true) acknowledge(
      this.userPool,
      'AwsSolutions-COG1',
      'the password policy asks for 15 characters and no composition rules, after NIST SP 800-63B-4 §3.1.1.2 and OWASP ASVS 5.0 §6.2 (composition rules make passwords weaker and harder to remember, length is what counts); Plus-tier threat protection refuses compromised credentials, and an office bound by 等保 2.0 deploys with -c passwordComplexity=on (all four character classes required, no acknowledgement then).',
    );
    if (props.mfa !== 'required') acknowledge(
      this.userPool,
      'AwsSolutions-COG2',
      'MFA is OPTIONAL (TOTP) by default: field staff at township/village level share office PCs and basic phones and SMS to +86 numbers needs an SNS origination identity, so required MFA would stop data collection; Plus-tier threat protection (ENFORCED) blocks compromised credentials and risky sign-ins, and an office whose staff have authenticator apps deploys with -c mfa=required (no acknowledgement then).',
    );

    this.client = this.userPool.addClient('WebClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: CALLBACK_PATHS.map((p) => `${siteUrl}${p}`),
        logoutUrls: LOGOUT_PATHS.map((p) => `${siteUrl}${p}`),
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      // A field day on one sign-in; a field trip offline on one refresh token. Revocation is checked on every request.
      accessTokenValidity: Duration.hours(12),
      idTokenValidity: Duration.hours(12),
      refreshTokenValidity: Duration.days(30),
      authSessionValidity: Duration.minutes(5),
      readAttributes: new ClientAttributes().withStandardAttributes({ email: true, emailVerified: true, fullname: true, locale: true }),
      writeAttributes: new ClientAttributes().withStandardAttributes({ fullname: true, locale: true }),
    });

    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    // The newer managed login shows pages only for app clients that have a branding style; use Cognito's defaults.
    new CfnManagedLoginBranding(this, 'Branding', {
      userPoolId: this.userPool.userPoolId,
      clientId: this.client.userPoolClientId,
      useCognitoProvidedValues: true,
    }).node.addDependency(this.domain);
    this.domainUrl = cognitoDomainUrl(props.domainPrefix);
  }
}
