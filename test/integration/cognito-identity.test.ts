/**
 * The Cognito identity adapter against a stand-in of the Cognito Identity Provider JSON API (awsJson1_1): a node:http
 * server on 127.0.0.1 that dispatches on `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`, keeps users in
 * memory the way a pool with e-mail usernames does (Cognito's own Username is the sub; the e-mail is an alias that every
 * admin call accepts), records every call, and answers errors as Cognito does (HTTP 400 or 500, `x-amzn-errortype`,
 * `{"__type","message"}`), so the real SDK client parses them into its exception classes. Time is faked: the adapter's
 * pacing and backoff go through an injected clock and sleep, and nothing here asserts wall-clock time.
 */
import {
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
  TooManyRequestsException,
  UsernameExistsException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CognitoIdentity, cognitoIdentityFromEnv, RETRY, type CognitoIdentityOptions } from '#adapters/identity/cognito';
import type { Member } from '#app/ports';
import { DomainError } from '#domain/errors';
import { CognitoStandIn, fakeTime, POOL } from '../support/cognito-stand-in';



const standIn = new CognitoStandIn();
let client: CognitoIdentityProviderClient;

beforeAll(async () => {
  await standIn.start();
  client = new CognitoIdentityProviderClient({
    endpoint: standIn.url,
    region: 'cn-north-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'fake-secret' },
    // The adapter retries itself.
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client?.destroy();
  await standIn.close();
});
beforeEach(() => standIn.reset());


function adapter(opts: Partial<CognitoIdentityOptions> = {}) {
  const time = fakeTime();
  const identity = new CognitoIdentity({ client, userPoolId: POOL, invites: 'slips', now: time.now, sleep: time.sleep, random: () => 0.5, ...opts });
  return { identity, time };
}

const NEW = { username: 'zhang.san', displayName: '张三', email: 'zhang.san@example.cn' };

function member(over: Partial<Member> = {}): Member {
  return { userId: 'u1', username: NEW.username, displayName: NEW.displayName, email: NEW.email, role: 'staff', sector: 'housing', regions: ['420999001002'], ...over };
}

const callsOf = (op: string) => standIn.calls.filter((c) => c.op === op);

describe('the stand-in speaks Cognito', () => {
  it('the real SDK client parses its errors into the exception classes', async () => {
    await client.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: 'a@example.cn', MessageAction: 'SUPPRESS', TemporaryPassword: 'x' }));
    const again = client.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: 'a@example.cn', MessageAction: 'SUPPRESS', TemporaryPassword: 'x' }));
    await expect(again).rejects.toBeInstanceOf(UsernameExistsException);
    await expect(client.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: 'nobody@example.cn', MessageAction: 'RESEND' }))).rejects.toBeInstanceOf(UserNotFoundException);
    standIn.fault = { op: 'AdminCreateUser', type: 'TooManyRequestsException', count: 1 };
    const throttled = await client.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: 'b@example.cn' })).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(TooManyRequestsException);
    expect((throttled as TooManyRequestsException).$metadata.httpStatusCode).toBe(400);
  });
});

