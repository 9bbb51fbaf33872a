/**
 * Seeds a fresh DATA_DIR: the demo district, the census catalog (every table passes checkDefinition first), targets for
 * every form × region at its level, and the demo accounts. Runs only once per DATA_DIR (a marker item records it).
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CATALOG_FORMS } from '../../functions/domain/catalog/index';
import { checkDefinition } from '../../functions/domain/form-check';
import { DynamoDirectoryStore } from '../../functions/adapters/dynamo/directory';
import { putTargetCells } from '../../functions/adapters/dynamo/progress';
import { DIRECTORY, tableName } from '../../functions/adapters/dynamo/tables';
import { hashPassword } from '../../functions/adapters/identity/local';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_REGIONS, demoTarget } from './demo-district';

export interface SeedResult {
  seeded: boolean;
  forms: number;
  regions: number;
  targets: number;
  accounts: number;
}

export async function seed(db: DynamoDBDocumentClient, env: Record<string, string | undefined>): Promise<SeedResult> {
  const table = tableName(DIRECTORY, env);
  const marker = await db.send(new GetCommand({ TableName: table, Key: { pk: 'SEED', sk: 'DEMO' } }));
  if (marker.Item) return { seeded: false, forms: 0, regions: 0, targets: 0, accounts: 0 };

  const dir = new DynamoDirectoryStore(db, env);
  await dir.putRegions(DEMO_REGIONS);
  for (const form of CATALOG_FORMS) {
    const { issues } = checkDefinition(form);
    if (issues.length) throw new Error(`catalog table ${form.id} fails its check: ${JSON.stringify(issues)}`);
    if (!(await dir.formVersion(form.id, form.version))) await dir.publishForm(form);
  }
  const targets = CATALOG_FORMS.flatMap((f) =>
    DEMO_REGIONS.filter((r) => r.level === f.regionLevel).map((r) => ({ formId: f.id, regionCode: r.code, target: demoTarget(f.id, r.code, r.level, f.unit) })),
  );
  await putTargetCells(db, targets, env);
  // Password hashing is the slow part (scrypt by design): hash once and share it across the demo accounts.
  const hash = await hashPassword(DEMO_PASSWORD);
  for (const a of DEMO_ACCOUNTS) {
    const sub = randomUUID();
    await dir.putMember({ userId: sub, username: a.username, displayName: a.displayName, role: a.role, sector: a.sector, regions: a.regions });
    await dir.putLocalUser({ username: a.username, sub, passwordHash: hash });
  }
  await db.send(new PutCommand({ TableName: table, Item: { pk: 'SEED', sk: 'DEMO', at: new Date().toISOString() } }));
  return { seeded: true, forms: CATALOG_FORMS.length, regions: DEMO_REGIONS.length, targets: targets.length, accounts: DEMO_ACCOUNTS.length };
}
