/**
 * S3 POST-policy semantics as a pure function: does this form (its fields and the size of its file) satisfy this
 * policy at this moment? Two users: the embedded file store's upload endpoint (which must refuse exactly what S3
 * refuses, so a browser that works locally works against S3), and the conformance test that judges the policy the S3
 * adapter signs the way S3 would (the S3 emulator used locally ignores POST policies).
 *
 * What is modelled (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html):
 *  - `expiration`: the policy is refused from that instant on;
 *  - `["content-length-range", min, max]`: the file's size, inclusive bounds;
 *  - `["eq", "$field", value]` and `{ "field": "value" }`: exact match of a form field's value;
 *  - `["starts-with", "$field", prefix]`: prefix match (`""` allows any value, also a missing field);
 *  - field names compare case-insensitively, values case-sensitively;
 *  - every field the form sends must be named by some condition, except the signature machinery, `bucket` (S3 checks
 *    it against the bucket posted to) and `x-ignore-*` — S3 refuses a form with an extra field.
 * Not modelled: `${filename}` substitution in the key, the comma-separated form of `starts-with` on Content-Type,
 * and the signature itself (the caller verifies it before asking this).
 */

/** One condition in S3's format. */
export type PolicyCondition =
  | ['content-length-range', number, number]
  | ['eq', string, string]
  | ['starts-with', string, string]
  | Record<string, string>;

export interface PostPolicy {
  /** ISO 8601 instant from which the policy is refused. */
  expiration: string;
  conditions: PolicyCondition[];
}

export type PolicyRefusal = 'expired' | 'size' | 'content-type' | 'key' | 'field' | 'malformed';

export type PolicyVerdict = { ok: true } | { ok: false; reason: PolicyRefusal; detail: string };

export interface PolicyForm {
  /** The form's text fields as sent (names in any case). */
  fields: Record<string, string>;
  /** The byte length of the file part. */
  fileSize: number;
}

/** Fields S3 does not require a condition for (lower case); `x-ignore-*` too. */
const EXEMPT = new Set([
  'policy',
  'signature',
  'file',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-algorithm',
  'x-amz-date',
  'x-amz-security-token',
  'bucket',
]);

const exempt = (lowerName: string) => EXEMPT.has(lowerName) || lowerName.startsWith('x-ignore-');

/** Which refusal a failed match on this (lower-case) field is. */
function reasonFor(lowerName: string): PolicyRefusal {
  if (lowerName === 'key') return 'key';
  if (lowerName === 'content-type') return 'content-type';
  return 'field';
}

const refuse = (reason: PolicyRefusal, detail: string): PolicyVerdict => ({ ok: false, reason, detail });

/** A non-negative integer bound as S3 takes it: a JSON number or a string of digits. */
function bound(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  return undefined;
}

/**
 * Judge a form against a policy at `now`. Order: shape of the policy and form (malformed), expiry, each condition in
 * turn, then fields no condition names. The first failure is the answer.
 */