describe('createUser', () => {
  it('slips: AdminCreateUser with the invitation suppressed and our temporary password, which is returned with the sub', async () => {
    const { identity } = adapter();
    const r = await identity.createUser(NEW);
    expect(standIn.ops()).toEqual(['AdminCreateUser']);
    const [call] = callsOf('AdminCreateUser');
    expect(call!.body).toMatchObject({ UserPoolId: POOL, Username: NEW.email, MessageAction: 'SUPPRESS' });
    expect(call!.body.DesiredDeliveryMediums).toBeUndefined();
    expect(r.temporaryPassword).toMatch(/^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}$/);
    expect(call!.body.TemporaryPassword).toBe(r.temporaryPassword);
    expect(call!.body.UserAttributes).toEqual(
      expect.arrayContaining([
        { Name: 'email', Value: NEW.email },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'name', Value: NEW.displayName },
      ]),
    );
    const stored = standIn.find(NEW.email)!;
    expect(r.sub).toBe(stored.sub);
    expect(stored.password).toBe(r.temporaryPassword);
    expect(stored.UserStatus).toBe('FORCE_CHANGE_PASSWORD');
  });

  it('email invites: Cognito generates and mails the password; none is sent, none returned', async () => {
    const { identity } = adapter({ invites: 'email' });
    const r = await identity.createUser(NEW);
    const [call] = callsOf('AdminCreateUser');
    expect(call!.body.TemporaryPassword).toBeUndefined();
    expect(call!.body.MessageAction).toBeUndefined();
    expect(call!.body.DesiredDeliveryMediums).toEqual(['EMAIL']);
    expect(r).toEqual({ sub: standIn.find(NEW.email)!.sub });
  });

  it('again for the same e-mail (UsernameExistsException, parsed by the SDK): takes the user over — same sub, a new temporary password', async () => {
    const { identity } = adapter();
    const first = await identity.createUser(NEW);
    const second = await identity.createUser(NEW);
    expect(standIn.ops()).toEqual(['AdminCreateUser', 'AdminCreateUser', 'AdminGetUser', 'AdminSetUserPassword']);
    expect(standIn.users).toHaveLength(1);
    expect(second.sub).toBe(first.sub);
    expect(second.temporaryPassword).toBeDefined();
    expect(second.temporaryPassword).not.toBe(first.temporaryPassword);
    expect(callsOf('AdminSetUserPassword')[0]!.body).toEqual({ UserPoolId: POOL, Username: NEW.email, Password: second.temporaryPassword, Permanent: false });
    expect(standIn.find(NEW.email)!.password).toBe(second.temporaryPassword);
    expect(callsOf('AdminDeleteUser')).toEqual([]);
  });

  it('again with email invites: the invitation is resent (RESEND), no password returned', async () => {
    const { identity } = adapter({ invites: 'email' });
    const first = await identity.createUser(NEW);
    const second = await identity.createUser(NEW);
    expect(second).toEqual({ sub: first.sub });
    expect(standIn.ops()).toEqual(['AdminCreateUser', 'AdminCreateUser', 'AdminGetUser', 'AdminCreateUser']);
    expect(callsOf('AdminCreateUser')[2]!.body).toMatchObject({ Username: NEW.email, MessageAction: 'RESEND', DesiredDeliveryMediums: ['EMAIL'] });
  });

  it('never resets the password of a user who has signed in (CONFIRMED): returns its sub only', async () => {
    const { identity } = adapter();
    const first = await identity.createUser(NEW);
    standIn.find(NEW.email)!.UserStatus = 'CONFIRMED';
    standIn.find(NEW.email)!.password = 'their own';
    const second = await identity.createUser(NEW);
    expect(second).toEqual({ sub: first.sub });
    expect(callsOf('AdminSetUserPassword')).toEqual([]);
    expect(standIn.find(NEW.email)!.password).toBe('their own');
  });

  it('without an e-mail: DomainError on path email, and no call made', async () => {
    const { identity } = adapter();
    const e = await identity.createUser({ username: 'li.si', displayName: '李四' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).status).toBe(422);
    expect((e as DomainError).code).toBe('member.invalid');
    expect((e as DomainError).errors).toEqual([
      { path: 'email', code: 'required', message: { zh: '在云端部署中，成员需要电子邮箱（用于登录）', en: 'On AWS a member needs an e-mail address (it is their sign-in name)' } },
    ]);
    expect(standIn.calls).toEqual([]);
  });

  it('another error is not retried and not taken for an existing user', async () => {
    const { identity, time } = adapter();
    const e = await identity.createUser({ ...NEW, email: 'not-an-email' }).catch((x: unknown) => x);
    expect((e as Error).name).toBe('InvalidParameterException');
    expect(standIn.ops()).toEqual(['AdminCreateUser']);
    expect(time.sleeps).toEqual([]);
  });
});

describe('disable, enable', () => {
  it('disable: AdminDisableUser, then AdminUserGlobalSignOut', async () => {
    const { identity } = adapter();
    await identity.createUser(NEW);
    standIn.calls.length = 0;
    await identity.disableUser(member());
    expect(standIn.ops()).toEqual(['AdminDisableUser', 'AdminUserGlobalSignOut']);
    expect(standIn.calls.every((c) => c.body.Username === NEW.email)).toBe(true);
    expect(standIn.find(NEW.email)!.Enabled).toBe(false);
    expect(standIn.find(NEW.email)!.signedOut).toBe(1);
  });

  it('disable of a user Cognito does not know resolves (nothing can sign in as it)', async () => {
    const { identity } = adapter();
    await expect(identity.disableUser(member({ email: 'gone@example.cn' }))).resolves.toBeUndefined();
    expect(standIn.ops()).toEqual(['AdminDisableUser']);
  });

  it('enable: AdminEnableUser; a member without e-mail is addressed by username', async () => {
    const { identity } = adapter();
    await identity.createUser(NEW);
    standIn.find(NEW.email)!.Enabled = false;
    await identity.enableUser(member());
    expect(standIn.find(NEW.email)!.Enabled).toBe(true);
    expect(callsOf('AdminEnableUser')[0]!.body).toEqual({ UserPoolId: POOL, Username: NEW.email });
    await expect(identity.enableUser(member({ email: undefined }))).rejects.toBeInstanceOf(UserNotFoundException);
    expect(callsOf('AdminEnableUser')[1]!.body.Username).toBe(NEW.username);
  });
});

