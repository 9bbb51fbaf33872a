/**
 * Semantic check of a form definition, beyond its shape: unique names, valid references, expressions that parse and
 * type-check against the fields. A definition with issues is never published; the catalog test runs this on every table.
 *
 * Notes hold no answer: an expression, a rule path or a note label that reads one is an issue. A select's
 * `choiceFilter` is parsed in column mode and may read only fields other than its own and columns its choices declare.
 */
import { FormDefinition, type Field, type FormDefinitionInput } from './forms';
import { ExpressionError, parse, references, typeCheck, type Expr, type ValueType } from './expressions';
import { labelReferences } from './form-fields';
import { hasPart } from './sectors';

export interface DefinitionIssue {
  path: string;
  code: string;
  message: string;
}

/** The expression type of an answer of a field of this type (a calculation's is its expression's, known to the caller). */
export function fieldValueType(type: string): ValueType {
  switch (type) {
    case 'text':
    case 'select_one':
    case 'region':
      return 'string';
    case 'integer':
    case 'decimal':
    case 'year':
      return 'number';
    case 'date':
      return 'date';
    case 'select_multiple':
      return 'list';
    case 'boolean':
      return 'boolean';
    default:
      return 'any';
  }
}

const valueType = (f: Field, calcTypes: Map<string, ValueType>): ValueType =>
  f.type === 'calculate' ? (calcTypes.get(f.name) ?? 'any') : fieldValueType(f.type);

