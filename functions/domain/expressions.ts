/**
 * The census expression language: a small, XLSForm-flavoured language used in form definitions for `relevant`,
 * `required` (required-if), field `constraints` (`.` is the field's own value), cross-field `rules` and `calculate`.
 *
 *   ${floors_above} >= 1 and ${year_built} <= 2020        selected(${uses}, 'school')        . <= ${total_area}
 *   if(${a} > 0, ${b} div ${a}, 0)                         regex(., '^[0-9]{6}$')             round(${x}, 2)
 *
 * Grammar (lowest → highest precedence):
 *   or  <  and  <  = != < <= > >=  <  + -  <  * div mod /  <  unary -  <  primary
 *   primary := number | 'string' | "string" | ${name} | . | name(args) | ( expr )
 * Keywords `and or div mod` are lowercase. Quotes inside a string are written doubled ('it''s').
 *
 * Column mode (`parse(src, { columns: true })`, used only for a select's `choiceFilter`): a bare lowercase name that is
 * not a function call (`cf`, `pastel`) is a column of the choice being filtered — XLSForm `choice_filter` semantics, e.g.
 * `cf = ${state}` or `pastel = 'yes'`. Literals keep their quotes; a bare word is always a column, never a string.
 * Everywhere else a bare name stays a syntax error.
 *
 * Pipeline: `parse` once (syntax + size limits, throws ExpressionError) → `typeCheck` when a definition is published
 * (reports every issue) → `evaluate` / `evaluateCondition` per submission (never throws).
 *
 * Runtime values: null (unknown), number, string, boolean, date ('YYYY-MM-DD' string) and list (string[]).
 * `undefined`, `null`, `''`, `[]` and non-finite numbers are all "unknown" (null). Unknown propagates through
 * arithmetic and comparisons; `and`/`or` use three-valued logic; `${x} = ''` / `${x} != ''` are presence tests.
 *
 * Pure TypeScript: no eval / new Function, no dynamic property access on user-controlled names (fields are read
 * through `env.get`, functions are looked up in a Map).
 */

export type ValueType = 'number' | 'string' | 'boolean' | 'date' | 'list' | 'any';

export type BinaryOp = 'or' | 'and' | '=' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | 'div' | 'mod';

/**
 * The syntax tree. `pos` is an offset into the source: the start of a literal, reference or function name, the
 * operator of a unary/binary node. Parentheses leave no node. `/` is parsed as `div`.
 */
export type Expr =
  | { readonly kind: 'num'; readonly pos: number; readonly value: number }
  | { readonly kind: 'str'; readonly pos: number; readonly value: string }
  | { readonly kind: 'ref'; readonly pos: number; readonly name: string }
  /** A column of the choice being filtered (column mode only). */
  | { readonly kind: 'col'; readonly pos: number; readonly name: string }
  | { readonly kind: 'self'; readonly pos: number }
  | { readonly kind: 'unary'; readonly pos: number; readonly op: '-'; readonly operand: Expr }
  | { readonly kind: 'binary'; readonly pos: number; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'call'; readonly pos: number; readonly name: string; readonly args: readonly Expr[] };

/** Longest accepted expression source. */
export const MAX_SOURCE_LENGTH = 2000;
/** Deepest accepted nesting of parentheses, function calls and unary minus. */
export const MAX_DEPTH = 32;
/** Longest accepted `regex()` pattern. */
export const MAX_PATTERN_LENGTH = 200;
/** `regex()` on a longer string yields null (unknown) instead of running. */
export const MAX_REGEX_INPUT = 10_000;

export class ExpressionError extends Error {
  readonly code: 'expr.syntax' | 'expr.too-long' | 'expr.too-deep';
  readonly position: number;
  constructor(code: ExpressionError['code'], message: string, position: number) {
    super(message);
    this.name = 'ExpressionError';
    this.code = code;
    this.position = position;
  }
}

// ───────────────────────────────────────────── lexer ─────────────────────────────────────────────

type Token =
  | { t: 'num'; pos: number; value: number }
  | { t: 'str'; pos: number; value: string }
  | { t: 'ref'; pos: number; name: string }
  | { t: 'dot'; pos: number }
  | { t: 'name'; pos: number; name: string }
  | { t: 'op'; pos: number; op: string }
  | { t: 'end'; pos: number };