describe('resetPassword', () => {
  it('slips: a new temporary password (Permanent false), then a global sign-out', async () => {
    const { identity } = adapter();
    const created = await identity.createUser(NEW);
    standIn.find(NEW.email)!.UserStatus = 'CONFIRMED';
    standIn.calls.length = 0;
    const r = await identity.resetPassword(member());
    expect(standIn.ops()).toEqual(['AdminSetUserPassword', 'AdminUserGlobalSignOut']);
    expect(callsOf('AdminSetUserPassword')[0]!.body).toEqual({ UserPoolId: POOL, Username: NEW.email, Password: r.temporaryPassword, Permanent: false });
    expect(r.temporaryPassword).not.toBe(created.temporaryPassword);
    const u = standIn.find(NEW.email)!;
    expect(u.UserStatus).toBe('FORCE_CHANGE_PASSWORD');
    expect(u.password).toBe(r.temporaryPassword);
    expect(u.signedOut).toBe(1);
  });

  it('email, user who never signed in (FORCE_CHANGE_PASSWORD): the invitation is resent', async () => {
    const { identity } = adapter({ invites: 'email' });
    await identity.createUser(NEW);
    standIn.calls.length = 0;
    expect(await identity.resetPassword(member())).toEqual({});
    expect(standIn.ops()).toEqual(['AdminGetUser', 'AdminCreateUser', 'AdminUserGlobalSignOut']);
    expect(callsOf('AdminCreateUser')[0]!.body).toMatchObject({ Username: NEW.email, MessageAction: 'RESEND' });
  });

  it('email, confirmed user: AdminResetUserPassword (Cognito mails a code)', async () => {
    const { identity } = adapter({ invites: 'email' });
    await identity.createUser(NEW);
    standIn.find(NEW.email)!.UserStatus = 'CONFIRMED';
    standIn.calls.length = 0;
    expect(await identity.resetPassword(member())).toEqual({});
    expect(standIn.ops()).toEqual(['AdminGetUser', 'AdminResetUserPassword', 'AdminUserGlobalSignOut']);
    expect(standIn.find(NEW.email)!.UserStatus).toBe('RESET_REQUIRED');
  });
});

describe('users', () => {
  it('lists more than 60 users page by page (Limit 60, PaginationToken), with e-mail as username', async () => {
    const { identity } = adapter({ ratePerSecond: 1_000 });
    for (let i = 0; i < 130; i++) await identity.createUser({ username: `u${i}`, displayName: `U${i}`, email: `u${i}@example.cn` });
    standIn.find('u7@example.cn')!.Enabled = false;
    standIn.calls.length = 0;
    const users = await identity.users();
    expect(standIn.ops()).toEqual(['ListUsers', 'ListUsers', 'ListUsers']);
    expect(standIn.calls.map((c) => c.body.Limit)).toEqual([60, 60, 60]);
    expect(standIn.calls.map((c) => c.body.PaginationToken)).toEqual([undefined, '60', '120']);
    expect(users).toHaveLength(130);
    expect(new Set(users.map((u) => u.sub)).size).toBe(130);
    expect(users.find((u) => u.username === 'u42@example.cn')).toEqual({ sub: standIn.find('u42@example.cn')!.sub, username: 'u42@example.cn', enabled: true });
    expect(users.find((u) => u.username === 'u7@example.cn')!.enabled).toBe(false);
  });
});

describe('throttling and server errors', () => {
  it('TooManyRequestsException on the first 3 AdminCreateUser calls: succeeds on the 4th, backing off with growing caps', async () => {
    const { identity, time } = adapter();
    standIn.fault = { op: 'AdminCreateUser', type: 'TooManyRequestsException', count: 3 };
    const r = await identity.createUser(NEW);
    expect(callsOf('AdminCreateUser')).toHaveLength(4);
    expect(r.sub).toBe(standIn.find(NEW.email)!.sub);
    expect(callsOf('AdminCreateUser')[3]!.body.TemporaryPassword).toBe(r.temporaryPassword);
    // Full jitter with random() = 0.5: half of each cap (250, 500, 1000 ms); the waits are longer than the pacing
    // interval (100 ms), so the bucket adds none.
    expect(time.sleeps).toEqual([125, 250, 500]);
  });

  it('InternalErrorException (HTTP 500) is retried too', async () => {
    const { identity } = adapter();
    await identity.createUser(NEW);
    standIn.fault = { op: 'AdminDisableUser', type: 'InternalErrorException', status: 500, count: 1 };
    await identity.disableUser(member());
    expect(standIn.ops()).toEqual(['AdminCreateUser', 'AdminDisableUser', 'AdminDisableUser', 'AdminUserGlobalSignOut']);
    expect(standIn.find(NEW.email)!.Enabled).toBe(false);
  });

  it('a stand-in that always throttles: rejects with the last error after 7 attempts (6 waits, caps doubling)', async () => {
    const { identity, time } = adapter();
    standIn.fault = { op: 'AdminCreateUser', type: 'TooManyRequestsException', count: Number.POSITIVE_INFINITY };
    await expect(identity.createUser(NEW)).rejects.toBeInstanceOf(TooManyRequestsException);
    expect(callsOf('AdminCreateUser')).toHaveLength(7);
    expect(RETRY.maxAttempts).toBe(7);
    expect(time.sleeps).toEqual([125, 250, 500, 1000, 2000, 4000]);
    expect(standIn.users).toEqual([]);
  });

  it('the cap stops growing at 8 s', async () => {
    const { identity, time } = adapter({ random: () => 0.999 });
    standIn.fault = { op: 'ListUsers', type: 'LimitExceededException', count: Number.POSITIVE_INFINITY };
    await expect(identity.users()).rejects.toMatchObject({ name: 'LimitExceededException' });
    expect(time.sleeps).toEqual([249, 499, 999, 1998, 3996, 7992]);
  });
});

