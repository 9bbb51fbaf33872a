/**
 * Seeds a fresh DATA_DIR through the ports, so both adapter sets seed the same way: the demo district, the census
 * catalog (every table passes checkDefinition first), targets for every form × region at its level, and the demo
 * accounts. Runs only once per DATA_DIR (the `demo-seed` setting records it).
 */
import { randomUUID } from 'node:crypto';
import type { Ports } from '../../functions/app/ports';
import { CATALOG_FORMS } from '../../functions/domain/catalog/index';
import { checkDefinition } from '../../functions/domain/form-check';
import { hashPassword } from '../../functions/adapters/identity/local';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_REGIONS, demoTarget } from './demo-district';

export interface SeedResult {
  seeded: boolean;
  forms: number;
  regions: number;
  targets: number;
  accounts: number;
  /** Demo submissions created (when asked for). */
  records?: number;
}

export const SEED_SETTING = 'demo-seed';

export async function seed(ports: Ports): Promise<SeedResult> {
  const dir = ports.directory;
  // The setting marks a finished seed; an existing admin login marks a DATA_DIR seeded by an earlier release.
  if ((await dir.getSetting(SEED_SETTING)) || (await dir.localUser('admin'))) return { seeded: false, forms: 0, regions: 0, targets: 0, accounts: 0 };

  await dir.putRegions(DEMO_REGIONS);
  for (const form of CATALOG_FORMS) {
    const { issues } = checkDefinition(form);
    if (issues.length) throw new Error(`catalog table ${form.id} fails its check: ${JSON.stringify(issues)}`);
    if (!(await dir.formVersion(form.id, form.version))) await dir.publishForm(form);
  }
  const targets = CATALOG_FORMS.flatMap((f) =>
    DEMO_REGIONS.filter((r) => r.level === f.regionLevel).map((r) => ({ formId: f.id, regionCode: r.code, target: demoTarget(f.id, r.code, r.level, f.unit) })),
  );
  await ports.progress.seedTargets(targets);
  // Password hashing is the slow part (scrypt by design): hash once and share it across the demo accounts.
  const hash = await hashPassword(DEMO_PASSWORD);
  for (const a of DEMO_ACCOUNTS) {
    const sub = randomUUID();
    await dir.putMember({ userId: sub, username: a.username, displayName: a.displayName, role: a.role, sector: a.sector, regions: a.regions });
    await dir.putLocalUser({ username: a.username, sub, passwordHash: hash });
  }
  await dir.putSetting(SEED_SETTING, { version: 1 }, 'system', ports.now().toISOString());
  return { seeded: true, forms: CATALOG_FORMS.length, regions: DEMO_REGIONS.length, targets: targets.length, accounts: DEMO_ACCOUNTS.length };
}
