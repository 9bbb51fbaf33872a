/**
 * First administrator of a deployed stack:
 *
 *   npm run create-admin -- --email chen@example.cn --county 110101000000 [--stack RiskCensus] [--region cn-…] [--name 陈主任]
 *
 * Reads the stack outputs (CloudFormation DescribeStacks), creates the Cognito user (AdminCreateUser: Cognito e-mails
 * a temporary password, valid 3 days) and writes its Members row in the directory table — userId = the Cognito `sub`,
 * role admin, regions [the district's county code] — which is what the API resolves the principal from. Safe to re-run:
 * an existing user keeps its password (pass --resend to e-mail a new temporary password while it has not signed in).
 * Uses the caller's AWS credentials (profile / environment), like `cdk deploy`.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  UsernameExistsException,
  type AttributeType,
} from '@aws-sdk/client-cognito-identity-provider';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDirectoryStore } from '../../functions/adapters/dynamo/directory';
import { documentClient } from '../../functions/adapters/dynamo/client';
import { DIRECTORY, tableEnvVar } from '../../functions/adapters/dynamo/tables';
import type { Member } from '../../functions/app/ports';
import { levelOf } from '../../functions/domain/regions';
import { DEFAULT_STACK_NAME, OUTPUTS, tableOutputId } from './constants';

export interface CreateAdminOptions {
  email: string;
  county: string;
  stack: string;
  name?: string;
  resend?: boolean;
}

export interface CreateAdminDeps {
  cloudFormation: Pick<CloudFormationClient, 'send'>;
  cognito: Pick<CognitoIdentityProviderClient, 'send'>;
  /** Members writer for the directory table of the stack. */
  directory: (tableName: string) => { putMember(m: Member): Promise<void> };
  log?: (line: string) => void;
}

export const USAGE = 'usage: npm run create-admin -- --email <address> --county <12-digit county code> [--stack RiskCensus] [--region <region>] [--name <display name>] [--resend]';

/** The stack output with the directory table's name (see stack.ts). */
export const DIRECTORY_OUTPUT = tableOutputId(DIRECTORY);

export function parseCreateAdminArgs(argv: string[]): CreateAdminOptions & { region?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      email: { type: 'string' },
      county: { type: 'string' },
      stack: { type: 'string', default: DEFAULT_STACK_NAME },
      region: { type: 'string' },
      name: { type: 'string' },
      resend: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const email = values.email?.trim().toLowerCase();
  if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new Error(`--email is required and must be an e-mail address\n${USAGE}`);
  const county = values.county?.trim();
  if (!county || levelOf(county) !== 'county') {
    throw new Error(`--county is required: the district's 12-digit county code (6 digits + 000000, e.g. 110101000000)\n${USAGE}`);
  }
  return {
    email,
    county,
    stack: values.stack ?? DEFAULT_STACK_NAME,
    ...(values.region ? { region: values.region } : {}),
    ...(values.name ? { name: values.name } : {}),
    resend: values.resend ?? false,
  };
}

async function stackOutputs(cfn: CreateAdminDeps['cloudFormation'], stack: string): Promise<Record<string, string>> {
  const r = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
  const s = r.Stacks?.[0];
  if (!s) throw new Error(`Stack ${stack} not found`);
  if (!/_COMPLETE$/.test(s.StackStatus ?? '') || /DELETE|ROLLBACK_COMPLETE$/.test(s.StackStatus ?? '')) {
    throw new Error(`Stack ${stack} is ${s.StackStatus}; deploy it first (npx cdk deploy)`);
  }
  return Object.fromEntries((s.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
}

const attr = (attrs: AttributeType[] | undefined, name: string) => attrs?.find((a) => a.Name === name)?.Value;

export async function createAdmin(opts: CreateAdminOptions, deps: CreateAdminDeps): Promise<Member> {
  const log = deps.log ?? ((l: string) => console.log(l));
  const outputs = await stackOutputs(deps.cloudFormation, opts.stack);
  const userPoolId = outputs[OUTPUTS.userPoolId];
  const table = outputs[DIRECTORY_OUTPUT];
  if (!userPoolId || !table) throw new Error(`Stack ${opts.stack} has no UserPoolId / ${DIRECTORY_OUTPUT} output: is it a Risk Census stack?`);

  let sub: string | undefined;
  try {
    const r = await deps.cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: opts.email,
        UserAttributes: [
          { Name: 'email', Value: opts.email },
          { Name: 'email_verified', Value: 'true' },
          ...(opts.name ? [{ Name: 'name', Value: opts.name }] : []),
        ],
        DesiredDeliveryMediums: ['EMAIL'],
      }),
    );
    sub = attr(r.User?.Attributes, 'sub');
    log(`Created Cognito user ${opts.email}; Cognito e-mailed a temporary password (valid 3 days).`);
  } catch (e) {
    if (!(e instanceof UsernameExistsException) && (e as Error).name !== 'UsernameExistsException') throw e;
    if (opts.resend) {
      const r = await deps.cognito.send(
        new AdminCreateUserCommand({ UserPoolId: userPoolId, Username: opts.email, MessageAction: 'RESEND', DesiredDeliveryMediums: ['EMAIL'] }),
      );
      sub = attr(r.User?.Attributes, 'sub');
      log(`Cognito user ${opts.email} exists; a new temporary password was e-mailed.`);
    } else {
      log(`Cognito user ${opts.email} exists; keeping its password (--resend e-mails a new temporary one if it never signed in).`);
    }
    if (!sub) {
      const u = await deps.cognito.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: opts.email }));
      sub = attr(u.UserAttributes, 'sub');
    }
  }
  if (!sub) throw new Error(`Cognito returned no sub for ${opts.email}`);

  const member: Member = { userId: sub, username: opts.email, displayName: opts.name ?? opts.email, role: 'admin', sector: null, regions: [opts.county] };
  await deps.directory(table).putMember(member);
  log(`Wrote the Members row: ${sub} → admin of ${opts.county} (table ${table}).`);
  const site = outputs[OUTPUTS.siteUrl];
  if (site) log(`Sign in at ${site} with ${opts.email} and the temporary password; you will choose a new one.`);
  return member;
}

async function main(): Promise<void> {
  const opts = parseCreateAdminArgs(process.argv.slice(2));
  if (opts.region) process.env.AWS_REGION = opts.region;
  const region = opts.region ? { region: opts.region } : {};
  await createAdmin(opts, {
    cloudFormation: new CloudFormationClient(region),
    cognito: new CognitoIdentityProviderClient(region),
    // The same adapter the API uses, pointed at the deployed table (the env var a function would get).
    directory: (tableName) => new DynamoDirectoryStore(documentClient({}), { [tableEnvVar(DIRECTORY)]: tableName }),
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