describe('pacing (token bucket, burst 1)', () => {
  it('30 creates at 10 per second, one after another: 2.9 s of waiting in total on the fake clock', async () => {
    const { identity, time } = adapter({ ratePerSecond: 10 });
    for (let i = 0; i < 30; i++) await identity.createUser({ username: `p${i}`, displayName: `P${i}`, email: `p${i}@example.cn` });
    expect(callsOf('AdminCreateUser')).toHaveLength(30);
    const total = time.sleeps.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(2_899);
    expect(total).toBeLessThanOrEqual(2_901);
    expect(time.sleeps).toHaveLength(29);
  });

  it('30 creates started at once with a frozen clock: the k-th waits k × 100 ms (they queue in order)', async () => {
    const sleeps: number[] = [];
    const identity = new CognitoIdentity({ client, userPoolId: POOL, invites: 'slips', ratePerSecond: 10, now: () => 0, sleep: async (ms) => void sleeps.push(ms) });
    await Promise.all(Array.from({ length: 30 }, (_, i) => identity.createUser({ username: `q${i}`, displayName: `Q${i}`, email: `q${i}@example.cn` })));
    expect(standIn.users).toHaveLength(30);
    expect([...sleeps].sort((a, b) => a - b)).toEqual(Array.from({ length: 29 }, (_, i) => (i + 1) * 100));
  });

  it('a slower rate spaces calls further apart', async () => {
    const { identity, time } = adapter({ ratePerSecond: 2 });
    for (let i = 0; i < 3; i++) await identity.createUser({ username: `s${i}`, displayName: `S${i}`, email: `s${i}@example.cn` });
    expect(time.sleeps).toEqual([500, 500]);
  });
});

describe('cognitoIdentityFromEnv', () => {
  it('needs USER_POOL_ID', () => {
    expect(() => cognitoIdentityFromEnv({ AWS_REGION: 'cn-north-1' })).toThrow(/USER_POOL_ID/);
  });

  it('refuses an unknown MEMBER_INVITES', () => {
    expect(() => cognitoIdentityFromEnv({ USER_POOL_ID: POOL, MEMBER_INVITES: 'sms' })).toThrow(/MEMBER_INVITES/);
  });

  it('builds the adapter (slips by default) on COGNITO_ENDPOINT', async () => {
    const identity = cognitoIdentityFromEnv({ USER_POOL_ID: POOL, AWS_REGION: 'cn-north-1', COGNITO_ENDPOINT: standIn.url });
    expect(identity.kind).toBe('cognito');
    const r = await identity.createUser(NEW);
    expect(r.temporaryPassword).toBeDefined();
    expect(callsOf('AdminCreateUser')[0]!.body).toMatchObject({ UserPoolId: POOL, MessageAction: 'SUPPRESS', TemporaryPassword: r.temporaryPassword });
    expect((await identity.users()).map((u) => u.username)).toEqual([NEW.email]);
  });

  it('MEMBER_INVITES=email: Cognito mails the invitation', async () => {
    const identity = cognitoIdentityFromEnv({ USER_POOL_ID: POOL, AWS_REGION: 'cn-north-1', COGNITO_ENDPOINT: standIn.url, MEMBER_INVITES: 'email' });
    const r = await identity.createUser(NEW);
    expect(r.temporaryPassword).toBeUndefined();
    expect(callsOf('AdminCreateUser')[0]!.body.DesiredDeliveryMediums).toEqual(['EMAIL']);
  });
});
