/**
 * The validator compiles a plan per definition object (cached in a WeakMap) and takes fast paths for text, decimals
 * and dates. These tests pin that the cache never leaks between definitions, that a cached run equals a first run,
 * and that every fast path gives exactly what the plain computation gives.
 */
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../functions/domain/catalog/index';
import { defineForm, type FieldInput, type FormDefinition } from '../../functions/domain/forms';
import { isCalendarDate } from '../../functions/domain/identifiers';
import { generateSample, seeded } from '../../functions/domain/samples';
import { compile, validate, type Answers, type ValidateOptions } from '../../functions/domain/validate';

const L = (zh: string, en = zh) => ({ zh, en });
const SUBMIT: ValidateOptions = { mode: 'submit', today: '2021-10-01' };
const DRAFT: ValidateOptions = { mode: 'draft', today: '2021-10-01' };
const choices = (...vs: string[]) => vs.map((value) => ({ value, label: L(value) }));

/** Two versions of one form (same id): v2 adds a choice, changes a range and a relevance, adds fields and a rule. */
function versions(): [FormDefinition, FormDefinition] {
  const common = { id: 'housing.versioned', sector: 'housing', part: 'bench', title: L('版本表'), unit: 'object', regionLevel: 'village' } as const;
  const v1 = defineForm({
    ...common,
    version: 1,
    fields: [
      { name: 'kind', type: 'select_one', label: L('类型'), required: true, choices: choices('a', 'b') },
      { name: 'floors', type: 'integer', label: L('层数'), required: true, min: 1, max: 10 },
      { name: 'note', type: 'text', label: L('备注'), maxLength: 5, relevant: "${kind} = 'a'" },
      { name: 'rows', type: 'repeat', label: L('行'), fields: [{ name: 'qty', type: 'integer', label: L('数量'), required: true }] },
    ],
  });
  const v2 = defineForm({
    ...common,
    version: 2,
    fields: [
      { name: 'kind', type: 'select_one', label: L('类型'), required: true, choices: choices('a', 'b', 'c') },
      { name: 'floors', type: 'integer', label: L('层数'), required: true, min: 1, max: 100 },
      { name: 'note', type: 'text', label: L('备注'), maxLength: 50, relevant: "${kind} = 'c'" },
      { name: 'area', type: 'decimal', label: L('面积'), required: true, precision: 1 },
      { name: 'double', type: 'calculate', label: L('双倍'), calculate: '${floors} * 2' },
      {
        name: 'rows',
        type: 'repeat',
        label: L('行'),
        fields: [
          { name: 'qty', type: 'integer', label: L('数量'), required: true },
          { name: 'spare', type: 'integer', label: L('备用'), constraints: [{ expr: '. <= ${qty}', message: L('备用过多') }] },
        ],
      },
    ],
    rules: [{ id: 'floors-le-50', expr: '${floors} <= 50', path: 'floors', message: L('层数过多') }],
  });
  return [v1, v2];
}

const codes = (r: ReturnType<typeof validate>) => r.errors.map((e) => `${e.path}:${e.code}`);

