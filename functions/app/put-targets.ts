/**
 * put-targets — PUT /api/targets { targets: [{ formId, regionCode, target }] } (admin).
 * All or nothing: every entry is checked first (form exists, region of this district at the form's level, whole number
 * 0–1,000,000; 422 with `targets[i].field` paths), then the listed cells only are upserted, each with a history entry.
 */
import { can } from '#domain/access';
import { DomainError, type FieldError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import type { Ports, TargetChange } from './ports';
import { validationError } from './submission-support';

export const MAX_TARGETS = 2000;

export async function putTargets(ports: Ports, principal: Principal, body: unknown): Promise<{ updated: number }> {
  if (!can(principal, 'targets.write')) throw new DomainError('access.forbidden', 'Only administrators set targets');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('request.malformed', 'The body must be { targets: [...] }');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== 'targets');
  if (unknown.length) throw new DomainError('request.unknown-key', `Unknown key ${unknown[0]}`);
  if (!Array.isArray(b.targets)) throw new DomainError('request.malformed', 'targets must be a list');
  if (b.targets.length > MAX_TARGETS) throw new DomainError('request.malformed', `At most ${MAX_TARGETS} targets per request`);

  const forms = await ports.directory.listForms();
  const regions = await ports.directory.regions();
  const errors: FieldError[] = [];
  const changes = new Map<string, TargetChange>();
  // Cells with a survey list take their target from it: a typed target there would change nothing, so it is refused.
  const county = regions.find((r) => r.level === 'county')?.code;
  const listed = new Map<string, number>();
  if (county) for (const c of await ports.progress.cellsForCounty(county)) if ((c.objects ?? 0) > 0) listed.set(`${c.formId}#${c.regionCode}`, c.listed ?? 0);
  b.targets.forEach((t, i) => {
    const p = `targets[${i}]`;
    const e = (field: string, zh: string, en: string) => errors.push({ path: `${p}${field ? '.' + field : ''}`, code: 'invalid', message: { zh, en } });
    if (typeof t !== 'object' || t === null || Array.isArray(t)) return e('', '应为对象', 'Must be an object');
    const x = t as Record<string, unknown>;
    const extra = Object.keys(x).filter((k) => !['formId', 'regionCode', 'target'].includes(k));
    if (extra.length) return e(extra[0]!, '不允许的字段', 'Key not allowed here');
    const form = forms.find((f) => f.id === x.formId);
    if (!form) return e('formId', '没有此表', 'No such form');
    const region = regions.find((r) => r.code === x.regionCode);
    if (!region) return e('regionCode', '本区没有此区划', 'No such region in this district');
    if (region.level !== form.regionLevel) return e('regionCode', `此表按${form.regionLevel}级填报`, `This form is filed per ${form.regionLevel}`);
    if (typeof x.target !== 'number' || !Number.isInteger(x.target) || x.target < 0 || x.target > 1_000_000) {
      return e('target', '任务数应为 0 到 1000000 的整数', 'target is a whole number from 0 to 1,000,000');
    }
    const fromList = listed.get(`${form.id}#${region.code}`);
    if (fromList !== undefined) {
      return e('target', `本区划已有调查对象名录(${fromList}个),任务数按名录计,不能手工设置`, `This region has a survey list (${fromList} objects): its target is the list, not a typed number`);
    }
    changes.set(`${form.id}#${region.code}`, { formId: form.id, regionCode: region.code, target: x.target });
  });
  if (errors.length) throw validationError(errors);
  await ports.progress.setTargets([...changes.values()], principal.userId, ports.now().toISOString());
  return { updated: changes.size };
}
