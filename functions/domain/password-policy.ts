/**
 * Password policy, after NIST SP 800-63B-4 §3.1.1.2 and OWASP ASVS 5.0 §6.2: length is what counts (15 to 128
 * characters, counted as Unicode code points after NFC normalisation), no composition rules by default, and a new
 * password is refused when it is on the shipped list of common passwords, contains words from its context (username,
 * name, district, the product's own name), repeats the current password, or is one repeated character or a simple
 * sequence. Offices bound by 等保 2.0 can switch on `complexity` (3 of 4 character classes).
 *
 * Pure and browser-safe: the web client runs the same checks as the server.
 */
import type { FieldError } from './errors';
import type { Localized } from './forms';
import { commonPasswordList } from './common-passwords';

export const PASSWORD_MIN = 15;
export const PASSWORD_MAX = 128;

export interface PasswordContext {
  username: string;
  displayName?: string;
  districtName?: string;
  currentPassword?: string;
}

export interface PasswordOptions {
  /** 等保 2.0 office setting: require at least 3 of lowercase, uppercase, digit, symbol. Off by default. */
  complexity?: boolean;
}

export type PasswordErrorCode = 'too-short' | 'too-long' | 'common' | 'context' | 'same-as-current' | 'repetitive' | 'complexity';

/** Words of the product itself, refused inside any password. */
const PRODUCT_WORDS = ['riskcensus', 'risk census', '普查', '风险普查'];

const MESSAGES = {
  'too-short': {
    zh: `密码至少 ${PASSWORD_MIN} 个字符（可使用一句好记的话）`,
    en: `At least ${PASSWORD_MIN} characters (a memorable phrase works well)`,
  },
  'too-long': { zh: `密码最多 ${PASSWORD_MAX} 个字符`, en: `At most ${PASSWORD_MAX} characters` },
  'common': {
    zh: '这是常见密码，很容易被猜中，请换一个',
    en: 'This is a commonly used password and easy to guess; choose another',
  },
  'same-as-current': { zh: '新密码不能与当前密码相同', en: 'The new password must differ from the current one' },
  'repetitive': {
    zh: '密码不能是同一个字符的重复或简单序列（如 aaaa…、1234…）',
    en: 'Must not be one repeated character or a simple sequence (like aaaa… or 1234…)',
  },
  'complexity': {
    zh: '本单位要求密码包含小写字母、大写字母、数字、符号中的至少 3 类',
    en: 'Your office requires at least 3 of: lowercase letters, uppercase letters, digits, symbols',
  },
} as const satisfies Record<Exclude<PasswordErrorCode, 'context'>, Localized>;

const CONTEXT_MESSAGES = {
  username: { zh: '密码不能包含用户名', en: 'Must not contain your username' },
  displayName: { zh: '密码不能包含您的姓名', en: 'Must not contain your name' },
  districtName: { zh: '密码不能包含区县名称', en: 'Must not contain the district name' },
  product: {
    zh: '密码不能包含本系统的名称（如“风险普查”）',
    en: 'Must not contain the name of this system (such as “Risk Census”)',
  },
} as const satisfies Record<string, Localized>;

let commonSet: Set<string> | undefined;

/** The common-password list as a Set, built on first use. */
function common(): Set<string> {
  commonSet ??= new Set(commonPasswordList());
  return commonSet;
}

function fieldError(code: PasswordErrorCode, message: Localized): FieldError {
  return { path: 'newPassword', code, message: { zh: message.zh, en: message.en } };
}

function fold(s: string): string {
  return s.normalize('NFC').toLowerCase();
}

/** The code point after `c` in a simple sequence; digits and Latin letters wrap (…890…, …xyza…). */
function successor(c: number): number {
  if (c === 0x39) return 0x30; // '9' → '0'
  if (c === 0x7a) return 0x61; // 'z' → 'a'
  return c + 1;
}

function isRepetitive(folded: string): boolean {
  const cps = Array.from(folded, (ch) => ch.codePointAt(0)!);
  if (cps.length < 2) return false;
  const all = (rel: (prev: number, cur: number) => boolean) => cps.every((c, i) => i === 0 || rel(cps[i - 1]!, c));
  return all((p, c) => c === p) || all((p, c) => c === successor(p)) || all((p, c) => p === successor(c));
}