describe('validation plan cache', () => {
  it('keeps one plan per definition object: two versions of a form id never share one', () => {
    const [v1, v2] = versions();
    expect(v1.id).toBe(v2.id);
    expect(compile(v1)).toBe(compile(v1));
    expect(compile(v1)).not.toBe(compile(v2));

    const answers = { kind: 'c', floors: 60, note: '一二三四五六七', area: 12.5, rows: [{ qty: 1, spare: 2 }] };
    // v1 first (its plan is cached), then v2, then v1 again: each sees only its own fields, choices, ranges and rules.
    const first1 = validate(v1, answers, SUBMIT);
    const r2 = validate(v2, answers, SUBMIT);
    const again1 = validate(v1, answers, SUBMIT);
    expect(codes(first1)).toEqual(['data.area:unknown-key', 'data.kind:choice', 'data.floors:max', 'data.note:too-long', 'data.rows[0].spare:unknown-key', 'data.kind:required']);
    expect(first1.data).toEqual({ floors: 60, rows: [{ qty: 1 }] });
    expect(codes(r2)).toEqual(['data.rows[0].spare:constraint', 'data.floors:rule']);
    expect(r2.data).toEqual({ kind: 'c', floors: 60, note: '一二三四五六七', area: 12.5, double: 120, rows: [{ qty: 1, spare: 2 }] });
    expect(again1).toEqual(first1);

    // The other way round, on fresh objects (nothing cached yet): v2 first, then v1.
    const [w1, w2] = versions();
    expect(validate(w2, answers, SUBMIT)).toEqual(r2);
    expect(validate(w1, answers, SUBMIT)).toEqual(first1);
    // Relevance is per version: 'a' makes note relevant in v1 (and too long there), irrelevant (dropped) in v2.
    const a = { kind: 'a', floors: 5, note: '一二三四五六七', area: 1, rows: [{ qty: 1 }] };
    const { area: _, ...withoutArea } = a;
    expect(codes(validate(w1, withoutArea, SUBMIT))).toEqual(['data.note:too-long']);
    expect(validate(w2, a, SUBMIT).data).toEqual({ kind: 'a', floors: 5, area: 1, double: 10, rows: [{ qty: 1 }] });
  });

  it('gives a cached run exactly the results of a first run (every catalog form, valid and broken answers)', () => {
    const rnd = seeded(42);
    let compared = 0;
    for (const entry of CATALOG) {
      const sample = generateSample(entry.definition, entry.sample, { regionCode: '420102001001' });
      const inputs: unknown[] = [sample, {}, { ...sample, no_such_field: 1 }];
      for (const v of entry.violations) inputs.push(generateSample(entry.definition, { ...entry.sample, ...v.patch }, { regionCode: '420102001001' }));
      // Break a few answers with wrong types / empty values.
      for (let i = 0; i < 5; i++) {
        const broken: Answers = structuredClone(sample);
        const f = entry.definition.fields[Math.floor(rnd() * entry.definition.fields.length)]!;
        broken[f.name] = [null, '', 'x', -1, 1.234567, true, [], { lat: 1 }][i % 8];
        inputs.push(broken);
      }
      for (const input of inputs) {
        for (const opts of [SUBMIT, DRAFT]) {
          // A structural copy is a new object: no plan cached for it, so this is a first (compiling) run.
          const fresh = structuredClone(entry.definition);
          const first = validate(fresh, structuredClone(input), opts);
          const cached = validate(fresh, structuredClone(input), opts);
          const original = validate(entry.definition, structuredClone(input), opts);
          expect(cached).toEqual(first);
          expect(original).toEqual(first);
          // Key order of the cleaned answers is part of the result too.
          expect(JSON.stringify(cached)).toBe(JSON.stringify(first));
          compared++;
        }
      }
    }
    expect(CATALOG.length).toBe(32);
    expect(compared).toBeGreaterThan(32 * 2 * 8);
  });

  it('does not let validation mutate the definition or the answers', () => {
    const [, v2] = versions();
    const def = structuredClone(v2);
    const answers = { kind: 'c', floors: 3, note: ' 备注 ', area: 2.5, rows: [{ qty: 2, spare: 1 }] };
    const copy = structuredClone(answers);
    validate(def, answers, SUBMIT);
    validate(def, answers, SUBMIT);
    expect(def).toEqual(v2);
    expect(answers).toEqual(copy);
  });
});

/** A one-field form. */
function oneField(field: FieldInput): FormDefinition {
  return defineForm({ id: 'housing.one-field', version: 1, sector: 'housing', part: 'bench', title: L('单项'), unit: 'object', regionLevel: 'village', fields: [field] });
}

