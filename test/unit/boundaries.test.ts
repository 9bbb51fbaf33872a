import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const domain = join(root, 'functions/domain');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module specifier imported or re-exported by a TypeScript source (static and dynamic). */
export function importsOf(src: string): string[] {
  const out: string[] = [];
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]|require\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of src.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3] ?? m[4])!);
  return out;
}

/** Packages the domain may use: pure, browser-safe libraries only. */
const ALLOWED_PACKAGES = new Set(['zod']);

export function domainViolations(file: string, src: string): string[] {
  const bad: string[] = [];
  for (const spec of importsOf(src)) {
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec);
      if (relative(domain, target).startsWith('..')) bad.push(`${spec} (outside functions/domain)`);
    } else if (!ALLOWED_PACKAGES.has(spec)) {
      bad.push(`${spec} (package or built-in)`);
    }
  }
  if (/\bprocess\.|\bBuffer\b|\beval\s*\(|new\s+Function\s*\(/.test(src)) bad.push('uses process/Buffer/eval/new Function');
  return bad;
}

describe('layer boundaries', () => {
  it('functions/domain imports nothing from Node, AWS, adapters or web', () => {
    const list = files(domain);
    expect(list.length).toBeGreaterThan(5);
    const found = list.flatMap((f) => domainViolations(f, readFileSync(f, 'utf8')).map((v) => `${relative(root, f)}: ${v}`));
    expect(found).toEqual([]);
  });

  it('the checker catches each kind of forbidden import', () => {
    const f = join(domain, 'x.ts');
    expect(domainViolations(f, `import { readFile } from 'node:fs';`)).toHaveLength(1);
    expect(domainViolations(f, `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';`)).toHaveLength(1);
    expect(domainViolations(f, `import { x } from '../adapters/dynamo/tables';`)).toHaveLength(1);
    expect(domainViolations(f, `const m = await import('#adapters/s3');`)).toHaveLength(1);
    expect(domainViolations(f, `export * from 'fs';`)).toHaveLength(1);
    expect(domainViolations(f, `import './catalog/index';\nimport { z } from 'zod';`)).toHaveLength(0);
  });
});
