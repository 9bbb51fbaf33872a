import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { dictionary } from '@zxcvbn-ts/language-common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { commonPasswordList } from '#domain/common-passwords';
import {
  PASSWORD_MAX,
  PASSWORD_MIN,
  TEMPORARY_PASSWORD_ALPHABET,
  checkNewPassword,
  generateTemporaryPassword,
  type PasswordContext,
  type PasswordOptions,
} from '#domain/password-policy';

const root = resolve(import.meta.dirname, '../..');
const ctx: PasswordContext = { username: 'zhangwei' };
const codes = (password: string, context: PasswordContext = ctx, options?: PasswordOptions) =>
  checkNewPassword(password, context, options).map((e) => e.code);
const sourceList = dictionary['passwords-common'];

// ---- The shipped common-password list: generated from @zxcvbn-ts/language-common, checked against it here. ----

const LIST_FILE = resolve(root, 'functions/domain/common-passwords.ts');
const TOP = 10_000;
const PER_LINE = 100;

/** The 10,000 most common entries (the package's list is in frequency order) plus every entry of ≥ 15 characters. */
function selectCommon(source: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  source.forEach((entry, rank) => {
    const word = entry.normalize('NFC').toLowerCase();
    if (/\s/u.test(word)) throw new Error(`unexpected whitespace in list entry ${JSON.stringify(entry)}`);
    if ((rank < TOP || Array.from(word).length >= PASSWORD_MIN) && !seen.has(word)) {
      seen.add(word);
      out.push(word);
    }
  });
  return out;
}