const KEYWORDS = new Set(['and', 'or', 'div', 'mod']);
const FIELD_NAME = /^[a-z][a-z0-9_]*$/;

const isDigit = (c: string) => c >= '0' && c <= '9';
const isNameStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isNameChar = (c: string) => isNameStart(c) || isDigit(c);
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || /\s/u.test(c);

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const n = src.length;
  let i = 0;
  while (i < n) {
    const c = src.charAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === '.' && isDigit(src.charAt(i + 1)))) {
      while (isDigit(src.charAt(i))) i++;
      if (src.charAt(i) === '.' && isDigit(src.charAt(i + 1))) {
        i++;
        while (isDigit(src.charAt(i))) i++;
      }
      const value = Number(src.slice(start, i));
      if (!Number.isFinite(value)) throw new ExpressionError('expr.syntax', 'number is too large', start);
      out.push({ t: 'num', pos: start, value });
      continue;
    }
    if (c === "'" || c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw new ExpressionError('expr.syntax', 'unterminated string', start);
        const d = src.charAt(i);
        if (d === c) {
          if (src.charAt(i + 1) === c) {
            value += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += d;
        i++;
      }
      out.push({ t: 'str', pos: start, value });
      continue;
    }
    if (c === '$') {
      if (src.charAt(i + 1) !== '{') throw new ExpressionError('expr.syntax', "expected '{' after '$'", i + 1);
      i += 2;
      const nameStart = i;
      while (isNameChar(src.charAt(i))) i++;
      const name = src.slice(nameStart, i);
      if (!FIELD_NAME.test(name)) {
        throw new ExpressionError('expr.syntax', 'a field name is a lowercase letter followed by lowercase letters, digits or _', nameStart);
      }
      if (src.charAt(i) !== '}') throw new ExpressionError('expr.syntax', `expected '}' to close \${${name}`, i);
      i++;
      out.push({ t: 'ref', pos: start, name });
      continue;
    }
    if (isNameStart(c)) {
      // Function names may contain '-' (count-selected): a '-' joins the name only when a letter follows.
      for (;;) {
        while (isNameChar(src.charAt(i))) i++;
        if (src.charAt(i) === '-' && isNameStart(src.charAt(i + 1))) {
          i++;
          continue;
        }
        break;
      }
      out.push({ t: 'name', pos: start, name: src.slice(start, i) });
      continue;
    }
    if (c === '.') {
      out.push({ t: 'dot', pos: i });
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=') {
      out.push({ t: 'op', pos: i, op: two });
      i += 2;
      continue;
    }
    if ('+-*/=<>(),'.includes(c)) {
      out.push({ t: 'op', pos: i, op: c });
      i++;
      continue;
    }
    throw new ExpressionError('expr.syntax', `unexpected character ${JSON.stringify(c)}`, i);
  }
  out.push({ t: 'end', pos: n });
  return out;
}

// ───────────────────────────────────────────── parser ─────────────────────────────────────────────

function tokenText(tok: Token): string {
  switch (tok.t) {
    case 'num':
      return `number ${tok.value}`;
    case 'str':
      return 'string';
    case 'ref':
      return `\${${tok.name}}`;
    case 'dot':
      return "'.'";
    case 'name':
      return `'${tok.name}'`;
    case 'op':
      return `'${tok.op}'`;
    case 'end':
      return 'end of expression';
  }
}

