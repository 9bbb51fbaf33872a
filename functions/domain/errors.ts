/**
 * The one catalogue of errors. Every failure the API can report has a stable code here; the HTTP layer maps
 * `status` to the response (problem+json, RFC 9457) in one place. Domain and use cases throw `DomainError`.
 */
import type { Localized } from './forms';

export interface FieldError {
  /** `data.effective_area`, `data.materials[0].qty`, or a top-level body key such as `formId`. */
  path: string;
  code: string;
  message: Localized;
  /** Errors located in an uploaded workbook: sheet name, 1-based row, column header. */
  sheet?: string;
  row?: number;
  column?: string;
}

export const ERRORS = {
  'auth.required': { status: 401, title: 'Authentication required' },
  'auth.invalid-token': { status: 401, title: 'Invalid or expired token' },
  'auth.bad-credentials': { status: 401, title: 'Wrong username or password' },
  'request.malformed': { status: 400, title: 'Malformed request' },
  'request.unknown-key': { status: 400, title: 'Unknown or forbidden key in request' },
  'request.bad-parameter': { status: 400, title: 'Invalid query or path parameter' },
  'request.too-large': { status: 413, title: 'Request body too large' },
  'request.unsupported-media-type': { status: 415, title: 'Content type must be application/json' },
  'access.forbidden': { status: 403, title: 'Not allowed' },
  'resource.not-found': { status: 404, title: 'Not found' },
  'route.not-found': { status: 404, title: 'No such endpoint' },
  'route.method-not-allowed': { status: 405, title: 'Method not allowed' },
  'submission.conflict': { status: 409, title: 'Conflicts with the stored submission' },
  'submission.immutable-key': { status: 409, title: 'formId and regionCode cannot change' },
  'workflow.invalid-transition': { status: 409, title: 'Not allowed in the current status' },
  'version.stale': { status: 412, title: 'The submission has changed since you read it' },
  'version.required': { status: 428, title: 'If-Match is required' },
  'validation.failed': { status: 422, title: 'The answers do not pass validation' },
  'attachment.missing': { status: 422, title: 'A referenced attachment was not uploaded' },
  'rate.limited': { status: 429, title: 'Too many requests' },
  'auth.revoked': { status: 401, title: 'This session has ended (signed out, password changed or account disabled)' },
  'password.change-required': { status: 403, title: 'Choose a new password first' },
  'member.username-taken': { status: 409, title: 'The username is taken' },
  'member.last-admin': { status: 409, title: 'The last active administrator cannot be disabled or demoted' },
  'member.invalid': { status: 422, title: 'The member details need attention' },
  'password.rejected': { status: 422, title: 'The new password does not meet the policy' },
  'resource.gone': { status: 410, title: 'No longer available' },
  'xlsform.invalid': { status: 422, title: 'The XLSForm cannot be imported' },
  'form.invalid': { status: 422, title: 'The form definition needs attention' },
  'form.immutable': { status: 409, title: 'A new version cannot change the sector, unit or region level of a form' },
  'form.changed': { status: 412, title: 'Another version of this form was published since the preview' },
  'form.retired': { status: 409, title: 'This form is retired and takes no new records' },
  'object.taken': { status: 409, title: 'This survey object already has a record, or is closed' },
  'object.exists': { status: 409, title: 'This object table already lists an object with this code' },
  'object.surveyed': { status: 409, title: 'A record surveys this object: void that record first' },
  'object.invalid': { status: 422, title: 'The survey object needs attention' },
  'object-import.invalid': { status: 422, title: 'The object list has errors: fix the file and preview it again' },
  'boundaries.invalid': { status: 422, title: 'The boundary file needs attention' },
  /** The database or file store throttled us or could not be reached: nothing was written; retry after `Retry-After`. */
  'service.unavailable': { status: 503, title: 'Temporarily unavailable' },
  'internal': { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class DomainError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? ERRORS[code].title);
    this.name = 'DomainError';
    this.status = ERRORS[code].status;
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

/** Localized messages of field-level validation codes, with `{param}` placeholders. */
export const FIELD_MESSAGES: Record<string, Localized> = {
  required: { zh: '此项为必填项', en: 'This field is required' },
  type: { zh: '数据类型不正确', en: 'Wrong type of value' },
  'unknown-key': { zh: '表单中没有此项', en: 'No such field in this form' },
  'forbidden-key': { zh: '不允许的字段名', en: 'Forbidden key' },
  min: { zh: '不能小于 {min}', en: 'Must be at least {min}' },
  'min-exclusive': { zh: '必须大于 {min}', en: 'Must be greater than {min}' },
  max: { zh: '不能大于 {max}', en: 'Must be at most {max}' },
  precision: { zh: '最多保留 {precision} 位小数', en: 'At most {precision} decimal places' },
  'too-long': { zh: '不能超过 {max} 个字符', en: 'At most {max} characters' },
  'too-short': { zh: '至少 {min} 个字符', en: 'At least {min} characters' },
  choice: { zh: '不是可选的选项', en: 'Not one of the choices' },
  'choice-filtered': { zh: '根据已填写的内容，此选项不可选', en: 'This choice does not apply given the other answers' },
  'duplicate-choice': { zh: '选项重复', en: 'The same choice is selected twice' },
  'min-selected': { zh: '至少选择 {min} 项', en: 'Select at least {min}' },
  'max-selected': { zh: '最多选择 {max} 项', en: 'Select at most {max}' },
  date: { zh: '日期格式应为 YYYY-MM-DD', en: 'Dates are written YYYY-MM-DD' },
  'out-of-bounds': { zh: '坐标超出允许范围', en: 'Coordinates outside the allowed area' },
  geoshape: { zh: '多边形不正确：需闭合且至少 3 个不同顶点', en: 'Polygon must be closed with at least 3 distinct vertices' },
  geotrace: { zh: '线位置不正确：至少需要 2 个不同的顶点', en: 'A line needs at least 2 distinct vertices' },
  'too-many-vertices': { zh: '顶点过多（最多 {max} 个）', en: 'Too many vertices (at most {max})' },
  attachment: { zh: '附件编号不正确', en: 'Not a valid attachment id' },
  'too-many-files': { zh: '最多 {max} 个文件', en: 'At most {max} files' },
  region: { zh: '不是有效的区划代码', en: 'Not a valid region code' },
  'region-level': { zh: '应选择{level}级区划', en: 'Choose a region at {level} level' },
  'min-rows': { zh: '至少填写 {min} 行', en: 'At least {min} rows' },
  'max-rows': { zh: '最多填写 {max} 行', en: 'At most {max} rows' },
  format: { zh: '格式不正确', en: 'Invalid format' },
  'format-uscc': { zh: '统一社会信用代码不正确', en: 'Invalid unified social credit code' },
  'format-id-card': { zh: '身份证号码不正确', en: 'Invalid ID card number' },
  'format-phone': { zh: '电话号码不正确', en: 'Invalid phone number' },
  constraint: { zh: '不满足约束条件', en: 'Does not meet the constraint' },
  rule: { zh: '不满足校验规则', en: 'Fails a quality rule' },
  calculated: { zh: '计算项不可填写', en: 'Calculated fields cannot be set' },
};

export function fieldMessage(code: string, params: Record<string, string | number> = {}): Localized {
  const m = FIELD_MESSAGES[code] ?? FIELD_MESSAGES.type!;
  const fill = (s: string) => s.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? ''));
  return { zh: fill(m.zh), en: fill(m.en) };
}
