/**
 * The identity port on Cognito (the census user pool of infra/aws/identity.ts). The pool signs in by e-mail
 * (`signInAliases: { email: true }`), so a member's Cognito username is their e-mail address; Cognito keeps its own
 * internal username (the `sub`), which is why `users()` reports the e-mail attribute. Authorization never comes from
 * the pool: every request resolves its principal from the Members rows keyed by `sub`.
 *
 * Write order the member use cases follow (functions/app/manage-members.ts), so that every half-finished state has less
 * privilege, never more, and repeating the request finishes it:
 *  - create: Cognito first (AdminCreateUser with the invitation suppressed and our temporary password), then the Members
 *    row. A Cognito user without a Members row can do nothing — every request resolves its principal from Members. A
 *    retry finds the username free in Members and `createUser` takes the existing Cognito user over (UsernameExists →
 *    same `sub`, a new temporary password).
 *  - disable: the Members row first (status disabled, sessions revoked), then AdminDisableUser + AdminUserGlobalSignOut.
 *  - enable: Cognito first (AdminEnableUser), then the Members row.
 *  - reset: Members `sessionsRevokedAt` first, then Cognito (a new temporary password, then a global sign-out).
 * Never AdminDeleteUser: a re-created user gets a new `sub`, and what the member filed names the old one.
 *
 * Quotas (per account and region, shared by every pool and every function): AdminCreateUser is in the UserCreation
 * category (50 requests/s), the updates (set password, reset, disable, enable, sign-out) in UserUpdate (25/s),
 * AdminGetUser and ListUsers in UserRead / UserList. The adapter paces its own calls with a token bucket (default 10
 * calls/s, burst 1, per process — a member import runs in one job function) and retries TooManyRequestsException,
 * LimitExceededException, InternalErrorException and 5xx answers with exponential backoff and full jitter (base 250 ms,
 * cap 8 s, at most 7 attempts), then throws the last error. The SDK client should not retry itself (`maxAttempts: 1`,
 * as `cognitoIdentityFromEnv` builds it), or its retries multiply ours.
 *
 * Invitations: Cognito's default e-mail sender delivers 50 messages a day per account, so by default (`slips`) the
 * invitation is suppressed and the office hands over a credential slip with a temporary password we generate. With SES
 * configured for the pool, deploy with `-c memberInvites=email` (env MEMBER_INVITES=email): Cognito then generates the
 * temporary password and mails it, and no password passes through the API.
 *
 * The SDK is loaded on first use (as the Lambda job queue does), so the many functions that build the AWS ports
 * without USER_POOL_ID never pay for it at init.
 */
import type {
  AdminCreateUserCommandOutput,
  AdminGetUserCommandOutput,
  AttributeType,
  CognitoIdentityProviderClient,
  ListUsersCommandOutput,
} from '@aws-sdk/client-cognito-identity-provider';
import type { IdentityProvider, IdentityUser, Member } from '#app/ports';
import { DomainError } from '#domain/errors';
import { generateTemporaryPassword } from '#domain/password-policy';

type Sdk = typeof import('@aws-sdk/client-cognito-identity-provider');

let sdkModule: Promise<Sdk> | undefined;
const loadSdk = (): Promise<Sdk> => (sdkModule ??= import('@aws-sdk/client-cognito-identity-provider'));

export type MemberInvites = 'email' | 'slips';

export const PACING = { ratePerSecond: 10 } as const;
export const RETRY = { baseMs: 250, capMs: 8_000, maxAttempts: 7 } as const;

/** Error names (as the SDK sets `name` from Cognito's `__type`) that are worth another attempt. */
const RETRYABLE = new Set(['TooManyRequestsException', 'LimitExceededException', 'InternalErrorException']);

export interface CognitoIdentityOptions {
  client: Pick<CognitoIdentityProviderClient, 'send'>;
  userPoolId: string;
  invites: MemberInvites;
  /** Calls per second this adapter makes (token bucket, burst 1). Default 10. */
  ratePerSecond?: number;
  /** How to wait (tests inject a fake). Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** A monotonic clock in ms for the token bucket (tests inject a fake). Default: performance.now(). */
  now?: () => number;
  /** [0, 1) for the backoff jitter (tests inject a constant). Default: Math.random. */
  random?: () => number;
}

export const EMAIL_REQUIRED = {
  path: 'email',
  code: 'required',
  message: { zh: '在云端部署中，成员需要电子邮箱（用于登录）', en: 'On AWS a member needs an e-mail address (it is their sign-in name)' },
};

function attr(attrs: AttributeType[] | undefined, name: string): string | undefined {
  return attrs?.find((a) => a.Name === name)?.Value;
}

function errorName(e: unknown): string | undefined {
  return e instanceof Error ? e.name : undefined;
}

