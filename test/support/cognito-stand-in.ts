/**
 * A stand-in of the Cognito Identity Provider JSON API (awsJson1_1) for tests: a node:http server on 127.0.0.1 that
 * dispatches on `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`, keeps users in memory the way a pool with
 * e-mail usernames does, records every call, and answers errors as Cognito does, so the real SDK client parses them
 * into its exception classes. Also a fake clock for the adapter's pacing and backoff.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The only user pool the stand-in holds. */
export const POOL = 'cn-north-1_TestPool1';

export interface StandInUser {
  Username: string;
  sub: string;
  attributes: Map<string, string>;
  Enabled: boolean;
  UserStatus: 'FORCE_CHANGE_PASSWORD' | 'CONFIRMED' | 'RESET_REQUIRED';
  password: string;
  signedOut: number;
}

export interface Call {
  op: string;
  body: Record<string, any>;
}

export class CognitoError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The stand-in of the Cognito user pool API. */
export class CognitoStandIn {
  readonly users: StandInUser[] = [];
  readonly calls: Call[] = [];
  /** Answer this error to the next `count` calls of `op` (Infinity: always). */
  fault: { op: string; type: string; status?: number; count: number } | undefined;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.users.length = 0;
    this.calls.length = 0;
    this.fault = undefined;
  }

  ops(): string[] {
    return this.calls.map((c) => c.op);
  }

  find(username: string): StandInUser | undefined {
    const u = username.toLowerCase();
    return this.users.find((x) => x.Username === username || x.attributes.get('email')?.toLowerCase() === u);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.startsWith('AWSCognitoIdentityProviderService.') ? target.slice('AWSCognitoIdentityProviderService.'.length) : '';
    let body: Record<string, any> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      return this.error(res, new CognitoError('SerializationException', 'Bad JSON'));
    }
    this.calls.push({ op, body });
    try {
      if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/x-amz-json-1.1')) {
        throw new CognitoError('UnknownOperationException', 'Expected a POST of application/x-amz-json-1.1');
      }
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) throw new CognitoError('MissingAuthenticationTokenException', 'Unsigned request');
      const f = this.fault;
      if (f && f.op === op && f.count > 0) {
        f.count--;
        throw new CognitoError(f.type, 'Rate exceeded', f.status ?? 400);
      }
      if (body.UserPoolId !== POOL) throw new CognitoError('ResourceNotFoundException', `User pool ${body.UserPoolId} does not exist.`);
      const out = this.dispatch(op, body);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(out));
    } catch (e) {
      this.error(res, e instanceof CognitoError ? e : new CognitoError('InternalErrorException', String(e), 500));
    }
  }

  private error(res: ServerResponse, e: CognitoError): void {
    res.writeHead(e.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': e.type, 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify({ __type: e.type, message: e.message }));
  }

  private user(username: unknown): StandInUser {
    const u = typeof username === 'string' ? this.find(username) : undefined;
    if (!u) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    return u;
  }

  private view(u: StandInUser) {
    return {
      Username: u.Username,
      Attributes: [...u.attributes].map(([Name, Value]) => ({ Name, Value })),
      Enabled: u.Enabled,
      UserStatus: u.UserStatus,
      UserCreateDate: 1_700_000_000,
    };
  }

  private dispatch(op: string, b: Record<string, any>): unknown {
    switch (op) {
      case 'AdminCreateUser': {
        if (b.MessageAction === 'RESEND') {
          const u = this.user(b.Username);
          if (u.UserStatus !== 'FORCE_CHANGE_PASSWORD') throw new CognitoError('UnsupportedUserStateException', 'User is not in FORCE_CHANGE_PASSWORD state');
          u.password = b.TemporaryPassword ?? `generated-${randomUUID()}`;
          return { User: this.view(u) };
        }
        if (this.find(b.Username)) throw new CognitoError('UsernameExistsException', 'An account with the given email already exists.');
        const sub = randomUUID();
        const attributes = new Map<string, string>([['sub', sub]]);
        for (const a of b.UserAttributes ?? []) attributes.set(a.Name, a.Value);
        // A pool with UsernameAttributes [email]: the username must be an e-mail, and it becomes the e-mail attribute.
        if (!/^[^@\s]+@[^@\s]+$/.test(b.Username)) throw new CognitoError('InvalidParameterException', 'Username should be an email.');
        attributes.set('email', b.Username);
        const u: StandInUser = {
          Username: sub,
          sub,
          attributes,
          Enabled: true,
          UserStatus: 'FORCE_CHANGE_PASSWORD',
          password: b.TemporaryPassword ?? `generated-${randomUUID()}`,
          signedOut: 0,
        };
        this.users.push(u);
        return { User: this.view(u) };
      }
      case 'AdminGetUser': {
        const u = this.user(b.Username);
        const { Attributes, ...rest } = this.view(u);
        return { ...rest, UserAttributes: Attributes };
      }
      case 'AdminSetUserPassword': {
        const u = this.user(b.Username);
        u.password = b.Password;
        u.UserStatus = b.Permanent ? 'CONFIRMED' : 'FORCE_CHANGE_PASSWORD';
        return {};
      }
      case 'AdminResetUserPassword': {
        this.user(b.Username).UserStatus = 'RESET_REQUIRED';
        return {};
      }
      case 'AdminDisableUser':
        this.user(b.Username).Enabled = false;
        return {};
      case 'AdminEnableUser':
        this.user(b.Username).Enabled = true;
        return {};
      case 'AdminUserGlobalSignOut':
        this.user(b.Username).signedOut++;
        return {};
      case 'ListUsers': {
        const limit = b.Limit ?? 60;
        if (limit > 60) throw new CognitoError('InvalidParameterException', 'Limit must be at most 60');
        const start = b.PaginationToken ? Number(b.PaginationToken) : 0;
        const page = this.users.slice(start, start + limit);
        const next = start + limit < this.users.length ? String(start + limit) : undefined;
        return { Users: page.map((u) => this.view(u)), ...(next ? { PaginationToken: next } : {}) };
      }
      default:
        throw new CognitoError('UnknownOperationException', `Unknown operation ${op}`);
    }
  }
}

/** A fake clock that the fake sleep advances; every requested sleep is recorded. */
export function fakeTime() {
  let t = 1_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}