function renderListFile(list: readonly string[]): string {
  const pkg = JSON.parse(readFileSync(resolve(root, 'node_modules/@zxcvbn-ts/language-common/package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const lines: string[] = [];
  for (let i = 0; i < list.length; i += PER_LINE) lines.push(`  ${JSON.stringify(list.slice(i, i + PER_LINE).join('\n'))},`);
  return [
    '/**',
    ' * GENERATED FILE, do not edit. The common passwords that the password policy (./password-policy.ts) refuses:',
    ` * the ${TOP.toLocaleString('en')} most common entries of the \`passwords-common\` list of ${pkg.name} ${pkg.version}`,
    ` * (MIT licence, by the zxcvbn-ts authors), most common first, plus every entry of ${PASSWORD_MIN} or more characters`,
    ` * from the rest of it; lowercased, NFC. ${list.length} entries, one per line inside the strings below.`,
    ' * test/unit/password-policy.test.ts checks this file against the installed package; to regenerate it:',
    ' *   UPDATE_COMMON_PASSWORDS=1 npx vitest run test/unit/password-policy.test.ts',
    ' */',
    'const CHUNKS: readonly string[] = [',
    ...lines,
    '];',
    '',
    '/** The list, most common first. */',
    'export function commonPasswordList(): string[] {',
    "  return CHUNKS.join('\\n').split('\\n');",
    '}',
    '',
  ].join('\n');
}

describe('the shipped common-password list', () => {
  const expected = selectCommon(sourceList);

  it('is generated from the pinned package', () => {
    const text = renderListFile(expected);
    if (process.env.UPDATE_COMMON_PASSWORDS) writeFileSync(LIST_FILE, text);
    expect(readFileSync(LIST_FILE, 'utf8')).toBe(text);
    expect(commonPasswordList()).toEqual(expected);
  });

  it('holds the top entries and the long ones', () => {
    const list = commonPasswordList();
    expect(list.length).toBeGreaterThan(TOP);
    expect(new Set(list).size).toBe(list.length);
    expect(list.slice(0, 3)).toEqual(['123456', 'password', '12345678']);
    const long = list.filter((w) => Array.from(w).length >= PASSWORD_MIN);
    expect(long.length).toBeGreaterThan(20);
    expect(long).toContain('passwordpassword');
  });
});

// ---- checkNewPassword ----

describe('checkNewPassword: length', () => {
  it('accepts a 15-character memorable passphrase and refuses 14', () => {
    expect('bright tea cups').toHaveLength(15);
    expect(codes('bright tea cups')).toEqual([]);
    expect(codes('bright tea cup')).toEqual(['too-short']);
    expect(PASSWORD_MIN).toBe(15);
  });

  it('counts code points after NFC normalisation', () => {
    const decomposed15 = 'cafe\u0301 au lait ok'; // 16 code points, 15 after NFC
    expect(Array.from(decomposed15)).toHaveLength(16);
    expect(codes(decomposed15)).toEqual([]);
    expect(codes('cafe\u0301 au lait o')).toEqual(['too-short']); // 15 code points, 14 after NFC
    const astral = 'my 🐱 and 🐶 play'; // 15 code points, 17 UTF-16 units
    expect(astral.length).toBe(17);
    expect(codes(astral)).toEqual([]);
    expect(codes('my 🐱 and 🐶 pla')).toEqual(['too-short']);
    expect(codes('雨后的西山上挂着一道彩虹真好看')).toEqual([]); // 15 Chinese characters
    expect(codes('雨后的西山上挂着一道彩虹真好')).toEqual(['too-short']);
  });

  it('accepts 128 characters (so 64 always fits) and refuses 129', () => {
    const long = 'correct horse battery staple '.repeat(5);
    expect(PASSWORD_MAX).toBe(128);
    expect(codes(long.slice(0, 64))).toEqual([]);
    expect(codes(long.slice(0, 128))).toEqual([]);
    expect(codes(long.slice(0, 129))).toEqual(['too-long']);
  });

  it('has no composition rules by default', () => {
    expect(codes('correct horse battery staple')).toEqual([]);
    expect(codes('the quick brown fox jumps')).toEqual([]);
  });

  it('gives every error the newPassword path and concrete messages in both languages', () => {
    const [err] = checkNewPassword('short', ctx);
    expect(err).toEqual({
      path: 'newPassword',
      code: 'too-short',
      message: { zh: '密码至少 15 个字符（可使用一句好记的话）', en: 'At least 15 characters (a memorable phrase works well)' },
    });
    const all = checkNewPassword('zhangwei', { ...ctx, currentPassword: 'zhangwei' }, { complexity: true });
    expect(all.map((e) => e.code)).toEqual(['too-short', 'context', 'same-as-current', 'complexity']);
    for (const e of all) {
      expect(e.path).toBe('newPassword');
      expect(e.message.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(e.message.en).toMatch(/^[A-Z]/);
    }
  });
});

describe('checkNewPassword: common passwords', () => {
  it('refuses a listed entry of 15 or more characters, regardless of case', () => {
    expect(sourceList).toContain('passwordpassword');
    expect(sourceList).toContain('1qaz2wsx3edc4rfv');
    expect(codes('passwordpassword')).toEqual(['common']);
    expect(codes('PassWordPassWORD')).toEqual(['common']);
    expect(codes('1QAZ2wsx3EDC4rfv')).toEqual(['common']);
  });

  it('also refuses a listed entry once whitespace is removed', () => {
    expect(sourceList).toContain('password123');
    expect(codes('password password')).toEqual(['common']);
    expect(codes('p a s s w o r d 1 2 3')).toEqual(['common']);
    expect(codes('P\tassword 123  password')).toEqual([]); // not a listed entry, with or without whitespace
  });

  it('accepts a passphrase that is not on the list', () => {
    expect(codes('purple elephants dance at noon')).toEqual([]);
  });
});

describe('checkNewPassword: context words', () => {
  it('refuses the username contained, case-insensitively, when it has 3 or more characters', () => {
    expect(codes('ZhangWei likes green tea')).toEqual(['context']);
    expect(codes('my friend zhangwei is here')).toEqual(['context']);
    expect(codes('a quiet wuthering evening', { username: 'wu' })).toEqual([]);
    expect(codes('a quiet wuthering evening', { username: 'wut' })).toEqual(['context']);
  });

  it('refuses the display name contained (2 or more characters)', () => {
    const c = { username: 'zhangwei', displayName: '李明' };
    expect(codes('李明的花园里有很多漂亮的玫瑰花', c)).toEqual(['context']);
    expect(codes('王芳的花园里有很多漂亮的玫瑰花', c)).toEqual([]);
    expect(codes('olivia walks her dog daily', { username: 'x', displayName: 'Olivia' })).toEqual(['context']);
  });

  it('refuses the district name contained, when given', () => {
    const phrase = '我住在西湖区旁边的一条安静小巷';
    expect(codes(phrase, { username: 'zhangwei', districtName: '西湖区' })).toEqual(['context']);
    expect(codes(phrase, { username: 'zhangwei', districtName: '上城区' })).toEqual([]);
    expect(codes(phrase, { username: 'zhangwei' })).toEqual([]);
  });

  it("refuses the product's own words", () => {
    expect(codes('I work on Risk Census every day')).toEqual(['context']);
    expect(codes('riskcensus is my favourite app')).toEqual(['context']);
    expect(codes('my risk   census password today')).toEqual(['context']);
    expect(codes('风险普查工作真的很有意义啊朋友们')).toEqual(['context']);
    expect(codes('今年的人口普查工作已经顺利完成了')).toEqual(['context']);
    expect(codes('risky business census takers')).toEqual([]);
  });
});

describe('checkNewPassword: same as current', () => {
  it('refuses the current password and accepts a different one', () => {
    const current = 'purple elephants dance at noon';
    expect(codes(current, { ...ctx, currentPassword: current })).toEqual(['same-as-current']);
    expect(codes('purple elephants dance at dawn', { ...ctx, currentPassword: current })).toEqual([]);
  });

  it('compares after NFC normalisation', () => {
    expect(codes('café au lait please', { ...ctx, currentPassword: 'cafe\u0301 au lait please' })).toEqual(['same-as-current']);
  });
});

describe('checkNewPassword: repetition and sequences', () => {
  it.each(['aaaaaaaaaaaaaaa', 'AAAAAaaaaaAAAAA', '123456789012345', 'abcdefghijklmnop', '543210987654321', 'zyxwvutsrqponmlk', 'uvwxyzabcdefghij'])(
    'refuses %s',
    (pw) => {
      expect(codes(pw)).toContain('repetitive');
    },
  );

  it('accepts strings that break the pattern', () => {
    for (const pw of ['abcdefghijklmnoq', 'aaaaaaaaaaaaaab', '123456789012346', 'abcdefgfedcbabcd']) expect(codes(pw)).not.toContain('repetitive');
  });
});

describe('checkNewPassword: complexity option (等保 2.0)', () => {
  const on = { complexity: true };

  it('refuses a passphrase of fewer than 3 classes and accepts a mixed one', () => {
    expect(codes('correct horse battery staple', ctx, on)).toEqual(['complexity']);
    expect(codes('correct horse battery staple', ctx)).toEqual([]);
    expect(codes('Correct horse battery staple 7', ctx, on)).toEqual([]);
    expect(codes('correcthorsebatterystaple7', ctx, on)).toEqual(['complexity']);
    expect(codes('Correct-Horse-Battery-Staple', ctx, on)).toEqual([]);
  });

  it('counts Chinese characters as lowercase-class letters', () => {
    expect(codes('我家门前有两棵枣树和一片小菜园7', ctx, on)).toEqual(['complexity']);
    expect(codes('我家门前有两棵枣树和一片小菜园7！', ctx, on)).toEqual([]);
    expect(codes('我家门前有两棵枣树和一片小菜园7A', ctx, on)).toEqual([]);
  });
});

// ---- generateTemporaryPassword ----

describe('generateTemporaryPassword', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('uses an alphabet without ambiguous characters', () => {
    expect(TEMPORARY_PASSWORD_ALPHABET).not.toMatch(/[0O1lI]/);
    expect(new Set(TEMPORARY_PASSWORD_ALPHABET).size).toBe(TEMPORARY_PASSWORD_ALPHABET.length);
    expect(TEMPORARY_PASSWORD_ALPHABET).toHaveLength(57);
  });

  it('gives 200 distinct passwords of the right form that pass the checks with complexity on', () => {
    const samples = Array.from({ length: 200 }, () => generateTemporaryPassword());
    expect(new Set(samples).size).toBe(200);
    for (const pw of samples) {
      expect(pw).toMatch(/^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}$/);
      expect(pw).toHaveLength(23);
      expect(pw).not.toMatch(/[0O1lI]/);
      expect(pw).toMatch(/[a-z]/);
      expect(pw).toMatch(/[A-Z]/);
      expect(pw).toMatch(/[2-9]/);
      for (const username of ['admin', 'zhangwei', 'x', 'user-01']) {
        expect(checkNewPassword(pw, { username, displayName: '张伟', districtName: '西湖区' }, { complexity: true })).toEqual([]);
      }
    }
  });

  /** Scripted randomness: each password character is preceded by one byte ≥ 228, which must be drawn again. */
  function script(...passwords: string[]): number[] {
    const n = TEMPORARY_PASSWORD_ALPHABET.length;
    const bytes: number[] = [];
    let k = 0;
    for (const pw of passwords) {
      for (const ch of pw.replaceAll('-', '')) {
        const i = TEMPORARY_PASSWORD_ALPHABET.indexOf(ch);
        if (i < 0) throw new Error(`not in alphabet: ${ch}`);
        bytes.push(228 + (k % 28), i + n * (k % 4));
        k++;
      }
    }
    return bytes;
  }

  function stubRandom(bytes: number[]) {
    let calls = 0;
    return vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      if (++calls > 100) throw new Error('ran out of scripted randomness');
      const view = new Uint8Array(array!.buffer, array!.byteOffset, array!.byteLength);
      for (let i = 0; i < view.length; i++) view[i] = bytes.shift() ?? 255;
      return array;
    });
  }

  it('draws from crypto.getRandomValues and rejects bytes ≥ 228 instead of taking them modulo 57', () => {
    const spy = stubRandom(script('ABCDE-fghij-23456-Zz9yY'));
    expect(generateTemporaryPassword()).toBe('ABCDE-fghij-23456-Zz9yY');
    expect(spy).toHaveBeenCalled();
  });

  it('draws again when a candidate lacks a digit, an uppercase or a lowercase letter', () => {
    stubRandom(script('abcde-fghij-kmnop-qrstu', 'ABCDE-FGHJK-23456-MNPQR', 'abcde-ABCDE-fghij-FGHJK', 'Abcde-fghij-k2mno-pqrst'));
    expect(generateTemporaryPassword()).toBe('Abcde-fghij-k2mno-pqrst');
  });

  it('draws again when the candidate fails the checks for the given account', () => {
    stubRandom(script('xKAT2-fghij-k2mno-pqrsA', 'Abcde-fghij-k2mno-pqrst'));
    expect(generateTemporaryPassword({ username: 'kat' })).toBe('Abcde-fghij-k2mno-pqrst');
    stubRandom(script('xKAT2-fghij-k2mno-pqrsA'));
    expect(generateTemporaryPassword()).toBe('xKAT2-fghij-k2mno-pqrsA');
  });
});
