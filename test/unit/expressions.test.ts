import { describe, expect, it } from 'vitest';
import {
  columnReferences,
  evaluate,
  evaluateCondition,
  ExpressionError,
  hasNestedQuantifier,
  parse,
  references,
  typeCheck,
  type EvalEnv,
  type Expr,
  type ValueType,
} from '../../functions/domain/expressions';

const TODAY = '2024-06-15';
const envOf = (data: Record<string, unknown> = {}, self?: unknown): EvalEnv => ({
  get: (name) => (Object.hasOwn(data, name) ? data[name] : undefined),
  self,
  today: TODAY,
});
const run = (src: string, data: Record<string, unknown> = {}, self?: unknown) => evaluate(parse(src), envOf(data, self));
const cond = (src: string, data: Record<string, unknown> = {}, self?: unknown) => evaluateCondition(parse(src), envOf(data, self));

const TYPES: Record<string, ValueType> = { n: 'number', m: 'number', s: 'string', t: 'string', d: 'date', e: 'date', l: 'list', b: 'boolean', a: 'any' };
const resolve = (name: string): ValueType | undefined => (Object.hasOwn(TYPES, name) ? TYPES[name] : undefined);
const tc = (src: string, self?: ValueType) => typeCheck(parse(src), resolve, self);
const codes = (src: string, self?: ValueType) => tc(src, self).issues.map((i) => i.code);

