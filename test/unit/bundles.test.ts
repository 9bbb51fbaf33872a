/**
 * The two adapter sets stay apart in what ships: every Lambda bundle (each handler module of the route table, and the
 * job function), built the way infra/aws/function.ts builds it, contains the AWS set and nothing of the embedded set
 * (SQLite, local files, the in-process queue, infra/local). The other direction — the local server's default path
 * never loads the AWS SDK — is proved at run time: the `npm start` tests run it under test/support/no-aws-sdk.mjs.
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/http/routes';

const ROOT = resolve(import.meta.dirname, '../..');
const EMBEDDED = [/functions\/adapters\/sqlite\//, /functions\/adapters\/files\//, /functions\/adapters\/jobs\/in-process/, /node_modules\/better-sqlite3\//, /^infra\//];

async function inputsOf(module: string): Promise<string[]> {
  const r = await build({
    entryPoints: [resolve(ROOT, 'functions/http/handlers', `${module}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(r.metafile.inputs);
}

describe('Lambda bundles', () => {
  const modules = [...new Set(ROUTES.map((r) => r.module)), 'jobs'];

  it.each(modules)('%s holds the AWS adapter set and nothing of the embedded one', async (module) => {
    const inputs = await inputsOf(module);
    expect(inputs.some((i) => i.includes('functions/adapters/dynamo/'))).toBe(true);
    expect(inputs.filter((i) => EMBEDDED.some((re) => re.test(i)))).toEqual([]);
  }, 60_000);
});
