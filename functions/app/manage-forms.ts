/**
 * manage-forms — forms at run time (API.md "Forms at run time (XLSForm)"): an administrator previews an XLSForm,
 * publishes it as a new form or as the next version of one, lists and compares versions, downloads any version as an
 * XLSForm, and retires a form.
 *
 *  - preview (POST /api/forms/xlsform): the workbook is read and imported; nothing is stored. Errors name sheet, row and
 *    column (422 `xlsform.invalid`); warnings (e.g. a label given in one language only) come with the definition.
 *  - publish (POST /api/forms): the definition is checked again (shape and semantics: the client may have edited it),
 *    gets the next version number, and is written once. Records keep the version they were created under. A new
 *    version may not change the sector, the unit or the region level: progress cells and review scopes hang on them.
 *    `expectVersion` makes a publish conditional on the version the preview was compared with (412 `form.changed`).
 *  - retire: no new records (save-submission refuses a create), everything collected stays.
 */
import { DomainError, type FieldError } from '#domain/errors';
import { diffForms, type FormChanges } from '#domain/form-diff';
import { checkDefinition } from '#domain/form-check';
import { FormId, type FormDefinition } from '#domain/forms';
import { REGION_LEVELS, type RegionLevel } from '#domain/regions';
import { isSectorId, type SectorId } from '#domain/sectors';
import { exportXlsform, importXlsform, type XlsformIssue } from '#domain/xlsform/index';
import type { Principal } from '#domain/principal';
import { readWorkbook, writeWorkbook } from './xlsform-io';
import { WriteConflict, type FormSummary, type FormVersionInfo, type Ports } from './ports';

/** Largest XLSForm accepted (the workbook, not its base64). */
export const MAX_XLSFORM_BYTES = 2 * 1024 * 1024;
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export interface XlsformPreview {
  definition: FormDefinition;
  warnings: XlsformIssue[];
  /** The form's current version when the id is already published: publishing makes `current.version + 1`. */
  current?: { version: number; retired?: true };
  /** Field changes against the current version. */
  changes?: FormChanges;
}

function located(issues: XlsformIssue[]): FieldError[] {
  return issues.map((i) => ({
    path: [i.sheet, i.row, i.column].filter((p) => p !== undefined).join('!'),
    code: 'xlsform',
    message: i.message,
    sheet: i.sheet,
    ...(i.row !== undefined ? { row: i.row } : {}),
    ...(i.column !== undefined ? { column: i.column } : {}),
  }));
}

function badParameter(path: string, zh: string, en: string): DomainError {
  return new DomainError('request.bad-parameter', en, [{ path, code: 'invalid', message: { zh, en } }]);
}

function importDefaults(q: Record<string, string | undefined>): { sector?: SectorId; part?: string; regionLevel?: RegionLevel; formId?: string } {
  if (q.sector !== undefined && !isSectorId(q.sector)) throw badParameter('sector', '没有此系统', 'No such sector');
  if (q.regionLevel !== undefined && !(REGION_LEVELS as readonly string[]).includes(q.regionLevel)) {
    throw badParameter('regionLevel', `区划级别应为 ${REGION_LEVELS.join('、')} 之一`, `regionLevel is one of ${REGION_LEVELS.join(', ')}`);
  }
  if (q.formId !== undefined && !FormId.safeParse(q.formId).success) {
    throw badParameter('formId', '表标识形如 sector.table-name', 'Form ids look like sector.table-name');
  }
  if (q.part !== undefined && !/^[a-z][a-z-]{0,40}$/.test(q.part)) throw badParameter('part', '没有此专项', 'No such part');
  return {
    ...(q.sector ? { sector: q.sector as SectorId } : {}),
    ...(q.part ? { part: q.part } : {}),
    ...(q.regionLevel ? { regionLevel: q.regionLevel as RegionLevel } : {}),
    ...(q.formId ? { formId: q.formId } : {}),
  };
}

/** POST /api/forms/xlsform — the workbook as a definition plus warnings, compared with the published form of that id. */
export async function previewXlsform(ports: Ports, _principal: Principal, body: unknown, q: Record<string, string | undefined>): Promise<XlsformPreview> {
  const defaults = importDefaults(q);
  if (!(body instanceof Uint8Array) || body.length === 0) {
    throw new DomainError('xlsform.invalid', 'Send the .xlsx workbook as the body', [
      { path: '(body)', code: 'xlsform', message: { zh: '请上传 .xlsx 格式的 XLSForm 文件', en: 'Upload the XLSForm as an .xlsx file' } },
    ]);
  }
  const sheets = await readWorkbook(body);
  if ('errors' in sheets) throw new DomainError('xlsform.invalid', 'The workbook cannot be read', located(sheets.errors));
  const r = importXlsform(sheets.sheets, defaults);
  if (r.errors.length || !r.definition) throw new DomainError('xlsform.invalid', `${r.errors.length} problem(s) in the XLSForm`, located(r.errors));
  const current = await ports.directory.currentForm(r.definition.id);
  if (!current) return { definition: r.definition, warnings: r.warnings };
  const summary = (await ports.directory.listForms()).find((f) => f.id === current.id);
  return {
    definition: { ...r.definition, version: current.version + 1 },
    warnings: r.warnings,
    current: { version: current.version, ...(summary?.retired ? { retired: true as const } : {}) },
    changes: diffForms(current, r.definition),
  };
}

function definitionErrors(issues: { path: string; message: string }[]): FieldError[] {
  return issues.map((i) => ({
    path: i.path ? `definition.${i.path}` : 'definition',
    code: 'invalid',
    message: { zh: `表定义有误：${i.message}`, en: i.message },
  }));
}

