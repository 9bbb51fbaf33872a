/** Reference data every signed-in user may read: who am I, the district's regions, the published forms. */
import { DomainError } from '#domain/errors';
import type { FormDefinition } from '#domain/forms';
import { isSectorId } from '#domain/sectors';
import type { FormSummary, Member, Ports } from './ports';

export function describeMe(m: Member) {
  return { userId: m.userId, username: m.username, displayName: m.displayName, role: m.role, sector: m.sector, regions: m.regions };
}

export async function listRegions(ports: Ports) {
  const regions = await ports.directory.regions();
  return [...regions].sort((a, b) => a.code.localeCompare(b.code));
}

export async function listForms(ports: Ports, q: Record<string, string | undefined>): Promise<FormSummary[]> {
  if (q.sector !== undefined && !isSectorId(q.sector)) {
    throw new DomainError('request.bad-parameter', 'Unknown sector', [{ path: 'sector', code: 'invalid', message: { zh: '没有此系统', en: 'No such sector' } }]);
  }
  const forms = await ports.directory.listForms();
  return q.sector ? forms.filter((f) => f.sector === q.sector) : forms;
}

export async function getForm(ports: Ports, formId: string, version?: string): Promise<FormDefinition> {
  let def: FormDefinition | undefined;
  if (version === undefined) def = await ports.directory.currentForm(formId);
  else if (/^\d{1,6}$/.test(version)) def = await ports.directory.formVersion(formId, Number(version));
  if (!def) throw new DomainError('resource.not-found', version ? `No version ${version} of ${formId}` : `No form ${formId}`);
  return def;
}