export function isRetryable(e: unknown): boolean {
  if (RETRYABLE.has(errorName(e) ?? '')) return true;
  const status = (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

export class CognitoIdentity implements IdentityProvider {
  readonly kind = 'cognito' as const;
  private readonly client: Pick<CognitoIdentityProviderClient, 'send'>;
  private readonly userPoolId: string;
  private readonly invites: MemberInvites;
  private readonly intervalMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  /** Token bucket of one token: the earliest time the next call may start. */
  private nextFreeAt = Number.NEGATIVE_INFINITY;

  constructor(opts: CognitoIdentityOptions) {
    const rate = opts.ratePerSecond ?? PACING.ratePerSecond;
    if (!(rate > 0)) throw new Error(`ratePerSecond must be positive, not ${rate}`);
    if (opts.invites !== 'email' && opts.invites !== 'slips') throw new Error(`invites must be 'email' or 'slips', not ${String(opts.invites)}`);
    this.client = opts.client;
    this.userPoolId = opts.userPoolId;
    this.invites = opts.invites;
    this.intervalMs = 1000 / rate;
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = opts.now ?? (() => performance.now());
    this.random = opts.random ?? Math.random;
  }

  async createUser(u: { username: string; displayName: string; email?: string; phone?: string }): Promise<{ sub: string; temporaryPassword?: string }> {
    const email = u.email?.trim();
    if (!email) throw new DomainError('member.invalid', 'On AWS a member needs an e-mail address (it is their sign-in name)', [EMAIL_REQUIRED]);
    const slips = this.invites === 'slips';
    const temporaryPassword = slips ? generateTemporaryPassword() : undefined;
    try {
      const out = await this.call<AdminCreateUserCommandOutput>((s) =>
        new s.AdminCreateUserCommand({
          UserPoolId: this.userPoolId,
          Username: email,
          UserAttributes: [
            { Name: 'email', Value: email },
            { Name: 'email_verified', Value: 'true' },
            { Name: 'name', Value: u.displayName },
          ],
          ...(slips ? { TemporaryPassword: temporaryPassword, MessageAction: 'SUPPRESS' as const } : { DesiredDeliveryMediums: ['EMAIL' as const] }),
        }),
      );
      const sub = attr(out.User?.Attributes, 'sub');
      if (!sub) throw new Error(`AdminCreateUser answered without the sub of ${email}`);
      return { sub, ...(temporaryPassword ? { temporaryPassword } : {}) };
    } catch (e) {
      if (errorName(e) !== 'UsernameExistsException') throw e;
      return this.takeOver(email);
    }
  }

  /**
   * The user exists already: a create interrupted before its member row was written (the use case found the username
   * free in Members). Take it over: same sub, a fresh temporary password. A user that has left FORCE_CHANGE_PASSWORD
   * has a password of its own — it has signed in, so it is someone's working identity — and is never reset here: its
   * sub is returned as it is (the use case then writes the row, or finds the sub held by another member and refuses).
   */
  private async takeOver(email: string): Promise<{ sub: string; temporaryPassword?: string }> {
    const user = await this.getUser(email);
    const sub = attr(user.UserAttributes, 'sub');
    if (!sub) throw new Error(`AdminGetUser answered without the sub of ${email}`);
    if (user.UserStatus !== 'FORCE_CHANGE_PASSWORD') return { sub };
    if (this.invites === 'slips') {
      const temporaryPassword = await this.setTemporaryPassword(email);
      return { sub, temporaryPassword };
    }
    await this.resendInvitation(email);
    return { sub };
  }

  async resetPassword(m: Member): Promise<{ temporaryPassword?: string }> {
    const username = cognitoUsername(m);
    if (this.invites === 'slips') {
      const temporaryPassword = await this.setTemporaryPassword(username);
      await this.globalSignOut(username);
      return { temporaryPassword };
    }
    const user = await this.getUser(username);
    if (user.UserStatus === 'FORCE_CHANGE_PASSWORD') await this.resendInvitation(username);
    else await this.call((s) => new s.AdminResetUserPasswordCommand({ UserPoolId: this.userPoolId, Username: username }));
    await this.globalSignOut(username);
    return {};
  }

  async disableUser(m: Member): Promise<void> {
    const username = cognitoUsername(m);
    try {
      await this.call((s) => new s.AdminDisableUserCommand({ UserPoolId: this.userPoolId, Username: username }));
      await this.globalSignOut(username);
    } catch (e) {
      // No such user: nothing can sign in as it, which is what disabling asks for.
      if (errorName(e) !== 'UserNotFoundException') throw e;
    }
  }

  async enableUser(m: Member): Promise<void> {
    const username = cognitoUsername(m);
    await this.call((s) => new s.AdminEnableUserCommand({ UserPoolId: this.userPoolId, Username: username }));
  }

  async users(): Promise<IdentityUser[]> {
    const out: IdentityUser[] = [];
    let token: string | undefined;
    do {
      const page = await this.call<ListUsersCommandOutput>((s) =>
        new s.ListUsersCommand({ UserPoolId: this.userPoolId, Limit: 60, ...(token ? { PaginationToken: token } : {}) }),
      );
      for (const u of page.Users ?? []) {
        const sub = attr(u.Attributes, 'sub') ?? u.Username ?? '';
        out.push({ sub, username: attr(u.Attributes, 'email') ?? u.Username ?? sub, enabled: u.Enabled !== false });
      }
      token = page.PaginationToken || undefined;
    } while (token);
    return out;
  }

  private getUser(username: string): Promise<AdminGetUserCommandOutput> {
    return this.call<AdminGetUserCommandOutput>((s) => new s.AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: username }));
  }

  /** A new temporary password (must be changed at the next sign-in; the user is FORCE_CHANGE_PASSWORD again). */
  private async setTemporaryPassword(username: string): Promise<string> {
    const password = generateTemporaryPassword();
    await this.call((s) => new s.AdminSetUserPasswordCommand({ UserPoolId: this.userPoolId, Username: username, Password: password, Permanent: false }));
    return password;
  }

  /** Cognito generates a new temporary password and mails the invitation again (FORCE_CHANGE_PASSWORD users only). */
  private async resendInvitation(username: string): Promise<void> {
    await this.call((s) =>
      new s.AdminCreateUserCommand({ UserPoolId: this.userPoolId, Username: username, MessageAction: 'RESEND', DesiredDeliveryMediums: ['EMAIL'] }),
    );
  }

  private async globalSignOut(username: string): Promise<void> {
    await this.call((s) => new s.AdminUserGlobalSignOutCommand({ UserPoolId: this.userPoolId, Username: username }));
  }

  /** Wait for the bucket's token: reservations are taken synchronously, so concurrent calls queue up in order. */
  private async pace(): Promise<void> {
    const now = this.now();
    const startAt = Math.max(now, this.nextFreeAt);
    this.nextFreeAt = startAt + this.intervalMs;
    if (startAt > now) await this.sleep(startAt - now);
  }

  /** One Cognito call, paced, retried on throttling and server errors (a fresh command per attempt). */
  private async call<O = unknown>(make: (sdk: Sdk) => object): Promise<O> {
    const sdk = await loadSdk();
    const send = this.client.send.bind(this.client) as unknown as (command: object) => Promise<O>;
    for (let attempt = 1; ; attempt++) {
      await this.pace();
      try {
        return await send(make(sdk));
      } catch (e) {
        if (attempt >= RETRY.maxAttempts || !isRetryable(e)) throw e;
        const cap = Math.min(RETRY.capMs, RETRY.baseMs * 2 ** (attempt - 1));
        await this.sleep(Math.floor(this.random() * cap));
      }
    }
  }
}