/** POST /api/forms — publish `definition` as version 1 of a new form or the next version of an existing one. */
export async function publishForm(ports: Ports, principal: Principal, body: unknown): Promise<{ id: string; version: number }> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('request.malformed', 'The body is { definition, expectVersion? }');
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => k !== 'definition' && k !== 'expectVersion');
  if (extra.length) {
    throw new DomainError('request.unknown-key', `Only definition and expectVersion; not ${extra.join(', ')}`, extra.map((k) => ({ path: k, code: 'unknown-key', message: { zh: '不允许的字段', en: 'Key not allowed here' } })));
  }
  if (b.expectVersion !== undefined && !(Number.isInteger(b.expectVersion) && (b.expectVersion as number) >= 0)) {
    throw new DomainError('request.malformed', 'expectVersion is the current version the preview was made against (0 for a new form)', [
      { path: 'expectVersion', code: 'type', message: { zh: '应为整数', en: 'Must be an integer' } },
    ]);
  }
  if (typeof b.definition !== 'object' || b.definition === null || Array.isArray(b.definition)) {
    throw new DomainError('form.invalid', 'definition is missing', [{ path: 'definition', code: 'required', message: { zh: '缺少表定义', en: 'The definition is missing' } }]);
  }

  for (let attempt = 0; attempt < 3; attempt++) {
    const raw = b.definition as Record<string, unknown>;
    const id = typeof raw.id === 'string' ? raw.id : '';
    const current = id ? await ports.directory.currentForm(id) : undefined;
    const next = (current?.version ?? 0) + 1;
    if (b.expectVersion !== undefined && b.expectVersion !== (current?.version ?? 0)) {
      throw new DomainError('form.changed', `The current version of ${id} is ${current?.version ?? 'none'}, not ${String(b.expectVersion)}; preview again`);
    }
    const checked = checkDefinition({ ...raw, version: next } as never);
    if (!checked.definition) throw new DomainError('form.invalid', `${checked.issues.length} problem(s) in the definition`, definitionErrors(checked.issues));
    const def = checked.definition;
    if (current) {
      const changed = (['sector', 'unit', 'regionLevel'] as const).filter((k) => current[k] !== def[k]);
      if (changed.length) {
        throw new DomainError(
          'form.immutable',
          `A new version of ${def.id} cannot change ${changed.join(', ')}; publish it as a new form instead`,
          changed.map((k) => ({ path: `definition.${k}`, code: 'immutable', message: { zh: '新版本不能更改此项；请发布为新表', en: 'A new version cannot change this; publish a new form instead' } })),
        );
      }
    }
    try {
      await ports.directory.publishForm(def, { by: principal.userId, at: ports.now().toISOString() });
      return { id: def.id, version: def.version };
    } catch (e) {
      // Someone published the same version a moment ago: take the next number, unless the caller pinned the version.
      if (!(e instanceof WriteConflict) || b.expectVersion !== undefined) {
        if (e instanceof WriteConflict) throw new DomainError('form.changed', `Version ${next} of ${def.id} was just published by someone else; preview again`);
        throw e;
      }
    }
  }
  throw new DomainError('service.unavailable', 'Others are publishing this form at the same time; try again');
}

function parseVersion(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) throw badParameter(name, '版本号应为正整数', 'Versions are positive integers');
  return Number(raw);
}

async function versionOf(ports: Ports, formId: string, version: number | undefined): Promise<FormDefinition> {
  const def = version === undefined ? await ports.directory.currentForm(formId) : await ports.directory.formVersion(formId, version);
  if (!def) throw new DomainError('resource.not-found', version === undefined ? `No form ${formId}` : `No version ${version} of ${formId}`);
  return def;
}

/** GET /api/forms/{formId}/xlsform[?version=n] — that version as an XLSForm workbook. */
export async function formXlsform(ports: Ports, formId: string, q: Record<string, string | undefined>): Promise<{ bytes: Uint8Array; filename: string }> {
  const def = await versionOf(ports, formId, parseVersion(q.version, 'version'));
  return { bytes: await writeWorkbook(exportXlsform(def)), filename: `${def.id}-v${def.version}.xlsx` };
}

/** GET /api/forms/{formId}/versions — newest first. */
export async function listFormVersions(ports: Ports, formId: string): Promise<FormVersionInfo[]> {
  const versions = await ports.directory.formVersions(formId);
  if (!versions.length) throw new DomainError('resource.not-found', `No form ${formId}`);
  return versions;
}

/** GET /api/forms/{formId}/diff?from=a&to=b — field changes from version a to version b (default: previous → current). */
export async function diffFormVersions(ports: Ports, formId: string, q: Record<string, string | undefined>): Promise<{ from: number; to: number } & FormChanges> {
  const to = await versionOf(ports, formId, parseVersion(q.to, 'to'));
  const fromVersion = parseVersion(q.from, 'from') ?? Math.max(1, to.version - 1);
  const from = await versionOf(ports, formId, fromVersion);
  return { from: from.version, to: to.version, ...diffForms(from, to) };
}

/** POST /api/forms/{formId}/retire — `{ retired: boolean }`. */
export async function retireForm(ports: Ports, principal: Principal, formId: string, body: unknown): Promise<FormSummary> {
  const retired = (body as { retired?: unknown } | undefined)?.retired;
  if (typeof body !== 'object' || body === null || typeof retired !== 'boolean' || Object.keys(body).some((k) => k !== 'retired')) {
    throw new DomainError('request.malformed', 'The body is { "retired": true|false }', [
      { path: 'retired', code: 'type', message: { zh: '应为 true 或 false', en: 'Must be true or false' } },
    ]);
  }
  const summary = await ports.directory.setFormRetired(formId, retired ? { by: principal.userId, at: ports.now().toISOString() } : undefined);
  if (!summary) throw new DomainError('resource.not-found', `No form ${formId}`);
  return summary;
}