export interface ParseOptions {
  /** Bare names are columns of a choice (a select's choice filter). */
  columns?: boolean;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly toks: readonly Token[],
    private readonly columns = false,
  ) {}

  private peek(): Token {
    return this.toks[Math.min(this.i, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  private isOp(op: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.op === op;
  }
  private isKeyword(kw: string): boolean {
    const t = this.peek();
    return t.t === 'name' && t.name === kw;
  }
  private enter(pos: number) {
    if (++this.depth > MAX_DEPTH) throw new ExpressionError('expr.too-deep', `expression is nested more than ${MAX_DEPTH} levels deep`, pos);
  }
  private leave() {
    this.depth--;
  }
  private fail(tok: Token, what: string): never {
    throw new ExpressionError('expr.syntax', `unexpected ${tokenText(tok)}${what ? `, ${what}` : ''}`, tok.pos);
  }
  private expect(op: string) {
    const t = this.next();
    if (t.t !== 'op' || t.op !== op) this.fail(t, `expected '${op}'`);
  }

  parseAll(): Expr {
    const e = this.parseOr();
    const t = this.peek();
    if (t.t !== 'end') this.fail(t, 'expected an operator or the end of the expression');
    return e;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isKeyword('or')) {
      const pos = this.next().pos;
      left = { kind: 'binary', pos, op: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseComparison();
    while (this.isKeyword('and')) {
      const pos = this.next().pos;
      left = { kind: 'binary', pos, op: 'and', left, right: this.parseComparison() };
    }
    return left;
  }

  private parseComparison(): Expr {
    let left = this.parseAdditive();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || !['=', '!=', '<', '<=', '>', '>='].includes(t.op)) return left;
      this.next();
      left = { kind: 'binary', pos: t.pos, op: t.op as BinaryOp, left, right: this.parseAdditive() };
    }
  }

  private parseAdditive(): Expr {
    let left = this.parseMultiplicative();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || (t.op !== '+' && t.op !== '-')) return left;
      this.next();
      left = { kind: 'binary', pos: t.pos, op: t.op as '+' | '-', left, right: this.parseMultiplicative() };
    }
  }

  private parseMultiplicative(): Expr {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      let op: BinaryOp;
      if (t.t === 'op' && t.op === '*') op = '*';
      else if (t.t === 'op' && t.op === '/') op = 'div';
      else if (t.t === 'name' && (t.name === 'div' || t.name === 'mod')) op = t.name;
      else return left;
      this.next();
      left = { kind: 'binary', pos: t.pos, op, left, right: this.parseUnary() };
    }
  }

  private parseUnary(): Expr {
    if (this.isOp('-')) {
      const pos = this.next().pos;
      this.enter(pos);
      const operand = this.parseUnary();
      this.leave();
      return { kind: 'unary', pos, op: '-', operand };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Expr {
    const t = this.next();
    switch (t.t) {
      case 'num':
        return { kind: 'num', pos: t.pos, value: t.value };
      case 'str':
        return { kind: 'str', pos: t.pos, value: t.value };
      case 'ref':
        return { kind: 'ref', pos: t.pos, name: t.name };
      case 'dot':
        return { kind: 'self', pos: t.pos };
      case 'op':
        if (t.op === '(') {
          this.enter(t.pos);
          const e = this.parseOr();
          this.expect(')');
          this.leave();
          return e;
        }
        return this.fail(t, 'expected a value');
      case 'name': {
        if (KEYWORDS.has(t.name)) return this.fail(t, 'expected a value');
        if (!this.isOp('(') && this.columns) {
          if (!FIELD_NAME.test(t.name)) {
            throw new ExpressionError('expr.syntax', `a column name is a lowercase letter followed by lowercase letters, digits or _ (write spaces around '-' to subtract)`, t.pos);
          }
          return { kind: 'col', pos: t.pos, name: t.name };
        }
        if (!this.isOp('(')) {
          const hint = t.name === 'true' || t.name === 'false' ? `write ${t.name}()` : `functions need parentheses, fields are written \${${t.name}}`;
          return this.fail(t, hint);
        }
        this.enter(t.pos);
        this.next();
        const args: Expr[] = [];
        if (!this.isOp(')')) {
          for (;;) {
            args.push(this.parseOr());
            if (!this.isOp(',')) break;
            this.next();
          }
        }
        this.expect(')');
        this.leave();
        return { kind: 'call', pos: t.pos, name: t.name, args };
      }
      case 'end':
        return this.fail(t, 'expected a value');
    }
  }
}

/**
 * Parse once; throws ExpressionError. Limits: source length ≤ 2000 chars → else 'expr.too-long'; nesting depth ≤ 32
 * (parens, calls, unary chains all count) → else 'expr.too-deep'. The parser recurses at most a fixed number of frames
 * per nesting level, so it fails fast and never overflows the stack.
 */
export function parse(source: string, options: ParseOptions = {}): Expr {
  if (typeof source !== 'string') throw new ExpressionError('expr.syntax', 'expression must be a string', 0);
  if (source.length > MAX_SOURCE_LENGTH) {
    throw new ExpressionError('expr.too-long', `expression is longer than ${MAX_SOURCE_LENGTH} characters`, MAX_SOURCE_LENGTH);
  }
  return new Parser(tokenize(source), options.columns === true).parseAll();
}

/** Names of the nodes of one kind under an expression (deduplicated, in order of first appearance). */
function namesOf(expr: Expr, kind: 'ref' | 'col'): string[] {
  const seen = new Set<string>();
  const walk = (e: Expr): void => {
    if (e.kind === kind) seen.add((e as { name: string }).name);
    else if (e.kind === 'unary') walk(e.operand);
    else if (e.kind === 'binary') {
      walk(e.left);
      walk(e.right);
    } else if (e.kind === 'call') e.args.forEach(walk);
  };
  walk(expr);
  return [...seen];
}

/** Field names referenced by ${name} (deduplicated, in order of first appearance). Does not include `.`. */
export const references = (expr: Expr): string[] => namesOf(expr, 'ref');

/** Choice columns referenced by bare names in column mode (deduplicated, in order of first appearance). */
export const columnReferences = (expr: Expr): string[] => namesOf(expr, 'col');

// ───────────────────────────────────────────── regex safety ─────────────────────────────────────────────

/**
 * Heuristic guard against catastrophic backtracking: refuse a repeated group (`*`, `+`, `{n,}`, `{n,m}` with m > 1)
 * whose body itself contains a variable-length quantifier (`*`, `+`, `{n,}`, `{n,m}` with m > n) or an alternation —
 * `(a+)+`, `(a*)*`, `(.*)*`, `((ab)*)+`, `(a|aa)+`. Character classes and escapes are skipped.
 */
export function hasNestedQuantifier(pattern: string): boolean {
  // One frame per open group: does its body contain a variable quantifier or an alternation?
  const stack: boolean[] = [false];
  let closed: boolean | null = null; // risk of the group closed just before the current position
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern.charAt(i);
    if (c === '\\') {
      const d = pattern.charAt(i + 1);
      i += 2;
      if ((d === 'u' || d === 'p' || d === 'P' || d === 'k') && (pattern.charAt(i) === '{' || pattern.charAt(i) === '<')) {
        const close = pattern.indexOf(pattern.charAt(i) === '{' ? '}' : '>', i);
        i = close < 0 ? n : close + 1;
      }
      closed = null;
      continue;
    }
    if (c === '[') {
      i++;
      if (pattern.charAt(i) === '^') i++;
      if (pattern.charAt(i) === ']') i++;
      while (i < n && pattern.charAt(i) !== ']') i += pattern.charAt(i) === '\\' ? 2 : 1;
      i++;
      closed = null;
      continue;
    }
    if (c === '(') {
      stack.push(false);
      i++;
      if (pattern.charAt(i) === '?') {
        i++;
        const d = pattern.charAt(i);
        if (d === '<' && pattern.charAt(i + 1) !== '=' && pattern.charAt(i + 1) !== '!') {
          const close = pattern.indexOf('>', i);
          i = close < 0 ? n : close + 1;
        } else if (d === '<') i += 2;
        else i++;
      }
      closed = null;
      continue;
    }
    if (c === ')') {
      const inner = stack.pop() ?? false;
      if (stack.length === 0) stack.push(false);
      if (inner) stack[stack.length - 1] = true;
      closed = inner;
      i++;
      continue;
    }
    if (c === '|') {
      stack[stack.length - 1] = true;
      closed = null;
      i++;
      continue;
    }
    let variable = false; // may match a varying number of times
    let repeats = false; // may match more than once
    let len = 0;
    if (c === '*' || c === '+') {
      variable = repeats = true;
      len = 1;
    } else if (c === '?') {
      len = 1;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/u.exec(pattern.slice(i, i + 24));
      if (m) {
        len = m[0].length;
        const lo = Number(m[1]);
        const hi = m[2] === undefined ? lo : m[3] === '' || m[3] === undefined ? Infinity : Number(m[3]);
        variable = hi > lo;
        repeats = hi > 1;
      }
    }
    if (len > 0) {
      if (closed && repeats) return true;
      if (variable) stack[stack.length - 1] = true;
      i += len;
      if (pattern.charAt(i) === '?') i++; // lazy
      closed = null;
      continue;
    }
    closed = null;
    i++;
  }
  return false;
}