/** Parse a definition and check its semantics. Returns the parsed definition when there are no issues. */
export function checkDefinition(input: FormDefinitionInput | FormDefinition): { definition?: FormDefinition; issues: DefinitionIssue[] } {
  const parsed = FormDefinition.safeParse(input);
  if (!parsed.success) {
    return {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), code: 'schema', message: i.message })),
    };
  }
  const def = parsed.data;
  const issues: DefinitionIssue[] = [];
  const add = (path: string, code: string, message: string) => issues.push({ path, code, message });

  if (!hasPart(def.sector, def.part)) add('part', 'unknown-part', `sector ${def.sector} has no part ${def.part}`);

  const sectionIds = new Set<string>();
  def.sections.forEach((s, i) => {
    if (sectionIds.has(s.id)) add(`sections.${i}.id`, 'duplicate', `duplicate section ${s.id}`);
    sectionIds.add(s.id);
  });

  // Names are unique across the whole form (repeat sub-fields included), so exports can use flat columns.
  const top = new Map<string, Field>();
  const seen = new Set<string>();
  const visit = (f: Field, path: string, siblings: readonly Field[]) => {
    if (seen.has(f.name)) add(`${path}.name`, 'duplicate', `duplicate field name ${f.name}`);
    seen.add(f.name);
    if (f.section && !sectionIds.has(f.section)) add(`${path}.section`, 'unknown-section', `no section ${f.section}`);
    if ((f.type === 'integer' || f.type === 'decimal' || f.type === 'year') && f.min !== undefined && f.max !== undefined && f.min > f.max) {
      add(path, 'range', 'min is greater than max');
    }
    if (f.type === 'date' && f.min && f.max && f.min > f.max) add(path, 'range', 'min is after max');
    if (f.type === 'repeat' && f.minRows > f.maxRows) add(path, 'range', 'minRows is greater than maxRows');
    if (f.type === 'select_multiple' && f.minSelected !== undefined && f.maxSelected !== undefined && f.minSelected > f.maxSelected) {
      add(path, 'range', 'minSelected is greater than maxSelected');
    }
    if (f.type === 'select_one' || f.type === 'select_multiple') {
      const values = new Set<string>();
      f.choices.forEach((c, i) => {
        if (values.has(c.value)) add(`${path}.choices.${i}`, 'duplicate', `duplicate choice ${c.value}`);
        values.add(c.value);
      });
      if (f.other) {
        if (!values.has(f.other.value)) add(`${path}.other.value`, 'unknown-choice', `no choice ${f.other.value}`);
        const target = siblings.find((s) => s.name === f.other!.field);
        if (!target || target.type !== 'text') add(`${path}.other.field`, 'unknown-field', `${f.other.field} must be a text field beside ${f.name}`);
      }
    }
  };
  def.fields.forEach((f, i) => {
    top.set(f.name, f);
    visit(f, `fields.${i}`, def.fields);
    if (f.type === 'repeat') f.fields.forEach((sf, j) => visit(sf, `fields.${i}.fields.${j}`, f.fields));
  });

  // Expressions: parse, resolve references, type-check. Calculations are typed in definition order.
  const calcTypes = new Map<string, ValueType>();
  const lookup = (name: string, scope: Map<string, Field>) => scope.get(name) ?? top.get(name);
  interface CheckOptions {
    /** Column mode: the columns the filtered choices declare. */
    columns?: ReadonlySet<string>;
    /** The field the expression belongs to, when it may not read that field (a choice filter). */
    owner?: string;
  }
  const check = (src: string, path: string, scope: Map<string, Field>, self: ValueType | undefined, want: 'boolean' | 'any', opts: CheckOptions = {}) => {
    let expr: Expr;
    try {
      expr = parse(src, { columns: opts.columns !== undefined });
    } catch (e) {
      if (e instanceof ExpressionError) return void add(path, e.code, `${e.message} (at ${e.position})`);
      throw e;
    }
    const resolve = (name: string) => {
      const f = lookup(name, scope);
      // A note resolves (so the issue below is the only one), but it has no value to read.
      return f ? (f.type === 'note' ? 'any' : valueType(f, calcTypes)) : undefined;
    };
    const columns = opts.columns;
    const r = typeCheck(expr, resolve, self, columns && ((name) => (columns.has(name) ? 'string' : undefined)));
    for (const i of r.issues) add(path, i.code, `${i.message} (at ${i.position})`);
    for (const name of references(expr)) {
      if (lookup(name, scope)?.type === 'note') add(path, 'expr.note-reference', `\${${name}} is a note, which has no value`);
      if (name === opts.owner) add(path, 'expr.self-reference', `a choice filter cannot read its own field \${${name}}`);
    }
    if (want === 'boolean' && r.issues.length === 0 && r.type !== 'boolean' && r.type !== 'any') {
      add(path, 'expr.type', `expected a condition, got ${r.type}`);
    }
    return r.type;
  };
  const checkField = (f: Field, path: string, scope: Map<string, Field>) => {
    if (f.relevant) check(f.relevant, `${path}.relevant`, scope, undefined, 'boolean');
    if ((f.type === 'select_one' || f.type === 'select_multiple') && f.choiceFilter !== undefined) {
      const columns = new Set(f.choices.flatMap((c) => Object.keys(c.columns ?? {})));
      check(f.choiceFilter, `${path}.choiceFilter`, scope, undefined, 'boolean', { columns, owner: f.name });
    }
    if (f.type === 'note') {
      for (const part of ['label', 'hint'] as const) {
        const text = f[part];
        if (!text) continue;
        for (const lang of ['zh', 'en'] as const) {
          for (const name of labelReferences(text[lang])) {
            const target = lookup(name, scope);
            if (!target) add(`${path}.${part}.${lang}`, 'unknown-field', `unknown field \${${name}}`);
            else if (target.type === 'note') add(`${path}.${part}.${lang}`, 'expr.note-reference', `\${${name}} is a note, which has no value`);
          }
        }
      }
    }
    if ('required' in f && typeof f.required === 'string') check(f.required, `${path}.required`, scope, undefined, 'boolean');
    if ('constraints' in f) {
      f.constraints.forEach((k, i) => check(k.expr, `${path}.constraints.${i}.expr`, scope, valueType(f, calcTypes), 'boolean'));
    }
    if (f.type === 'calculate') {
      const t = check(f.calculate, `${path}.calculate`, scope, undefined, 'any');
      if (t) calcTypes.set(f.name, t);
    }
  };
  const empty = new Map<string, Field>();
  def.fields.forEach((f, i) => {
    checkField(f, `fields.${i}`, empty);
    if (f.type === 'repeat') {
      const scope = new Map(f.fields.map((sf) => [sf.name, sf] as const));
      f.fields.forEach((sf, j) => checkField(sf, `fields.${i}.fields.${j}`, scope));
    }
  });

  const ruleIds = new Set<string>();
  def.rules.forEach((r, i) => {
    if (ruleIds.has(r.id)) add(`rules.${i}.id`, 'duplicate', `duplicate rule ${r.id}`);
    ruleIds.add(r.id);
    if (!top.has(r.path)) add(`rules.${i}.path`, 'unknown-field', `rule path ${r.path} is not a top-level field`);
    else if (top.get(r.path)!.type === 'note') add(`rules.${i}.path`, 'note-path', `rule path ${r.path} is a note, which has no answer`);
    check(r.expr, `rules.${i}.expr`, empty, undefined, 'boolean');
  });

  return issues.length ? { issues } : { definition: def, issues };
}