/** Character classes for the 等保 complexity option. Letters without case (Chinese, …) count as lowercase. */
function classCount(password: string): number {
  let lower = false;
  let upper = false;
  let digit = false;
  let symbol = false;
  for (const ch of password) {
    if (/\p{Lu}|\p{Lt}/u.test(ch)) upper = true;
    else if (/\p{L}/u.test(ch)) lower = true;
    else if (/\p{Nd}/u.test(ch)) digit = true;
    else if (!/\p{M}/u.test(ch)) symbol = true;
  }
  return [lower, upper, digit, symbol].filter(Boolean).length;
}

/**
 * The reasons `password` cannot be set as a new password; empty when it can. Every rule is checked, so a password
 * may get several errors, all with `path: 'newPassword'`.
 */
export function checkNewPassword(password: string, context: PasswordContext, options: PasswordOptions = {}): FieldError[] {
  const errors: FieldError[] = [];
  const nfc = password.normalize('NFC');
  const length = Array.from(nfc).length;
  if (length < PASSWORD_MIN) errors.push(fieldError('too-short', MESSAGES['too-short']));
  if (length > PASSWORD_MAX) errors.push(fieldError('too-long', MESSAGES['too-long']));

  const folded = nfc.toLowerCase();
  const compact = folded.replace(/\s+/gu, '');
  const list = common();
  if (list.has(folded) || list.has(compact)) errors.push(fieldError('common', MESSAGES.common));

  const contains = (word: string | undefined, min: number) => {
    const w = fold(word ?? '').trim();
    return Array.from(w).length >= min && folded.includes(w);
  };
  if (contains(context.username, 3)) errors.push(fieldError('context', CONTEXT_MESSAGES.username));
  if (contains(context.displayName, 2)) errors.push(fieldError('context', CONTEXT_MESSAGES.displayName));
  if (contains(context.districtName, 2)) errors.push(fieldError('context', CONTEXT_MESSAGES.districtName));
  if (PRODUCT_WORDS.some((w) => folded.includes(w) || compact.includes(w))) {
    errors.push(fieldError('context', CONTEXT_MESSAGES.product));
  }

  if (context.currentPassword !== undefined && context.currentPassword.normalize('NFC') === nfc) {
    errors.push(fieldError('same-as-current', MESSAGES['same-as-current']));
  }
  if (isRepetitive(folded)) errors.push(fieldError('repetitive', MESSAGES.repetitive));
  if (options.complexity && classCount(nfc) < 3) errors.push(fieldError('complexity', MESSAGES.complexity));
  return errors;
}

/** Letters and digits that cannot be mistaken for one another: no 0/O, no 1/l/I. 57 characters. */
export const TEMPORARY_PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

const BLOCKS = 4;
const BLOCK_LENGTH = 5;
/** Largest multiple of the alphabet size that fits in a byte: bytes at or above it are drawn again (no modulo bias). */
const BYTE_LIMIT = 256 - (256 % TEMPORARY_PASSWORD_ALPHABET.length);

function randomBytes(): () => number {
  let buffer = new Uint8Array(0);
  let next = 0;
  return () => {
    if (next >= buffer.length) {
      buffer = new Uint8Array(64);
      globalThis.crypto.getRandomValues(buffer);
      next = 0;
    }
    return buffer[next++]!;
  };
}

/**
 * A one-time password for a new account or a reset: 20 characters from {@link TEMPORARY_PASSWORD_ALPHABET} in 4 blocks
 * of 5 joined by '-' (about 117 bits). It always has a lowercase letter, an uppercase letter and a digit ('-' is the
 * symbol), so it meets Cognito's policy and the complexity option; candidates that lack one are drawn again whole,
 * which keeps the choice uniform over the passwords that qualify. With `context`, it is also drawn again until it
 * passes {@link checkNewPassword} for that account (a random block could otherwise contain a short username).
 */
export function generateTemporaryPassword(context: PasswordContext = { username: '' }): string {
  const byte = randomBytes();
  const n = TEMPORARY_PASSWORD_ALPHABET.length;
  for (;;) {
    const blocks: string[] = [];
    for (let b = 0; b < BLOCKS; b++) {
      let block = '';
      for (let i = 0; i < BLOCK_LENGTH; i++) {
        let v: number;
        do v = byte();
        while (v >= BYTE_LIMIT);
        block += TEMPORARY_PASSWORD_ALPHABET[v % n];
      }
      blocks.push(block);
    }
    const password = blocks.join('-');
    if (!/[a-z]/.test(password) || !/[A-Z]/.test(password) || !/[0-9]/.test(password)) continue;
    if (checkNewPassword(password, context, { complexity: true }).length === 0) return password;
  }
}