/** Why a regex pattern is refused, or null when it is acceptable. */
function patternProblem(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `regex pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  if (hasNestedQuantifier(pattern)) return 'regex pattern repeats a group that itself repeats or alternates (risk of catastrophic backtracking)';
  try {
    new RegExp(pattern, 'u');
  } catch (e) {
    return `invalid regex pattern: ${e instanceof Error ? e.message : String(e)}`;
  }
  return null;
}

// ───────────────────────────────────────────── type check ─────────────────────────────────────────────

export interface TypeIssue {
  code: 'expr.unknown-field' | 'expr.unknown-column' | 'expr.type' | 'expr.unknown-function' | 'expr.arity' | 'expr.self-outside-field';
  message: string;
  position: number;
}

/** Argument counts: [min, max]. A Map, so names such as `constructor` are simply unknown. */
const ARITY = new Map<string, readonly [number, number]>([
  ['if', [3, 3]],
  ['selected', [2, 2]],
  ['count-selected', [1, 1]],
  ['string-length', [1, 1]],
  ['regex', [2, 2]],
  ['today', [0, 0]],
  ['int', [1, 1]],
  ['round', [1, 2]],
  ['not', [1, 1]],
  ['true', [0, 0]],
  ['false', [0, 0]],
  ['coalesce', [2, 2]],
  ['concat', [1, Infinity]],
  ['number', [1, 1]],
  ['string', [1, 1]],
  ['abs', [1, 1]],
  ['min', [1, Infinity]],
  ['max', [1, Infinity]],
]);

const isEmptyStringLiteral = (e: Expr) => e.kind === 'str' && e.value === '';

function equalityComparable(a: ValueType, b: ValueType): boolean {
  if (a === 'any' || b === 'any' || a === b) return true;
  return (a === 'string' && b === 'date') || (a === 'date' && b === 'string');
}

function orderComparable(a: ValueType, b: ValueType): boolean {
  const orderable = (t: ValueType) => t === 'number' || t === 'string' || t === 'date' || t === 'any';
  if (!orderable(a) || !orderable(b)) return false;
  if (a === 'any' || b === 'any' || a === b) return true;
  return (a === 'string' && b === 'date') || (a === 'date' && b === 'string');
}

/**
 * Static check. `resolve(name)` returns the ValueType of a field or undefined when no such field. `self` is the type
 * of `.` (undefined = `.` not allowed here). `column(name)` does the same for choice columns (column mode); without it
 * every column is unknown. Returns every issue (empty when fine) and the expression's result type.
 * Comparing anything with the empty string literal (`${x} = ''`) is a presence test and always type-checks.
 */
export function typeCheck(
  expr: Expr,
  resolve: (name: string) => ValueType | undefined,
  self?: ValueType,
  column?: (name: string) => ValueType | undefined,
): { type: ValueType; issues: TypeIssue[] } {
  const issues: TypeIssue[] = [];
  const issue = (code: TypeIssue['code'], message: string, position: number) => issues.push({ code, message, position });

  /** `t` must be one of `allowed` (or 'any'). */
  const need = (t: ValueType | undefined, node: Expr | undefined, allowed: readonly ValueType[], what: string) => {
    if (t === undefined || node === undefined || t === 'any' || allowed.includes(t)) return;
    issue('expr.type', `${what} needs ${allowed.join(' or ')}, got ${t}`, node.pos);
  };

  const check = (e: Expr): ValueType => {
    switch (e.kind) {
      case 'num':
        return 'number';
      case 'str':
        return 'string';
      case 'ref': {
        const t = resolve(e.name);
        if (t === undefined) {
          issue('expr.unknown-field', `unknown field \${${e.name}}`, e.pos);
          return 'any';
        }
        return t;
      }
      case 'col': {
        const t = column?.(e.name);
        if (t === undefined) {
          issue('expr.unknown-column', `no choice has a column ${e.name}`, e.pos);
          return 'any';
        }
        return t;
      }
      case 'self':
        if (self === undefined) {
          issue('expr.self-outside-field', "'.' (the field's own value) is only allowed in a field constraint", e.pos);
          return 'any';
        }
        return self;
      case 'unary':
        need(check(e.operand), e.operand, ['number'], "unary '-'");
        return 'number';
      case 'binary': {
        const l = check(e.left);
        const r = check(e.right);
        switch (e.op) {
          case 'and':
          case 'or':
            need(l, e.left, ['boolean'], `'${e.op}'`);
            need(r, e.right, ['boolean'], `'${e.op}'`);
            return 'boolean';
          case '+':
          case '-':
          case '*':
          case 'div':
          case 'mod':
            need(l, e.left, ['number'], `'${e.op}'`);
            need(r, e.right, ['number'], `'${e.op}'`);
            return 'number';
          case '=':
          case '!=':
            if (!isEmptyStringLiteral(e.left) && !isEmptyStringLiteral(e.right) && !equalityComparable(l, r)) {
              issue('expr.type', `cannot compare ${l} with ${r}`, e.pos);
            }
            return 'boolean';
          default:
            if (!orderComparable(l, r)) issue('expr.type', `cannot order ${l} against ${r} with '${e.op}'`, e.pos);
            return 'boolean';
        }
      }
      case 'call':
        return checkCall(e);
    }
  };

  const checkCall = (e: Extract<Expr, { kind: 'call' }>): ValueType => {
    // Issues about the call itself come first (its name precedes its arguments), then the arguments' own issues.
    const arity = ARITY.get(e.name);
    if (!arity) {
      issue('expr.unknown-function', `unknown function ${e.name}()`, e.pos);
      e.args.forEach(check);
      return 'any';
    }
    const [min, max] = arity;
    if (e.args.length < min || e.args.length > max) {
      const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      issue('expr.arity', `${e.name}() takes ${expected} argument${min === 1 && max === 1 ? '' : 's'}, got ${e.args.length}`, e.pos);
    }
    const types = e.args.map(check);
    const a = e.args;
    const fn = `${e.name}()`;
    const join = (x: ValueType | undefined, y: ValueType | undefined): ValueType => (x !== undefined && x === y ? x : 'any');
    switch (e.name) {
      case 'if':
        need(types[0], a[0], ['boolean'], `the condition of ${fn}`);
        return join(types[1], types[2]);
      case 'coalesce':
        return join(types[0], types[1]);
      case 'selected':
        need(types[0], a[0], ['list'], fn);
        need(types[1], a[1], ['string'], `the value of ${fn}`);
        return 'boolean';
      case 'count-selected':
        need(types[0], a[0], ['list'], fn);
        return 'number';
      case 'string-length':
        need(types[0], a[0], ['string', 'date'], fn);
        return 'number';
      case 'regex': {
        need(types[0], a[0], ['string', 'date'], fn);
        const p = a[1];
        if (p) {
          if (p.kind !== 'str') issue('expr.type', 'the pattern of regex() must be a string literal', p.pos);
          else {
            const problem = patternProblem(p.value);
            if (problem) issue('expr.type', problem, p.pos);
          }
        }
        return 'boolean';
      }
      case 'today':
        return 'date';
      case 'int':
      case 'abs':
      case 'round':
      case 'min':
      case 'max':
        types.forEach((t, i) => need(t, a[i], ['number'], fn));
        return 'number';
      case 'not':
        need(types[0], a[0], ['boolean'], fn);
        return 'boolean';
      case 'true':
      case 'false':
        return 'boolean';
      case 'concat':
      case 'string':
        return 'string';
      case 'number':
        need(types[0], a[0], ['number', 'string', 'boolean'], fn);
        return 'number';
      default:
        return 'any';
    }
  };

  const type = check(expr);
  return { type, issues };
}

// ───────────────────────────────────────────── evaluation ─────────────────────────────────────────────

export interface EvalEnv {
  get(name: string): unknown;
  self?: unknown;
  /** A column of the choice being filtered (column mode); without it every column is unknown. */
  column?(name: string): unknown;
  /** 'YYYY-MM-DD', the value of today(). */
  today: string;
}

/** Unknown (null) for unanswered / unusable values; everything else as is. */
function norm(v: unknown): unknown {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? (Object.is(v, -0) ? 0 : v) : null;
  if (Array.isArray(v) && v.length === 0) return null;
  return v;
}

/** XPath-style truthiness with unknown: null stays null. */
function truth(v: unknown): boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A list answer: string[] (or a space-separated string, as XLSForm stores it). */
function asList(v: unknown): readonly unknown[] | null {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return v.split(/\s+/u).filter((s) => s !== '');
  return null;
}

function toText(v: unknown): string | null {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.every((x) => typeof x === 'string' || typeof x === 'number') ? v.join(' ') : null;
  return null;
}

function equals(a: unknown, b: unknown): boolean | null {
  if (typeof a !== typeof b) return null;
  if (typeof a === 'number' || typeof a === 'string' || typeof a === 'boolean') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) {
    const x = new Set(a);
    const y = new Set(b);
    return x.size === y.size && [...x].every((v) => y.has(v));
  }
  return null;
}

function compare(op: BinaryOp, a: unknown, b: unknown): boolean | null {
  if (a === null || b === null) return null;
  if (op === '=' || op === '!=') {
    const eq = equals(a, b);
    return eq === null ? null : op === '=' ? eq : !eq;
  }
  if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) return null;
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    default:
      return null;
  }
}

function arithmetic(op: BinaryOp, a: unknown, b: unknown): number | null {
  const x = num(a);
  const y = num(b);
  if (x === null || y === null) return null;
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case 'div':
      return y === 0 ? null : x / y;
    case 'mod':
      return y === 0 ? null : x % y;
    default:
      return null;
  }
}

/** Multiply by 10^d exactly in decimal (string exponent), avoiding 1.005 * 100 = 100.49999999999999. */
function shift(x: number, d: number): number {
  const [mantissa, exponent] = String(x).split('e');
  return Number(`${mantissa}e${Number(exponent ?? 0) + d}`);
}

/** Round half away from zero to `digits` decimals (negative digits round to tens, hundreds, …). */
export function roundHalfAway(x: number, digits: number): number | null {
  const d = Math.trunc(digits);
  if (d > 100) return x;
  const scaled = shift(Math.abs(x), d);
  if (!Number.isFinite(scaled)) return x;
  const r = shift(Math.round(scaled), -d) * Math.sign(x);
  return Number.isFinite(r) ? r : null;
}

/** Compiled regex per call node (null = refused or invalid). */
const regexCache = new WeakMap<Expr, RegExp | null>();

function regexFor(call: Expr, pattern: Expr | undefined): RegExp | null {
  const hit = regexCache.get(call);
  if (hit !== undefined) return hit;
  let re: RegExp | null = null;
  if (pattern?.kind === 'str' && patternProblem(pattern.value) === null) re = new RegExp(pattern.value, 'u');
  regexCache.set(call, re);
  return re;
}

/** The value of argument `i` (null when absent). A plain function, not a closure: no allocation per call. */
function argOf(a: readonly Expr[], i: number, env: EvalEnv): unknown {
  const x = a[i];
  return x === undefined ? null : ev(x, env);
}

function evalCall(e: Extract<Expr, { kind: 'call' }>, env: EvalEnv): unknown {
  const arity = ARITY.get(e.name);
  if (!arity || e.args.length < arity[0] || e.args.length > arity[1]) return null;
  const a = e.args;
  switch (e.name) {
    case 'if': {
      const c = truth(argOf(a, 0, env));
      return c === true ? argOf(a, 1, env) : argOf(a, 2, env);
    }
    case 'coalesce': {
      const x = argOf(a, 0, env);
      return x !== null ? x : argOf(a, 1, env);
    }
    case 'selected': {
      const raw = argOf(a, 0, env);
      if (raw === null) return false;
      const list = asList(raw);
      const v = argOf(a, 1, env);
      if (list === null) return null;
      if (typeof v !== 'string' && typeof v !== 'number') return false;
      return list.includes(String(v));
    }
    case 'count-selected': {
      const v = argOf(a, 0, env);
      if (v === null) return 0;
      return asList(v)?.length ?? null;
    }
    case 'string-length': {
      const v = argOf(a, 0, env);
      if (v === null) return 0;
      return typeof v === 'string' ? [...v].length : null;
    }
    case 'regex': {
      const s = argOf(a, 0, env);
      if (typeof s !== 'string' || s.length > MAX_REGEX_INPUT) return null;
      const re = regexFor(e, a[1]);
      return re ? re.test(s) : null;
    }
    case 'today':
      return typeof env.today === 'string' ? env.today : null;
    case 'int': {
      const x = num(argOf(a, 0, env));
      return x === null ? null : Math.trunc(x);
    }
    case 'round': {
      const x = num(argOf(a, 0, env));
      const d = a.length > 1 ? num(argOf(a, 1, env)) : 0;
      return x === null || d === null ? null : roundHalfAway(x, d);
    }
    case 'abs': {
      const x = num(argOf(a, 0, env));
      return x === null ? null : Math.abs(x);
    }
    case 'min':
    case 'max': {
      const xs: number[] = [];
      for (let i = 0; i < a.length; i++) {
        const x = num(argOf(a, i, env));
        if (x === null) return null;
        xs.push(x);
      }
      return e.name === 'min' ? Math.min(...xs) : Math.max(...xs);
    }
    case 'not': {
      const b = truth(argOf(a, 0, env));
      return b === null ? null : !b;
    }
    case 'true':
      return true;
    case 'false':
      return false;
    case 'concat': {
      let out = '';
      for (let i = 0; i < a.length; i++) {
        const s = toText(argOf(a, i, env));
        if (s === null) return null;
        out += s;
      }
      return out;
    }
    case 'string':
      return toText(argOf(a, 0, env));
    case 'number': {
      const v = argOf(a, 0, env);
      if (typeof v === 'number') return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'string') {
        const s = v.trim();
        return /^[+-]?(\d+(\.\d*)?|\.\d+)$/u.test(s) ? Number(s) : null;
      }
      return null;
    }
    default:
      return null;
  }
}

function ev(e: Expr, env: EvalEnv): unknown {
  switch (e.kind) {
    case 'num':
      return norm(e.value);
    case 'str':
      return norm(e.value);
    case 'ref': {
      let v: unknown;
      try {
        v = env.get(e.name);
      } catch {
        v = null;
      }
      return norm(v);
    }
    case 'col': {
      let v: unknown;
      try {
        v = env.column ? env.column(e.name) : null;
      } catch {
        v = null;
      }
      return norm(v);
    }
    case 'self':
      return norm(env.self);
    case 'unary': {
      const x = num(ev(e.operand, env));
      return x === null ? null : norm(-x);
    }
    case 'binary': {
      switch (e.op) {
        case 'and': {
          const l = truth(ev(e.left, env));
          if (l === false) return false;
          const r = truth(ev(e.right, env));
          if (r === false) return false;
          return l === null || r === null ? null : true;
        }
        case 'or': {
          const l = truth(ev(e.left, env));
          if (l === true) return true;
          const r = truth(ev(e.right, env));
          if (r === true) return true;
          return l === null || r === null ? null : false;
        }
        case '=':
        case '!=': {
          // Presence test: comparing with the literal '' asks "is the other side answered?".
          const other = isEmptyStringLiteral(e.right) ? e.left : isEmptyStringLiteral(e.left) ? e.right : null;
          if (other) {
            const answered = ev(other, env) !== null;
            return e.op === '=' ? !answered : answered;
          }
          return compare(e.op, ev(e.left, env), ev(e.right, env));
        }
        case '<':
        case '<=':
        case '>':
        case '>=':
          return compare(e.op, ev(e.left, env), ev(e.right, env));
        default:
          return norm(arithmetic(e.op, ev(e.left, env), ev(e.right, env)));
      }
    }
    case 'call':
      return norm(evalCall(e, env));
    default:
      return null;
  }
}

/**
 * Evaluate without eval/new Function. Never throws for any input data: unknown or wrongly typed values give null.
 * Results: null (unknown), number, string, boolean or the list/other value of a field.
 */
export function evaluate(expr: Expr, env: EvalEnv): unknown {
  try {
    return ev(expr, env);
  } catch {
    return null; // last-resort guard (e.g. a hand-built, absurdly deep tree); parsed trees do not get here
  }
}

/** Truthiness as the validator uses it: null → null (unknown), otherwise boolean (XPath-style for non-booleans). */
export function evaluateCondition(expr: Expr, env: EvalEnv): boolean | null {
  return truth(evaluate(expr, env));
}
