/** `npm run create-admin`: argument checks and the calls it makes, against fake AWS clients (offline). */
import { UsernameExistsException } from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import type { Member } from '../../functions/app/ports';
import { createAdmin, parseCreateAdminArgs, type CreateAdminDeps } from '../../infra/aws/create-admin';

type Call = { command: string; input: Record<string, unknown> };

function fakes(opts: { exists?: boolean; status?: string } = {}) {
  const calls: Call[] = [];
  const members: { table: string; member: Member }[] = [];
  const sendTo = (handler: (c: Call) => unknown) => async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const call = { command: cmd.constructor.name, input: cmd.input };
    calls.push(call);
    return handler(call);
  };
  const deps: CreateAdminDeps = {
    cloudFormation: {
      send: sendTo(() => ({
        Stacks: [
          {
            StackStatus: opts.status ?? 'UPDATE_COMPLETE',
            Outputs: [
              { OutputKey: 'UserPoolId', OutputValue: 'cn-north-1_pool' },
              { OutputKey: 'TableDirectory', OutputValue: 'RiskCensus-DataDirectory-XYZ' },
              { OutputKey: 'SiteUrl', OutputValue: 'https://d111.cloudfront.net' },
            ],
          },
        ],
      })) as never,
    },
    cognito: {
      send: sendTo((c) => {
        if (c.command === 'AdminCreateUserCommand' && opts.exists && c.input.MessageAction !== 'RESEND') {
          throw new UsernameExistsException({ message: 'exists', $metadata: {} });
        }
        if (c.command === 'AdminGetUserCommand') return { UserAttributes: [{ Name: 'sub', Value: 'sub-existing' }] };
        return { User: { Attributes: [{ Name: 'sub', Value: 'sub-new' }] } };
      }) as never,
    },
    directory: (table) => ({
      async putMember(member) {
        members.push({ table, member });
      },
    }),
    log: () => undefined,
  };
  return { deps, calls, members };
}

describe('create-admin', () => {
  it('requires an e-mail address and a county code', () => {
    expect(() => parseCreateAdminArgs(['--county', '110101000000'])).toThrow(/--email/);
    expect(() => parseCreateAdminArgs(['--email', 'a@b.cn'])).toThrow(/--county/);
    expect(() => parseCreateAdminArgs(['--email', 'a@b.cn', '--county', '110101001000'])).toThrow(/county code/);
    expect(parseCreateAdminArgs(['--email', 'A@B.cn', '--county', '110101000000'])).toMatchObject({ email: 'a@b.cn', county: '110101000000', stack: 'RiskCensus' });
  });

  it('creates the Cognito user (invitation by e-mail) and writes its Members row keyed by the sub', async () => {
    const { deps, calls, members } = fakes();
    const m = await createAdmin({ email: 'a@b.cn', county: '110101000000', stack: 'RiskCensus', name: '陈主任' }, deps);
    expect(calls[0]).toEqual({ command: 'DescribeStacksCommand', input: { StackName: 'RiskCensus' } });
    const create = calls.find((c) => c.command === 'AdminCreateUserCommand')!;
    expect(create.input).toMatchObject({ UserPoolId: 'cn-north-1_pool', Username: 'a@b.cn', DesiredDeliveryMediums: ['EMAIL'] });
    expect(create.input.MessageAction).toBeUndefined();
    expect(create.input.TemporaryPassword).toBeUndefined();
    expect(members).toEqual([
      { table: 'RiskCensus-DataDirectory-XYZ', member: { userId: 'sub-new', username: 'a@b.cn', displayName: '陈主任', role: 'admin', sector: null, regions: ['110101000000'] } },
    ]);
    expect(m.userId).toBe('sub-new');
  });

  it('is safe to re-run: an existing user keeps its password and gets its Members row', async () => {
    const { deps, calls, members } = fakes({ exists: true });
    await createAdmin({ email: 'a@b.cn', county: '110101000000', stack: 'RiskCensus' }, deps);
    expect(calls.map((c) => c.command)).toEqual(['DescribeStacksCommand', 'AdminCreateUserCommand', 'AdminGetUserCommand']);
    expect(members[0]!.member.userId).toBe('sub-existing');
  });

  it('refuses a stack that is not deployed', async () => {
    const { deps } = fakes({ status: 'ROLLBACK_COMPLETE' });
    await expect(createAdmin({ email: 'a@b.cn', county: '110101000000', stack: 'RiskCensus' }, deps)).rejects.toThrow(/ROLLBACK_COMPLETE/);
  });
});
