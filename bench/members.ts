/**
 * `node --import tsx bench/members.ts [--members=500]`: how long a bulk member import takes on the embedded store, the
 * way an administrator runs it — POST /api/members/import with a CSV of N members, the preview job until `validated`,
 * the commit job until `committed` (each member: a generated temporary password, its scrypt hash, the member row, the
 * username claim, the login record and the audit entry in one transaction), then the credential slips. Over HTTP to a
 * real local stack on a fresh DATA_DIR on this machine's disk.
 *
 * Against Cognito the commit is paced by the adapter (functions/adapters/identity/cognito.ts) at 10 AdminCreateUser
 * calls per second — a fifth of the UserCreation quota of 50/s per account and region, which other pools share — so the
 * figure printed for it is N / 10 seconds plus the preview (Cognito hashes the passwords, so the local scrypt work of
 * the embedded commit is not spent there), before any throttling back-off.
 * Not wired into bench/run.ts; prints its figures (`--json`: also as one JSON line).
 */
process.env.LOG_LEVEL = 'silent';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PASSWORD } from '../infra/local/demo-district';
import { startLocalStack } from '../infra/local/stack';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const MEMBERS = Number(arg('members') ?? 500);
const COGNITO_RATE = 10;

const dataDir = mkdtempSync(join(tmpdir(), 'risk-census-bench-members-'));
const stack = await startLocalStack({ dataDir, webRoot: join(dataDir, 'no-web') });
try {
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const r = await fetch(stack.url + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    if (r.status >= 400) throw new Error(`${method} ${path} → ${r.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const { token } = await call('POST', '/api/auth/login', undefined, { username: 'admin', password: DEMO_PASSWORD });
  const sectors = ['emergency', 'agriculture', 'forestry', 'housing'];
  const villages = ['420999001001', '420999001002', '420999002001', '420999003001', '420999004001'];
  const lines = ['username,displayName,role,sector,regions,email,phone'];
  for (let i = 0; i < MEMBERS; i++) lines.push(`bench-${i},成员${i},staff,${sectors[i % 4]},${villages[i % 5]},bench-${i}@example.cn,`);
  const content = Buffer.from(lines.join('\n')).toString('base64');

  const wait = async (id: string, state: string) => {
    for (;;) {
      const job = await call('GET', `/api/members/import/${id}`, token);
      if (job.state === state) return job;
      if (job.state === 'failed') throw new Error(job.error);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const t0 = performance.now();
  const { id } = await call('POST', '/api/members/import', token, { content, fileName: 'members.csv' });
  const preview = await wait(id, 'validated');
  const t1 = performance.now();
  await call('POST', `/api/members/import/${id}/commit`, token);
  const done = await wait(id, 'committed');
  const t2 = performance.now();
  const { slips } = await call('GET', `/api/members/import/${id}/slips`, token);
  if (preview.valid !== MEMBERS || done.outcomes.created !== MEMBERS || slips.length !== MEMBERS) {
    throw new Error(`expected ${MEMBERS} members, got preview ${preview.valid}, created ${done.outcomes.created}, slips ${slips.length}`);
  }
  const figures = {
    members: MEMBERS,
    preview_s: (t1 - t0) / 1000,
    commit_s: (t2 - t1) / 1000,
    total_s: (t2 - t0) / 1000,
    members_per_s: MEMBERS / ((t2 - t1) / 1000),
    // Cognito holds the passwords (no local scrypt): the commit is then bound by the pacing.
    cognito_paced_s: MEMBERS / COGNITO_RATE + (t1 - t0) / 1000,
  };
  console.log(`member import of ${MEMBERS} (embedded store, local identity):`);
  console.log(`  preview ${figures.preview_s.toFixed(2)} s, commit ${figures.commit_s.toFixed(2)} s (${figures.members_per_s.toFixed(0)} members/s), total ${figures.total_s.toFixed(2)} s`);
  console.log(`  against Cognito at ${COGNITO_RATE} creates/s: about ${figures.cognito_paced_s.toFixed(0)} s (quota: 50/s per account and region, shared)`);
  if (process.argv.includes('--json')) console.log(JSON.stringify(figures));
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