/** A member's Cognito username: the e-mail address they sign in with (the username for members made before e-mails). */
function cognitoUsername(m: Member): string {
  return m.email ?? m.username;
}

/** A client that loads the SDK on its first call. */
function lazyClient(env: Record<string, string | undefined>): Pick<CognitoIdentityProviderClient, 'send'> {
  let client: Promise<CognitoIdentityProviderClient> | undefined;
  const get = () =>
    (client ??= loadSdk().then(({ CognitoIdentityProviderClient: Client }) => {
      const endpoint = env.COGNITO_ENDPOINT;
      const region = env.AWS_REGION;
      return new Client({
        ...(region ? { region } : {}),
        ...(endpoint ? { endpoint, region: region ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
        // The adapter paces and retries itself.
        maxAttempts: 1,
      });
    }));
  const send = async (command: object) => ((await get()).send as unknown as (c: object) => Promise<unknown>)(command);
  return { send } as unknown as Pick<CognitoIdentityProviderClient, 'send'>;
}

/**
 * The adapter from the environment: USER_POOL_ID (required), AWS_REGION, COGNITO_ENDPOINT (tests and emulators),
 * MEMBER_INVITES = 'slips' (default: temporary passwords on credential slips) or 'email' (Cognito mails them; needs SES).
 */
export function cognitoIdentityFromEnv(env: Record<string, string | undefined>): CognitoIdentity {
  const userPoolId = env.USER_POOL_ID;
  if (!userPoolId) throw new Error('USER_POOL_ID is not set: the Cognito identity needs the id of the user pool');
  const invites = env.MEMBER_INVITES || 'slips';
  if (invites !== 'slips' && invites !== 'email') throw new Error(`MEMBER_INVITES must be 'slips' or 'email', not '${invites}'`);
  return new CognitoIdentity({ client: lazyClient(env), userPoolId, invites });
}