function parseError(src: string): ExpressionError {
  try {
    parse(src);
  } catch (e) {
    if (e instanceof ExpressionError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(src.slice(0, 40))} not to parse`);
}

describe('parse: precedence and shape', () => {
  it('binds * tighter than +, and + tighter than =', () => {
    expect(run('1 + 2 * 3 = 7')).toBe(true);
    expect(run('1 + 2 * 3')).toBe(7);
    expect(run('(1 + 2) * 3')).toBe(9);
    const e = parse('1 + 2 * 3 = 7');
    expect(e.kind === 'binary' && e.op).toBe('=');
    expect(e.kind === 'binary' && e.left.kind === 'binary' && e.left.op).toBe('+');
  });

  it('treats not() as a function, so `not(true()) or true()` is (not true) or true', () => {
    expect(run('not(true()) or true()')).toBe(true);
    expect(run('not(true() or true())')).toBe(false);
    const e = parse('not(true()) or true()');
    expect(e.kind === 'binary' && e.op).toBe('or');
  });

  it('applies unary minus before *', () => {
    expect(run('-2 * 3')).toBe(-6);
    const e = parse('-2 * 3');
    expect(e.kind === 'binary' && e.op === '*' && e.left.kind).toBe('unary');
    expect(run('- - 2')).toBe(2);
    expect(run('3 - -2')).toBe(5);
  });

  it('binds and tighter than or: `a or b and c` is a or (b and c)', () => {
    const e = parse('${a} or ${b} and ${c}');
    expect(e.kind === 'binary' && e.op).toBe('or');
    expect(e.kind === 'binary' && e.right.kind === 'binary' && e.right.op).toBe('and');
    expect(run('${a} or ${b} and ${c}', { a: true, b: false, c: false })).toBe(true);
    expect(run('(${a} or ${b}) and ${c}', { a: true, b: false, c: false })).toBe(false);
  });

  it('is left-associative for - div mod and accepts / as division', () => {
    expect(run('10 - 3 - 2')).toBe(5);
    expect(run('24 div 4 div 3')).toBe(2);
    expect(run('24 / 4 / 3')).toBe(2);
    expect(run('17 mod 5 mod 3')).toBe(2);
    expect(run('int(${x} * 10) mod 3', { x: 1.75 })).toBe(17 % 3);
    expect(run('7 mod-2')).toBe(1);
  });

  it('ranks comparisons between and/or and arithmetic', () => {
    expect(run('1 + 1 = 2 and 2 * 2 = 4')).toBe(true);
    expect(run('${floors_above} >= 1 and ${year_built} <= 2020', { floors_above: 3, year_built: 1999 })).toBe(true);
    expect(run('${floors_above} >= 1 and ${year_built} <= 2020', { floors_above: 0, year_built: 1999 })).toBe(false);
  });

  it('reads literals: integers, decimals, both quote styles, doubled quotes', () => {
    expect(run('12')).toBe(12);
    expect(run('3.5')).toBe(3.5);
    expect(run('.5 + 1')).toBe(1.5);
    expect(run("'不详'")).toBe('不详');
    expect(run('"double"')).toBe('double');
    expect(run("'it''s'")).toBe("it's");
    expect(run('"say ""hi"""')).toBe('say "hi"');
    expect(run('"it\'s"')).toBe("it's");
  });

  it('ignores whitespace, including newlines and full-width spaces', () => {
    expect(run('1+2*3=7')).toBe(true);
    expect(run('  1 +\n 2\t*3 =\r\n7  ')).toBe(true);
    expect(run('1\u3000+\u30002')).toBe(3);
  });

  it('parses function names containing "-" and records positions', () => {
    const e = parse('count-selected(${hazards}) >= 1');
    expect(e.kind === 'binary' && e.left.kind === 'call' && e.left.name).toBe('count-selected');
    expect(e.pos).toBe(27);
    const f = parse('${a} + ${bb}');
    expect(f.kind === 'binary' && [f.pos, f.left.pos, f.right.pos]).toEqual([5, 0, 7]);
    expect(parse('.').kind).toBe('self');
  });
});

describe('references', () => {
  it('lists field names once, in order of first appearance, without `.`', () => {
    expect(references(parse('${b} + ${a} * ${b} + . + count-selected(${c}) + if(${a} > 0, -${d}, 0)'))).toEqual(['b', 'a', 'c', 'd']);
    expect(references(parse('. <= 3'))).toEqual([]);
    expect(references(parse("selected(${uses}, 'school')"))).toEqual(['uses']);
  });
});

describe('parse: syntax errors carry positions', () => {
  it.each([
    ['${a} +', 6],
    ['${a', 3],
    ["'unterminated", 0],
    ['1 2', 2],
    ['(1', 2],
    ['1 )', 2],
    ['', 0],
    ['true', 0],
    ['foo', 0],
    ['${A}', 2],
    ['${1a}', 2],
    ['$a', 1],
    ['1 # 2', 2],
    ['1 == 2', 3],
    ['round(1,)', 8],
    ['round(1 2)', 8],
    ['1 AND 2', 2],
    ['${a} DIV 2', 5],
    ['and', 0],
    ['. .', 2],
    ['"it\'s', 0],
  ])('%j → expr.syntax at %i', (src, pos) => {
    const e = parseError(src);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ExpressionError');
    expect(e.code).toBe('expr.syntax');
    expect(e.position).toBe(pos);
    expect(e.message.length).toBeGreaterThan(0);
  });

  it('rejects number literals too large to represent', () => {
    expect(parseError('9'.repeat(400)).code).toBe('expr.syntax');
  });
});

describe('parse: limits and malicious input', () => {
  it('accepts 2000 characters and rejects 2001 with expr.too-long', () => {
    expect(run('1' + ' '.repeat(1999))).toBe(1);
    const e = parseError('1' + ' '.repeat(2000));
    expect(e.code).toBe('expr.too-long');
    expect(e.position).toBe(2000);
  });

  it('rejects a 1 MB string with expr.too-long, quickly', () => {
    const t0 = performance.now();
    expect(parseError("'" + 'x'.repeat(1_000_000) + "'").code).toBe('expr.too-long');
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it('rejects 100,000 nested "(" without a stack overflow', () => {
    const e = parseError('('.repeat(100_000));
    expect(['expr.too-deep', 'expr.too-long']).toContain(e.code);
  });

  it('rejects deep nesting within the length limit with expr.too-deep at the 33rd level', () => {
    const e = parseError('('.repeat(1999) + '1');
    expect(e.code).toBe('expr.too-deep');
    expect(e.position).toBe(32);
  });

  it('allows exactly 32 levels of parentheses, calls or unary minus, not 33', () => {
    expect(run('('.repeat(32) + '1' + ')'.repeat(32))).toBe(1);
    expect(parseError('('.repeat(33) + '1' + ')'.repeat(33)).code).toBe('expr.too-deep');
    expect(run('not('.repeat(32) + '${b}' + ')'.repeat(32), { b: true })).toBe(true);
    expect(parseError('not('.repeat(33) + '${b}' + ')'.repeat(33)).code).toBe('expr.too-deep');
    expect(parseError('not('.repeat(32) + 'true()' + ')'.repeat(32)).code).toBe('expr.too-deep'); // true() is a call too
    expect(run('-'.repeat(32) + '1')).toBe(1);
    expect(parseError('-'.repeat(33) + '1').code).toBe('expr.too-deep');
    // calls, parentheses and minus signs add up
    expect(parseError('abs('.repeat(11) + '('.repeat(11) + '-'.repeat(11) + '1' + ')'.repeat(22)).code).toBe('expr.too-deep');
  });

  it('handles the longest flat chains (parse, typeCheck, evaluate) without trouble', () => {
    const sum = Array.from({ length: 666 }, () => '1').join('+');
    expect(run(sum)).toBe(666);
    expect(tc(sum)).toEqual({ type: 'number', issues: [] });
    const ands = Array.from({ length: 180 }, () => 'true()').join(' and ');
    expect(cond(ands)).toBe(true);
    const names: string[] = [];
    while ([...names, `f${names.length}`].map((n) => `\${${n}}`).join('+').length <= 2000) names.push(`f${names.length}`);
    expect(references(parse(names.map((n) => `\${${n}}`).join('+')))).toEqual(names);
    expect(names.length).toBeGreaterThan(250);
  });
});

describe('typeCheck', () => {
  it('accepts the examples from the form definitions', () => {
    const fields: Record<string, ValueType> = {
      floors_above: 'number', year_built: 'number', uses: 'list', total_area: 'number', a: 'number', b: 'number',
      householder: 'string', end_date: 'date', start_date: 'date', hazards: 'list', x: 'number',
    };
    const r = (n: string) => (Object.hasOwn(fields, n) ? fields[n] : undefined);
    const ok: [string, ValueType | undefined, ValueType][] = [
      ['${floors_above} >= 1 and ${year_built} <= 2020', undefined, 'boolean'],
      ["selected(${uses}, 'school')", undefined, 'boolean'],
      ['. <= ${total_area}', 'number', 'boolean'],
      ['if(${a} > 0, ${b} div ${a}, 0)', undefined, 'number'],
      ["not(${householder} = '不详' or ${householder} = '无')", undefined, 'boolean'],
      ['string-length(.) <= 50', 'string', 'boolean'],
      ["regex(., '^[0-9]{6}$')", 'string', 'boolean'],
      ['${end_date} >= ${start_date}', undefined, 'boolean'],
      ['count-selected(${hazards}) >= 1', undefined, 'boolean'],
      ['int(${x} * 10) mod 3', undefined, 'number'],
      ['round(${x}, 2)', undefined, 'number'],
      ['today()', undefined, 'date'],
    ];
    for (const [src, self, type] of ok) expect(typeCheck(parse(src), r, self), src).toEqual({ type, issues: [] });
  });

  it('infers result types', () => {
    expect(tc('${n} + 1').type).toBe('number');
    expect(tc("concat(${s}, 'x', ${n})").type).toBe('string');
    expect(tc('string(${n})').type).toBe('string');
    expect(tc("number('3')").type).toBe('number');
    expect(tc('${n} > 1 or ${b}').type).toBe('boolean');
    expect(tc("if(${b}, 'x', 'y')").type).toBe('string');
    expect(tc("if(${b}, 'x', 1)").type).toBe('any');
    expect(tc('coalesce(${d}, today())').type).toBe('date');
    expect(tc("coalesce(${n}, 'x')").type).toBe('any');
    expect(tc('${a}').type).toBe('any');
    expect(tc('${l}').type).toBe('list');
  });

  it('reports a number compared with a string, at the operator', () => {
    expect(tc("${n} = 'x'").issues).toEqual([{ code: 'expr.type', message: expect.any(String), position: 5 }]);
    expect(codes("${n} < 'x'")).toEqual(['expr.type']);
    expect(codes("'1' != 1")).toEqual(['expr.type']);
    expect(codes('${n} = ${b}')).toEqual(['expr.type']);
    expect(codes('${l} = ${s}')).toEqual(['expr.type']);
  });

  it('allows comparisons of same types, date with string, and anything with any', () => {
    expect(codes('${n} = ${m}')).toEqual([]);
    expect(codes('${s} < ${t}')).toEqual([]);
    expect(codes('${d} < ${e}')).toEqual([]);
    expect(codes("${d} <= '2020-12-31'")).toEqual([]);
    expect(codes("'2020-01-01' = ${d}")).toEqual([]);
    expect(codes('${b} = true()')).toEqual([]);
    expect(codes('${l} = ${l}')).toEqual([]);
    expect(codes('${a} = 1')).toEqual([]);
    expect(codes("${a} < 'x'")).toEqual([]);
  });

  it('rejects ordering booleans and lists', () => {
    expect(codes('${b} < true()')).toEqual(['expr.type']);
    expect(codes('${l} > ${l}')).toEqual(['expr.type']);
    expect(codes('${a} > ${l}')).toEqual(['expr.type']);
  });

  it("lets any field be compared with '' (presence test)", () => {
    expect(codes("${n} = ''")).toEqual([]);
    expect(codes("${l} != ''")).toEqual([]);
    expect(codes("'' = ${b}")).toEqual([]);
  });

  it('requires numbers for arithmetic and booleans for and/or/not/if', () => {
    expect(tc("${s} + 1").issues).toEqual([{ code: 'expr.type', message: expect.any(String), position: 0 }]);
    expect(codes('-${s}')).toEqual(['expr.type']);
    expect(codes('${d} - ${e}')).toEqual(['expr.type', 'expr.type']);
    expect(codes('${a} * 2 + ${n}')).toEqual([]);
    expect(codes('${n} and ${b}')).toEqual(['expr.type']);
    expect(codes("${b} or 'x'")).toEqual(['expr.type']);
    expect(codes('not(${n})')).toEqual(['expr.type']);
    expect(codes('if(${s}, 1, 2)')).toEqual(['expr.type']);
    expect(codes('${a} and not(${a})')).toEqual([]);
  });

  it('checks function argument types', () => {
    expect(tc("selected(${n}, 'x')").issues).toEqual([{ code: 'expr.type', message: expect.stringContaining('list'), position: 9 }]);
    expect(codes("selected(${s}, 'x')")).toEqual(['expr.type']);
    expect(codes('selected(${l}, 1 = 1)')).toEqual(['expr.type']);
    expect(codes("selected(${a}, ${s})")).toEqual([]);
    expect(codes('count-selected(${s})')).toEqual(['expr.type']);
    expect(codes("regex(${n}, '^1$')")).toEqual(['expr.type']);
    expect(codes("regex(${d}, '^2020')")).toEqual([]);
    expect(codes('string-length(${n})')).toEqual(['expr.type']);
    expect(codes('string-length(${d})')).toEqual([]);
    expect(codes("round(${s}, 'x')")).toEqual(['expr.type', 'expr.type']);
    expect(codes("min(1, ${s}, ${b})")).toEqual(['expr.type', 'expr.type']);
    expect(codes('abs(${l})')).toEqual(['expr.type']);
    expect(codes('int(${d})')).toEqual(['expr.type']);
    expect(codes('number(${l})')).toEqual(['expr.type']);
    expect(codes('concat(${l}, ${n}, ${b})')).toEqual([]);
  });

  it('reports every unknown reference with its position', () => {
    const r = tc('${x} + ${n} > ${y} and ${x} = 1');
    expect(r.issues).toEqual([
      { code: 'expr.unknown-field', message: expect.stringContaining('x'), position: 0 },
      { code: 'expr.unknown-field', message: expect.stringContaining('y'), position: 14 },
      { code: 'expr.unknown-field', message: expect.stringContaining('x'), position: 23 },
    ]);
    expect(r.type).toBe('boolean');
  });

  it('reports unknown functions (no prototype look-ups) and still checks their arguments', () => {
    expect(tc('foo(${zz})').issues.map((i) => [i.code, i.position])).toEqual([
      ['expr.unknown-function', 0],
      ['expr.unknown-field', 4],
    ]);
    expect(codes('constructor(1)')).toEqual(['expr.unknown-function']);
    expect(codes('toString()')).toEqual(['expr.unknown-function']);
    expect(codes('IF(true(), 1, 2)')).toEqual(['expr.unknown-function']);
    expect(run('foo(1)')).toBeNull();
  });

  it('checks arity', () => {
    expect(tc('1 + if(true(), 1)').issues).toEqual([{ code: 'expr.arity', message: expect.stringContaining('if()'), position: 4 }]);
    expect(codes('today(1)')).toEqual(['expr.arity']);
    expect(codes('true(1)')).toEqual(['expr.arity']);
    expect(codes('round(1, 2, 3)')).toEqual(['expr.arity']);
    expect(codes('round(1)')).toEqual([]);
    expect(codes('concat()')).toEqual(['expr.arity']);
    expect(codes("concat('a', 'b', 'c', 'd')")).toEqual([]);
    expect(codes('min()')).toEqual(['expr.arity']);
    expect(codes('max(1, 2, 3, 4)')).toEqual([]);
    expect(codes('selected(${l})')).toEqual(['expr.arity']);
    expect(codes('coalesce(1)')).toEqual(['expr.arity']);
    expect(codes('not()')).toEqual(['expr.arity']);
    expect(run('if(true(), 1)')).toBeNull();
  });

  it('allows `.` only when a self type is given, and uses that type', () => {
    expect(tc('. > 1').issues).toEqual([{ code: 'expr.self-outside-field', message: expect.any(String), position: 0 }]);
    expect(codes('. > 1', 'number')).toEqual([]);
    expect(codes(". = 'x'", 'number')).toEqual(['expr.type']);
    expect(codes("selected(., 'x')", 'list')).toEqual([]);
  });

  it('reports all issues of an expression, not just the first', () => {
    const r = tc("${zz} + 'a' > . and foo() or selected(${n}, 'x') and not()");
    expect(r.issues.map((i) => i.code)).toEqual([
      'expr.unknown-field',
      'expr.type',
      'expr.self-outside-field',
      'expr.unknown-function',
      'expr.type',
      'expr.arity',
    ]);
  });

  it('requires regex patterns to be short, valid, safe string literals', () => {
    expect(codes("regex(${s}, '^[0-9]{6}$')")).toEqual([]);
    expect(codes('regex(${s}, ${t})')).toEqual(['expr.type']);
    expect(codes("regex(${s}, '" + 'a'.repeat(201) + "')")).toEqual(['expr.type']);
    expect(codes("regex(${s}, '" + 'a'.repeat(200) + "')")).toEqual([]);
    expect(tc("regex(${s}, '[')").issues).toEqual([{ code: 'expr.type', message: expect.stringContaining('invalid'), position: 12 }]);
    expect(codes("regex(${s}, '\\q')")).toEqual(['expr.type']); // invalid escape under the u flag
    expect(codes("regex(${s}, '(a+)+$')")).toEqual(['expr.type']);
    expect(codes("regex(${s}, '^(.*)*x')")).toEqual(['expr.type']);
  });
});

describe('hasNestedQuantifier', () => {
  it.each(['(a+)+', '(a*)*', '(.*)*', '^(\\d+)*$', '((ab)*)+', '(?:a+){2,}', '(a{1,5})+', '(a|aa)+', '(?<x>\\w+)*', '((a+)b)*', '(a+?)+'])('refuses %s', (p) => {
    expect(hasNestedQuantifier(p)).toBe(true);
  });
  it.each(['^[0-9]{6}$', '^\\d{17}[\\dXx]$', '^(\\d{3}|\\d{4})-\\d+$', '([a-z])+', '(\\d{3})+', '[(a+)+]', '\\(a+\\)+', '(a+)?', '^1[3-9]\\d{9}$', '(?=a+)b'])('accepts %s', (p) => {
    expect(hasNestedQuantifier(p)).toBe(false);
  });
});

describe('evaluate: functions', () => {
  it('if', () => {
    expect(run("if(${a} > 0, ${b} div ${a}, 0)", { a: 4, b: 10 })).toBe(2.5);
    expect(run("if(${a} > 0, ${b} div ${a}, 0)", { a: 0, b: 10 })).toBe(0);
    expect(run("if(${a} > 0, 'yes', 'no')", {})).toBe('no'); // if(null, a, b) → b
    expect(run("if(true(), 'yes', 'no')")).toBe('yes');
  });

  it('selected', () => {
    expect(run("selected(${uses}, 'school')", { uses: ['office', 'school'] })).toBe(true);
    expect(run("selected(${uses}, 'school')", { uses: ['office'] })).toBe(false);
    expect(run("selected(${uses}, 'school')", {})).toBe(false);
    expect(run("selected(${uses}, 'school')", { uses: [] })).toBe(false);
    expect(run("selected(${uses}, 'school')", { uses: 'office school' })).toBe(true); // XLSForm space-separated form
    expect(run('selected(${uses}, ${v})', { uses: ['a'] })).toBe(false);
    expect(run("selected(${uses}, 'school')", { uses: 42 })).toBeNull();
  });

  it('count-selected', () => {
    expect(run('count-selected(${h})', { h: ['flood', 'quake'] })).toBe(2);
    expect(run('count-selected(${h})', {})).toBe(0);
    expect(run('count-selected(${h})', { h: [] })).toBe(0);
    expect(cond('count-selected(${h}) >= 1', {})).toBe(false);
    expect(run('count-selected(${h})', { h: true })).toBeNull();
  });

  it('string-length counts characters (code points)', () => {
    expect(run('string-length(.)', {}, 'abc')).toBe(3);
    expect(run('string-length(.)', {}, '不详')).toBe(2);
    expect(run('string-length(.)', {}, '😀a')).toBe(2);
    expect(run('string-length(.)', {}, undefined)).toBe(0);
    expect(run('string-length(.)', {}, '')).toBe(0);
    expect(cond('string-length(.) <= 5', {}, '123456')).toBe(false);
    expect(run('string-length(.)', {}, 12)).toBeNull();
  });

  it('regex', () => {
    expect(run("regex(., '^[0-9]{6}$')", {}, '430100')).toBe(true);
    expect(run("regex(., '^[0-9]{6}$')", {}, '43010')).toBe(false);
    expect(run("regex(., '^[0-9]{6}$')", {}, undefined)).toBeNull();
    expect(run("regex(., '^[0-9]{6}$')", {}, 430100)).toBeNull();
    expect(run("regex(., '^.$')", {}, '😀')).toBe(true); // compiled with the u flag
    expect(run("regex(., '\\p{Script=Han}')", {}, '江岸区')).toBe(true);
  });

  it('regex gives consistent answers when the cached node is reused (no global-flag state)', () => {
    const e = parse("regex(., 'a')");
    const results = [1, 2, 3, 4].map(() => evaluate(e, envOf({}, 'banana')));
    expect(results).toEqual([true, true, true, true]);
    expect(evaluate(e, envOf({}, 'xyz'))).toBe(false);
  });

  it('regex refuses to run on strings longer than 10,000 characters', () => {
    expect(run("regex(., 'a')", {}, 'a'.repeat(20_000))).toBeNull();
    expect(run("regex(., 'a$')", {}, 'a'.repeat(10_000))).toBe(true);
  });

  it('regex with a refused or invalid pattern yields null instead of running or throwing', () => {
    const t0 = performance.now();
    expect(run("regex(., '(a+)+$')", {}, 'a'.repeat(40) + '!')).toBeNull();
    expect(run("regex(., '(.*)*x')", {}, 'a'.repeat(40))).toBeNull();
    expect(performance.now() - t0).toBeLessThan(100);
    expect(run("regex(., '[')", {}, 'a')).toBeNull();
    expect(run('regex(., ${p})', { p: 'a' }, 'a')).toBeNull();
  });

  it('today', () => {
    expect(run('today()')).toBe(TODAY);
    expect(cond("today() >= '2024-01-01'")).toBe(true);
    expect(cond('${d} <= today()', { d: '2024-06-16' })).toBe(false);
  });

  it('int truncates toward zero', () => {
    expect(run('int(3.7)')).toBe(3);
    expect(run('int(-3.7)')).toBe(-3);
    expect(Object.is(run('int(-0.5)'), 0)).toBe(true);
    expect(run('int(${x})', {})).toBeNull();
    expect(run('int(${x})', { x: '12' })).toBeNull();
  });

  it('round rounds half away from zero', () => {
    expect(run('round(2.5)')).toBe(3);
    expect(run('round(-2.5)')).toBe(-3);
    expect(run('round(2.4)')).toBe(2);
    expect(run('round(1.005, 2)')).toBe(1.01);
    expect(run('round(-1.005, 2)')).toBe(-1.01);
    expect(run('round(2.345, 2)')).toBe(2.35);
    expect(run('round(${x}, 2)', { x: 0.0000001 })).toBe(0);
    expect(run('round(1234.5, -2)')).toBe(1200);
    expect(run('round(1250, -2)')).toBe(1300);
    expect(run('round(${x}, 2)', {})).toBeNull();
    expect(run('round(1.5, ${d})', {})).toBeNull();
    expect(run('round(${x}, 2)', { x: 1e300 })).toBe(1e300);
  });

  it('not, true, false', () => {
    expect(run('not(true())')).toBe(false);
    expect(run('not(false())')).toBe(true);
    expect(run('not(${x})', {})).toBeNull();
    expect(cond("not(${h} = '不详' or ${h} = '无')", { h: '张三' })).toBe(true);
    expect(cond("not(${h} = '不详' or ${h} = '无')", { h: '无' })).toBe(false);
  });

  it('coalesce returns the first known value', () => {
    expect(run("coalesce(${x}, 'fallback')", {})).toBe('fallback');
    expect(run("coalesce(${x}, 'fallback')", { x: '' })).toBe('fallback');
    expect(run("coalesce(${x}, 'fallback')", { x: 0 })).toBe(0);
    expect(run("coalesce(${x}, ${y})", {})).toBeNull();
  });

  it('concat joins text, numbers, booleans and lists; unknown parts are empty', () => {
    expect(run("concat('a', ${x}, 1, '-', true())", {})).toBe('a1-true');
    expect(run("concat(${l}, '!')", { l: ['x', 'y'] })).toBe('x y!');
    expect(run('concat(${x})', {})).toBeNull(); // '' is unknown
    expect(run("concat(${o}, 'a')", { o: { lat: 1 } })).toBeNull();
  });

  it('number and string convert', () => {
    expect(run("number(' 12 ')")).toBe(12);
    expect(run("number('3.5')")).toBe(3.5);
    expect(run("number('-2')")).toBe(-2);
    expect(run("number('12abc')")).toBeNull();
    expect(run("number('0x10')")).toBeNull();
    expect(run('number(true())')).toBe(1);
    expect(run('number(${x})', {})).toBeNull();
    expect(run('string(12)')).toBe('12');
    expect(cond("string(${n}) = '7'", { n: 7 })).toBe(true);
    expect(run('string(false())')).toBe('false');
  });

  it('abs, min, max', () => {
    expect(run('abs(-3)')).toBe(3);
    expect(run('abs(${x})', {})).toBeNull();
    expect(run('min(3, 1, 2)')).toBe(1);
    expect(run('max(3, 1, 2)')).toBe(3);
    expect(run('max(-1)')).toBe(-1);
    expect(run('max(1, ${x})', {})).toBeNull();
    expect(run("min(1, ${x})", { x: 'a' })).toBeNull();
  });
});

describe('evaluate: unknown (null) semantics', () => {
  it.each(['${x} + 1', '1 - ${x}', '${x} * 2', '${x} div 2', '2 div ${x}', '${x} mod 2', '-${x}', '. + 1'])('%s with x unanswered → null', (src) => {
    expect(run(src, { x: null })).toBeNull();
    expect(run(src, { x: undefined })).toBeNull();
    expect(run(src, { x: '' })).toBeNull();
  });

  it('division and modulo by zero → null', () => {
    expect(run('1 div 0')).toBeNull();
    expect(run('1 / 0')).toBeNull();
    expect(run('0 div 0')).toBeNull();
    expect(run('5 mod 0')).toBeNull();
    expect(run('${a} div ${b}', { a: 1, b: 0 })).toBeNull();
  });

  it.each(['=', '!=', '<', '<=', '>', '>='])('comparison %s with a null operand → null', (op) => {
    expect(run(`\${x} ${op} 1`, {})).toBeNull();
    expect(run(`1 ${op} \${x}`, {})).toBeNull();
    expect(run(`\${x} ${op} \${y}`, {})).toBeNull();
  });

  const T = true;
  const F = false;
  const N = null;
  it.each([
    // left, right, and, or
    [T, T, T, T],
    [T, F, F, T],
    [T, N, N, T],
    [F, T, F, T],
    [F, F, F, F],
    [F, N, F, N],
    [N, T, N, T],
    [N, F, F, N],
    [N, N, N, N],
  ])('three-valued logic: %s and/or %s → %s / %s', (l, r, and, or) => {
    const data = { l, r };
    expect(run('${l} and ${r}', data)).toBe(and);
    expect(run('${l} or ${r}', data)).toBe(or);
    expect(cond('${l} and ${r}', data)).toBe(and);
    expect(run('not(${l})', data)).toBe(l === null ? null : !l);
  });

  it('evaluateCondition returns null for unknown and booleans otherwise', () => {
    expect(cond('${x} > 1', {})).toBeNull();
    expect(cond('${x} > 1', { x: 2 })).toBe(true);
    expect(cond('${x} > 1', { x: 0 })).toBe(false);
    expect(cond('${x}', { x: 0 })).toBe(false);
    expect(cond('${x}', { x: 3 })).toBe(true);
    expect(cond('${x}', { x: 'a' })).toBe(true);
    expect(cond('${x}', { x: '' })).toBeNull();
  });

  it('`.` is null when the environment has no self value', () => {
    expect(run('. <= ${total}', { total: 5 }, undefined)).toBeNull();
    expect(run('. <= ${total}', { total: 5 }, 3)).toBe(true);
    expect(run('. <= ${total}', { total: 5 }, 6)).toBe(false);
  });
});

describe("evaluate: presence tests with ''", () => {
  it.each([[undefined], [null], [''], [[]]])("${x} = '' is true and ${x} != '' false when x is %j", (x) => {
    expect(run("${x} = ''", { x })).toBe(true);
    expect(run("'' = ${x}", { x })).toBe(true);
    expect(run("${x} != ''", { x })).toBe(false);
    expect(run("'' != ${x}", { x })).toBe(false);
  });

  it.each([[0], [false], ['a'], [['a']], ['2020-01-01'], [1.5]])("${x} = '' is false and ${x} != '' true when x is %j", (x) => {
    expect(run("${x} = ''", { x })).toBe(false);
    expect(run("${x} != ''", { x })).toBe(true);
  });

  it('works inside larger conditions', () => {
    expect(cond("${a} != '' and ${a} > 3", { a: 5 })).toBe(true);
    expect(cond("${a} = '' or ${a} > 3", {})).toBe(true);
    expect(cond("${a} != '' and ${a} > 3", {})).toBe(false);
  });
});

describe('evaluate: dates', () => {
  it('compares YYYY-MM-DD dates', () => {
    expect(cond('${end_date} >= ${start_date}', { start_date: '2020-01-31', end_date: '2020-02-01' })).toBe(true);
    expect(cond('${end_date} >= ${start_date}', { start_date: '2020-02-01', end_date: '2020-01-31' })).toBe(false);
    expect(cond('${end_date} >= ${start_date}', { start_date: '2020-02-01', end_date: '2020-02-01' })).toBe(true);
    expect(cond('${end_date} >= ${start_date}', { start_date: '2020-02-01' })).toBeNull();
    expect(cond("${d} <= '2020-12-31'", { d: '2020-12-31' })).toBe(true);
    expect(cond("${d} < '2020-12-31'", { d: '2021-01-01' })).toBe(false);
    expect(cond("${d} = '2020-12-31'", { d: '2020-12-31' })).toBe(true);
    expect(cond("${d} != '2020-12-31'", { d: '2020-12-30' })).toBe(true);
  });
});

describe('evaluate: wrong runtime types and hostile data', () => {
  it('yields null for operations on the wrong types', () => {
    expect(run("${a} + 'x'", { a: 1 })).toBeNull();
    expect(run("${a} < 'x'", { a: 1 })).toBeNull();
    expect(run("${a} = 'x'", { a: 1 })).toBeNull();
    expect(run('${a} > 1', { a: ['x'] })).toBeNull();
    expect(run('${a} < true()', { a: false })).toBeNull();
    expect(run('${a} * 2', { a: { valueOf: () => 3 } })).toBeNull();
    expect(run('${a} + 1', { a: Number.NaN })).toBeNull();
    expect(run('${a} + 1', { a: Infinity })).toBeNull();
    expect(run('${a} * ${a}', { a: 1e200 })).toBeNull(); // overflow
  });

  it('compares lists as sets and other values by type', () => {
    expect(run('${a} = ${b}', { a: ['x', 'y'], b: ['y', 'x'] })).toBe(true);
    expect(run('${a} = ${b}', { a: ['x', 'y'], b: ['x'] })).toBe(false);
    expect(run('${a} = true()', { a: true })).toBe(true);
    expect(run('${a} != 2', { a: 2 })).toBe(false);
  });

  it('never throws, whatever the data', () => {
    const hostile: unknown[] = [
      undefined, null, '', 0, -0, NaN, Infinity, 1e308, 'x'.repeat(50_000), true, [], [1, {}], [null], ['a', 'b'],
      {}, Object.create(null), { toString: () => { throw new Error('boom'); } }, Symbol('s'), () => 1, 10n,
      new Proxy({}, { get: () => { throw new Error('trap'); } }), new Date(0),
    ];
    const exprs = [
      '${x} + 1', '${x} = 1', "${x} = ''", "${x} < 'a'", 'not(${x})', '${x} and ${x} or ${x}', "selected(${x}, 'a')",
      'count-selected(${x})', 'string-length(${x})', "regex(${x}, 'a')", 'int(${x})', 'round(${x}, ${x})', "coalesce(${x}, 1)",
      "concat(${x}, ${x})", 'number(${x})', 'string(${x})', 'abs(${x})', 'min(${x}, 1)', 'max(${x})', "if(${x}, ${x}, 'b')",
      '${x} = ${x}', '-${x}', '. = ${x}',
    ].map((s) => parse(s));
    let evaluated = 0;
    for (const x of hostile) {
      const env: EvalEnv = { get: () => x, self: x, today: TODAY };
      for (const e of exprs) {
        expect(() => evaluate(e, env)).not.toThrow();
        expect(() => evaluateCondition(e, env)).not.toThrow();
        evaluated++;
      }
    }
    expect(evaluated).toBe(hostile.length * exprs.length);
    const throwing: EvalEnv = { get: () => { throw new Error('env'); }, today: TODAY };
    expect(evaluate(parse('${x} + 1'), throwing)).toBeNull();
    expect(evaluate(parse("${x} = ''"), throwing)).toBe(true);
  });

  it('returns null for a hand-built tree it does not understand', () => {
    const bogus = { kind: 'nope', pos: 0 } as unknown as Expr;
    expect(evaluate(bogus, envOf())).toBeNull();
    expect(evaluateCondition(bogus, envOf())).toBeNull();
  });

  it('reads fields only through env.get', () => {
    const asked: string[] = [];
    const env: EvalEnv = { get: (n) => (asked.push(n), n === 'constructor' ? 'c' : undefined), today: TODAY };
    expect(evaluate(parse("${constructor} = 'c' and ${to_string} = ''"), env)).toBe(true);
    expect(asked).toEqual(['constructor', 'to_string']);
  });
});

describe('column mode (choice filters)', () => {
  const col = (src: string) => parse(src, { columns: true });
  const cols = (columns: Record<string, unknown>, data: Record<string, unknown> = {}): EvalEnv => ({ ...envOf(data), column: (n) => (Object.hasOwn(columns, n) ? columns[n] : undefined) });
  const colCheck = (src: string, known: Record<string, ValueType> = { cf: 'string', pastel: 'string' }) =>
    typeCheck(col(src), resolve, undefined, (n) => (Object.hasOwn(known, n) ? known[n] : undefined)).issues.map((i) => i.code);

  it('reads a bare name as a column of the choice, on either side, next to ${field} answers', () => {
    const e = col('cf = ${s}');
    expect(e).toEqual({ kind: 'binary', pos: 3, op: '=', left: { kind: 'col', pos: 0, name: 'cf' }, right: { kind: 'ref', pos: 5, name: 's' } });
    expect(col('${s}=cf')).toMatchObject({ left: { kind: 'ref' }, right: { kind: 'col', name: 'cf' } });
    expect(evaluate(e, cols({ cf: 'hubei' }, { s: 'hubei' }))).toBe(true);
    expect(evaluate(e, cols({ cf: 'hunan' }, { s: 'hubei' }))).toBe(false);
    expect(evaluateCondition(col("pastel = 'yes'"), cols({ pastel: 'yes' }))).toBe(true);
  });

  it('keeps function calls, keywords and literals: only a bare word not followed by ( is a column', () => {
    expect(col("not(pastel = 'yes') and cf != 'x' or cf mod 2 = 0")).toMatchObject({ kind: 'binary', op: 'or' });
    expect(evaluateCondition(col("selected(${l}, cf)"), cols({ cf: 'b' }, { l: ['a', 'b'] }))).toBe(true);
    expect(col('true')).toEqual({ kind: 'col', pos: 0, name: 'true' }); // a bare word is a column, consistently
    expect(col('true()')).toMatchObject({ kind: 'call', name: 'true' });
  });

  it('refuses names that cannot be columns', () => {
    for (const [src, pos] of [['CF = 1', 0], ['cf-x = 1', 0], ['and', 0], ['cf cf', 3]] as const) {
      let err: unknown;
      try {
        col(src);
      } catch (e) {
        err = e;
      }
      expect(err, src).toBeInstanceOf(ExpressionError);
      expect((err as ExpressionError).code).toBe('expr.syntax');
      expect((err as ExpressionError).position, src).toBe(pos);
    }
    expect(col('cf - 1')).toMatchObject({ op: '-' });
  });

  it('a bare name stays a syntax error without column mode', () => {
    for (const src of ['cf = ${s}', "${s} = pastel", "pastel = 'yes'"]) expect(() => parse(src), src).toThrow(ExpressionError);
    expect(() => parse('cf = ${s}', {})).toThrow(ExpressionError);
  });

  it('lists columns apart from field references', () => {
    const e = col("cf = ${s} or pastel = cf and ${t} = ''");
    expect(columnReferences(e)).toEqual(['cf', 'pastel']);
    expect(references(e)).toEqual(['s', 't']);
    expect(columnReferences(parse('${a} = 1'))).toEqual([]);
  });

  it('type-checks columns as text and reports unknown ones', () => {
    expect(colCheck('cf = ${s}')).toEqual([]);
    expect(colCheck('colour = ${s}')).toEqual(['expr.unknown-column']);
    expect(colCheck('cf > ${n}')).toEqual(['expr.type']);
    expect(colCheck('number(cf) > ${n}')).toEqual([]);
    // Without a column resolver every column is unknown (a hand-built tree in a normal expression).
    expect(typeCheck(col('cf = 1'), resolve).issues.map((i) => i.code)).toEqual(['expr.unknown-column']);
  });

  it('a missing column value is unknown (so `cf = \'\'` tests for it); no column source reads as unknown', () => {
    expect(evaluate(col('cf = ${s}'), cols({}, { s: 'x' }))).toBeNull();
    expect(evaluate(col("cf = ''"), cols({}))).toBe(true);
    expect(evaluate(col("cf = ''"), cols({ cf: 'a' }))).toBe(false);
    expect(evaluate(col('cf'), envOf())).toBeNull();
    expect(evaluate(col('cf = 1'), { ...envOf(), column: () => { throw new Error('boom'); } })).toBeNull();
  });
});