describe('validator fast paths agree with the plain computation', () => {
  it('decimal places: the same verdict as Number(x.toFixed(p)) === x', () => {
    const rnd = seeded(7);
    const edge = [0, -0, 0.1, 0.29, 0.1 + 0.2, 1.005, 1.015, 2.675, 123.45, 123.456, 1e15, -1e15, 1e-7, 5e-324, 0.5, 99.995, 1234.5678];
    for (const p of [0, 1, 2, 3, 6, 8]) {
      const def = oneField({ name: 'x', type: 'decimal', label: L('数'), precision: p });
      const m = 10 ** p;
      const values = [...edge];
      // Around the fast path's bound |x|·10^p = 2^51, and ordinary values of every size.
      for (const k of [-2, -1, 0, 1, 2]) values.push((2 ** 51 + k) / m, -(2 ** 51 + k) / m, (2 ** 51 + k * 0.5) / m);
      for (let i = 0; i < 3000; i++) {
        const scale = 10 ** Math.floor(rnd() * 16);
        const places = Math.floor(rnd() * 10);
        values.push(Math.round((rnd() - 0.3) * scale * 10 ** places) / 10 ** places, (rnd() - 0.5) * scale);
      }
      for (const x of values) {
        if (Math.abs(x) > 1e15) continue; // a type error before precision is looked at
        const r = validate(def, { x }, DRAFT);
        const expected = Number(x.toFixed(p)) === x;
        expect({ x, p, ok: !r.errors.some((e) => e.code === 'precision') }).toEqual({ x, p, ok: expected });
      }
    }
  });

  it('dates: the same verdict as isCalendarDate', () => {
    const def = oneField({ name: 'd', type: 'date', label: L('日期') });
    const strings = ['2020-02-29', '2021-02-29', '1900-02-29', '2000-02-29', '2400-02-29', '2100-02-29', '0000-01-01', '9999-12-31', '2020-00-10', '2020-13-01', '2020-01-00', '2020-01-32', '2020-04-31', '2020-1-01', '2020-01-1', '20200101', '2020/01/01', '2020-01-01 ', ' 2020-01-01', '2020-01-01\n', '２０２０-01-01', '2020-0a-01', '2020--1-01', '-020-01-01', ''];
    for (let y = 1896; y <= 2404; y += 4) for (const md of ['02-28', '02-29', '02-30', '04-30', '04-31', '12-31']) strings.push(`${y}-${md}`, `${y + 1}-${md}`);
    const rnd = seeded(3);
    const alphabet = '0123456789-/x ';
    for (let i = 0; i < 3000; i++) {
      const chars = [...'2021-06-15'];
      chars[Math.floor(rnd() * 10)] = alphabet[Math.floor(rnd() * alphabet.length)]!;
      strings.push(chars.join(''));
    }
    for (const d of strings) {
      const r = validate(def, { d }, DRAFT);
      expect({ d, ok: !r.errors.some((e) => e.code === 'date') }).toEqual({ d, ok: isCalendarDate(d) });
    }
  });

  it('text length counts code points ([...s].length), surrogate pairs as one and lone surrogates as one', () => {
    const def = oneField({ name: 't', type: 'text', label: L('文本'), minLength: 3, maxLength: 4 });
    const cases = ['😀😀😀😀', '😀😀😀😀😀', 'ab😀', '😀', 'ab', 'abcd', 'abcde', '\ud800\ud800\ud800', '\udc00\ud83d\ude00a', 'a\ud83d', '一二三四', '一二三四五'];
    for (const t of cases) {
      const len = [...t.normalize('NFC').trim()].length;
      const expected = [...(len > 4 ? ['too-long'] : []), ...(len < 3 ? ['too-short'] : [])];
      expect({ t, codes: validate(def, { t }, SUBMIT).errors.map((e) => e.code) }).toEqual({ t, codes: expected });
    }
  });

  it('text is normalised to NFC exactly as String.prototype.normalize does, including the ranges it skips', () => {
    const def = oneField({ name: 't', type: 'text', label: L('文本'), maxLength: 10_000 });
    const clean = (t: string) => validate(def, { t }, DRAFT).data.t;
    // The ranges the validator treats as already-NFC, as whole runs (so every neighbouring pair is covered too).
    const ranges: [number, number][] = [[0x21, 0x2ff], [0x3000, 0x3029], [0x4e00, 0x9fff], [0xff01, 0xff5e]];
    for (const [lo, hi] of ranges) {
      for (let start = lo; start <= hi; start += 5000) {
        const units = [];
        for (let c = start; c <= Math.min(hi, start + 4999); c++) units.push(c);
        const run = String.fromCharCode(...units);
        expect(run.normalize('NFC')).toBe(run);
        expect(clean(run)).toBe(run.normalize('NFC').trim());
        const reversed = String.fromCharCode(...units.reverse());
        expect(clean(reversed)).toBe(reversed.normalize('NFC').trim());
      }
    }
    // Anything else goes through the normaliser.
    for (const t of ['e\u0301', 'A\u030a', '\u212b', '\u1100\u1161', 'か\u3099', '〇\u302a', 'ＡＢ\u0301', '第1号 e\u0301 测试', '\ufb01', '\uf900']) {
      expect(clean(t)).toBe(t.normalize('NFC').trim());
    }
  });
});
