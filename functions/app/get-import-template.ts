/**
 * get-import-template — GET /api/forms/{formId}/template?format=xlsx|csv[&lang=zh|en]
 *   → { fileName, contentType, content (base64) }
 *  1. parameters: format (default xlsx), lang (default zh); the form exists (404);
 *  2. the caller may file that form's sector somewhere (403);
 *  3. build the template from the current definition (spreadsheets.ts): label row and code row, drop-down lists of
 *     choices, 是/否 and the regions at the form's level the caller may file in, and a notes sheet.
 * The file is small (tens of KB), so it comes back inside the JSON answer rather than through storage.
 */
import { can } from '#domain/access';
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import type { Ports } from './ports';
import { buildTemplate, CONTENT_TYPES, IMPORT_FORMATS, type ImportFormat } from './spreadsheets';

export async function getImportTemplate(ports: Ports, principal: Principal, formId: string, q: Record<string, string | undefined>) {
  const unknown = Object.keys(q).filter((k) => k !== 'format' && k !== 'lang');
  if (unknown.length) throw new DomainError('request.bad-parameter', `Unknown parameter ${unknown[0]}`);
  const format = (q.format ?? 'xlsx') as ImportFormat;
  if (!(IMPORT_FORMATS as readonly string[]).includes(format)) {
    throw new DomainError('request.bad-parameter', 'format is xlsx or csv', [{ path: 'format', code: 'invalid', message: { zh: '格式应为 xlsx 或 csv', en: 'format is xlsx or csv' } }]);
  }
  const lang = q.lang === 'en' ? 'en' : 'zh';
  if (q.lang !== undefined && q.lang !== 'zh' && q.lang !== 'en') throw new DomainError('request.bad-parameter', 'lang is zh or en');
  const def = await ports.directory.currentForm(formId);
  if (!def) throw new DomainError('resource.not-found', `No form ${formId}`);
  if (!can(principal, 'submission.write', { sector: def.sector })) throw new DomainError('access.forbidden', `You cannot file ${def.id}`);
  const regions = (await ports.directory.regions())
    .filter((r) => r.level === def.regionLevel && can(principal, 'submission.write', { sector: def.sector, regionCode: r.code }))
    .sort((a, b) => a.code.localeCompare(b.code));
  const bytes = await buildTemplate(def, regions, format, lang);
  const title = def.title[lang].replace(/[\\/:*?"<>|]/g, '_');
  return {
    fileName: `${title}_${lang === 'zh' ? '导入模板' : 'import-template'}_v${def.version}.${format}`,
    contentType: format === 'csv' ? CONTENT_TYPES.csv : CONTENT_TYPES.xlsx,
    content: Buffer.from(bytes).toString('base64'),
  };
}