export function evaluatePolicy(policy: PostPolicy, form: PolicyForm, now: Date): PolicyVerdict {
  if (!policy || typeof policy !== 'object' || typeof policy.expiration !== 'string' || !Array.isArray(policy.conditions)) {
    return refuse('malformed', 'the policy needs an expiration and a list of conditions');
  }
  const expires = Date.parse(policy.expiration);
  if (Number.isNaN(expires)) return refuse('malformed', `the policy's expiration ${JSON.stringify(policy.expiration)} is not a date`);
  if (!Number.isSafeInteger(form.fileSize) || form.fileSize < 0) return refuse('malformed', 'the file size is not a byte count');

  // Field names are case-insensitive; two spellings of one name would make the match ambiguous.
  const fields = new Map<string, string>();
  for (const [name, value] of Object.entries(form.fields)) {
    const lower = name.toLowerCase();
    if (fields.has(lower)) return refuse('malformed', `the form sends the field ${name} twice`);
    if (typeof value !== 'string') return refuse('malformed', `the field ${name} is not text`);
    fields.set(lower, value);
  }
  if (!fields.has('key')) return refuse('malformed', 'the form has no key field (S3 requires one)');

  if (now.getTime() >= expires) return refuse('expired', `the policy expired at ${policy.expiration}`);

  const covered = new Set<string>();
  for (const c of policy.conditions as unknown[]) {
    if (Array.isArray(c)) {
      const op = typeof c[0] === 'string' ? c[0].toLowerCase() : undefined;
      if (c.length !== 3) return refuse('malformed', `the condition ${JSON.stringify(c)} does not have three elements`);
      if (op === 'content-length-range') {
        const min = bound(c[1]);
        const max = bound(c[2]);
        if (min === undefined || max === undefined || min > max) return refuse('malformed', `the condition ${JSON.stringify(c)} is not a byte range`);
        if (form.fileSize < min || form.fileSize > max) {
          return refuse('size', `the file has ${form.fileSize} bytes; the policy allows ${min} to ${max}`);
        }
        continue;
      }
      if (op !== 'eq' && op !== 'starts-with') return refuse('malformed', `the condition ${JSON.stringify(c)} has an unknown operator`);
      const [, ref, expected] = c;
      if (typeof ref !== 'string' || !ref.startsWith('$') || ref.length < 2 || typeof expected !== 'string') {
        return refuse('malformed', `the condition ${JSON.stringify(c)} must name a $field and a text value`);
      }
      const name = ref.slice(1).toLowerCase();
      covered.add(name);
      const actual = fields.get(name);
      if (op === 'eq') {
        if (actual !== expected) return refuse(reasonFor(name), `${ref.slice(1)} must be ${JSON.stringify(expected)}, the form sends ${actual === undefined ? 'none' : JSON.stringify(actual)}`);
      } else if (expected !== '' && (actual === undefined || !actual.startsWith(expected))) {
        return refuse(reasonFor(name), `${ref.slice(1)} must start with ${JSON.stringify(expected)}, the form sends ${actual === undefined ? 'none' : JSON.stringify(actual)}`);
      }
      continue;
    }
    if (c && typeof c === 'object') {
      const entries = Object.entries(c);
      if (entries.length === 0) return refuse('malformed', 'an object condition names no field');
      for (const [field, expected] of entries) {
        if (typeof expected !== 'string') return refuse('malformed', `the condition on ${field} must have a text value`);
        const name = field.toLowerCase();
        covered.add(name);
        const actual = fields.get(name);
        if (actual !== expected) return refuse(reasonFor(name), `${field} must be ${JSON.stringify(expected)}, the form sends ${actual === undefined ? 'none' : JSON.stringify(actual)}`);
      }
      continue;
    }
    return refuse('malformed', `the condition ${JSON.stringify(c)} is neither a list nor an object`);
  }

  for (const name of fields.keys()) {
    if (!exempt(name) && !covered.has(name)) return refuse('field', `the form sends ${name}, which no condition of the policy allows`);
  }
  return { ok: true };
}

/**
 * The policy of an AWS SDK `createPresignedPost` result: its `Policy` field (any case), base64 of the policy JSON.
 * Throws when there is none or it does not decode to a policy.
 */
export function decodeS3Policy(fields: Record<string, string>): PostPolicy {
  const encoded = Object.entries(fields).find(([k]) => k.toLowerCase() === 'policy')?.[1];
  if (encoded === undefined) throw new Error('the fields carry no Policy');
  return parsePolicy(Buffer.from(encoded, 'base64').toString('utf8'));
}

/** Parse a policy's JSON text; throws unless it has a string expiration and a list of conditions. */
export function parsePolicy(json: string): PostPolicy {
  const p = JSON.parse(json) as unknown;
  if (!p || typeof p !== 'object' || typeof (p as PostPolicy).expiration !== 'string' || !Array.isArray((p as PostPolicy).conditions)) {
    throw new Error('not a POST policy: it needs an expiration and a list of conditions');
  }
  return p as PostPolicy;
}
