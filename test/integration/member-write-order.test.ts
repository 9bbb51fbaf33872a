/**
 * The member use cases with the Cognito adapter (against the stand-in of Cognito's API) over a real store: the write
 * order between Cognito and the Members table leaves every half-finished state with less privilege, the drift report
 * shows it, and a retry finishes it — a failure between the two writes of a create, and a Cognito failure after a
 * disable was recorded.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CognitoIdentity } from '../../functions/adapters/identity/cognito';
import { createMember, memberDrift, resetPassword, updateMember } from '../../functions/app/manage-members';
import type { Member, Ports } from '../../functions/app/ports';
import { principalFromClaims } from '../../functions/http/wrap';
import { CognitoStandIn, fakeTime, POOL } from '../support/cognito-stand-in';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let standIn: CognitoStandIn;
let client: CognitoIdentityProviderClient;
let ports: Ports;
let admin: Member;
/** Make the directory's next createMember fail as a throttled write would (nothing written). */
let failNextCreate = false;

beforeAll(async () => {
  stack = await startTestStack();
  standIn = new CognitoStandIn();
  await standIn.start();
  client = new CognitoIdentityProviderClient({ region: 'cn-north-1', endpoint: standIn.url, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, maxAttempts: 1 });
  const time = fakeTime();
  const directory = stack.ports.directory;
  const flaky = new Proxy(directory, {
    get(target, prop, receiver) {
      if (prop === 'createMember') {
        return async (...args: Parameters<typeof directory.createMember>) => {
          if (failNextCreate) {
            failNextCreate = false;
            throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ProvisionedThroughputExceededException' });
          }
          return target.createMember(...args);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  ports = { ...stack.ports, directory: flaky, identity: new CognitoIdentity({ client, userPoolId: POOL, invites: 'slips', now: time.now, sleep: time.sleep, random: () => 0.5 }) };
  admin = (await directory.memberByUsername('admin'))!;
}, 120_000);
afterAll(async () => {
  client?.destroy();
  await standIn?.close();
  await stack?.close();
});
beforeEach(() => {
  standIn.fault = undefined;
});

const body = (n: string) => ({ username: `cog-${n}`, displayName: '云端成员', role: 'staff', sector: 'housing', regions: ['420999001002'], email: `cog-${n}@example.cn` });
const cognitoUser = (email: string) => standIn.users.find((u) => u.attributes.get('email') === email);

describe('create: Cognito first, then Members', () => {
  it('a Members write that fails after the Cognito user exists leaves a user who can do nothing; the retry takes it over and finishes', async () => {
    failNextCreate = true;
    await expect(createMember(ports, admin, body('a'))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    const half = cognitoUser('cog-a@example.cn')!;
    expect(half).toBeDefined();
    expect(await ports.directory.member(half.sub)).toBeUndefined();
    // The half-created identity has no privilege: a token of it is refused as "not a member".
    await expect(principalFromClaims(ports, { sub: half.sub, iat: Math.floor(Date.now() / 1000) }, { path: '/api/me' })).rejects.toMatchObject({ code: 'access.forbidden' });
    expect((await memberDrift(ports, admin)).drift).toContainEqual({ username: 'cog-a@example.cn', problem: 'identity-without-member' });

    const retry = await createMember(ports, admin, body('a'));
    expect(retry.member.userId).toBe(half.sub);
    expect(retry.temporaryPassword).toBeTruthy();
    expect(standIn.users.filter((u) => u.attributes.get('email') === 'cog-a@example.cn')).toHaveLength(1);
    expect(cognitoUser('cog-a@example.cn')!.password).toBe(retry.temporaryPassword);
    expect((await ports.directory.member(half.sub))!.username).toBe('cog-a');
    expect((await memberDrift(ports, admin)).drift.filter((d) => d.username.startsWith('cog-a'))).toEqual([]);
    expect(standIn.ops()).not.toContain('AdminDeleteUser');
  });

  it('an e-mail held by another member is refused before Cognito is called', async () => {
    await createMember(ports, admin, body('b'));
    const calls = standIn.calls.length;
    await expect(createMember(ports, admin, { ...body('b2'), email: 'cog-b@example.cn' })).rejects.toMatchObject({ code: 'member.username-taken' });
    expect(standIn.calls.length).toBe(calls);
  });
});

describe('disable: Members first, then Cognito', () => {
  it('a Cognito failure after the disable was recorded leaves the member refused; sending the disable again finishes it', async () => {
    const { member } = await createMember(ports, admin, body('c'));
    standIn.fault = { op: 'AdminDisableUser', type: 'InternalErrorException', status: 500, count: Infinity };
    await expect(updateMember(ports, admin, member.userId, `"${member.version}"`, { status: 'disabled' })).rejects.toBeTruthy();
    const stored = (await ports.directory.member(member.userId))!;
    expect(stored.status).toBe('disabled');
    await expect(principalFromClaims(ports, { sub: member.userId, iat: Math.floor(Date.now() / 1000) + 5 }, { path: '/api/me' })).rejects.toMatchObject({ code: 'auth.revoked' });
    expect(cognitoUser('cog-c@example.cn')!.Enabled).toBe(true);
    expect((await memberDrift(ports, admin)).drift).toContainEqual({ userId: member.userId, username: 'cog-c', problem: 'disabled-member-can-sign-in' });

    standIn.fault = undefined;
    const again = await updateMember(ports, admin, member.userId, `"${stored.version}"`, { status: 'disabled' });
    expect(again.status).toBe('disabled');
    const user = cognitoUser('cog-c@example.cn')!;
    expect(user.Enabled).toBe(false);
    expect(user.signedOut).toBeGreaterThan(0);
    expect((await memberDrift(ports, admin)).drift.filter((d) => d.username === 'cog-c')).toEqual([]);

    // Re-enable: Cognito first, then Members.
    const on = await updateMember(ports, admin, member.userId, `"${stored.version}"`, { status: 'active' });
    expect(on.status).toBe('active');
    expect(cognitoUser('cog-c@example.cn')!.Enabled).toBe(true);
  });

  it('a reset revokes the sessions in Members before Cognito sets the temporary password', async () => {
    const { member } = await createMember(ports, admin, body('d'));
    standIn.fault = { op: 'AdminSetUserPassword', type: 'InternalErrorException', status: 500, count: Infinity };
    const before = Date.now();
    await expect(resetPassword(ports, admin, member.userId)).rejects.toBeTruthy();
    const stored = (await ports.directory.member(member.userId))!;
    expect(Date.parse(stored.sessionsRevokedAt!)).toBeGreaterThanOrEqual(before - 1);
    standIn.fault = undefined;
    const r = await resetPassword(ports, admin, member.userId);
    expect(cognitoUser('cog-d@example.cn')!.password).toBe(r.temporaryPassword);
  });
});
