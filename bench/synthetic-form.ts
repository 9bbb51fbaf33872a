/**
 * One spec, three artefacts: a synthetic N-field census form as our form definition, the same form as a JSON Schema
 * (for the ajv comparison), and valid answers for it. Field kinds rotate through what both can express: text with a
 * length limit, integers and decimals with ranges (decimals with 2 places), single and multiple choice, booleans,
 * dates, years and geopoints; two thirds of the fields are required.
 */
import { defineForm, type FormDefinition } from '../functions/domain/forms';
import { seeded } from '../functions/domain/samples';

type Kind = 'text' | 'integer' | 'decimal' | 'select_one' | 'select_multiple' | 'boolean' | 'date' | 'year' | 'geopoint';

interface SpecField {
  name: string;
  kind: Kind;
  required: boolean;
  maxLength?: number;
  min?: number;
  max?: number;
  choices?: string[];
}

const ROTATION: Kind[] = ['text', 'integer', 'decimal', 'select_one', 'text', 'integer', 'decimal', 'select_multiple', 'boolean', 'date', 'text', 'year', 'decimal', 'geopoint'];
const CHOICES = ['brick', 'concrete', 'steel', 'timber', 'earth', 'stone', 'mixed', 'other_material'];

export function syntheticSpec(n = 250): SpecField[] {
  return Array.from({ length: n }, (_, i) => {
    const kind = ROTATION[i % ROTATION.length]!;
    const f: SpecField = { name: `q${String(i + 1).padStart(3, '0')}_${kind}`, kind, required: i % 3 !== 2 };
    if (kind === 'text') f.maxLength = 200;
    if (kind === 'integer') Object.assign(f, { min: 0, max: 100_000 });
    if (kind === 'decimal') Object.assign(f, { min: 0, max: 1_000_000 });
    if (kind === 'year') Object.assign(f, { min: 1900, max: 2020 });
    if (kind === 'select_one' || kind === 'select_multiple') f.choices = CHOICES;
    return f;
  });
}

export function toFormDefinition(spec: SpecField[], id: string, sector: FormDefinition['sector']): FormDefinition {
  return defineForm({
    id,
    version: 1,
    sector,
    part: 'bench',
    title: { zh: `基准测试表（${spec.length}项）`, en: `Benchmark form (${spec.length} fields)` },
    unit: 'object',
    regionLevel: 'village',
    fields: spec.map((f) => {
      const base = { name: f.name, label: { zh: `问题 ${f.name}`, en: `Question ${f.name}` }, required: f.required };
      switch (f.kind) {
        case 'text':
          return { ...base, type: 'text' as const, maxLength: f.maxLength };
        case 'integer':
          return { ...base, type: 'integer' as const, min: f.min, max: f.max };
        case 'decimal':
          return { ...base, type: 'decimal' as const, min: f.min, max: f.max, precision: 2 };
        case 'select_one':
        case 'select_multiple':
          return { ...base, type: f.kind, choices: f.choices!.map((v) => ({ value: v, label: { zh: v, en: v } })) };
        case 'boolean':
          return { ...base, type: 'boolean' as const };
        case 'date':
          return { ...base, type: 'date' as const };
        case 'year':
          return { ...base, type: 'year' as const, min: f.min, max: f.max };
        case 'geopoint':
          return { ...base, type: 'geopoint' as const };
      }
    }),
  });
}

/** The same form as JSON Schema (draft 2020-12 subset ajv compiles): types, ranges, lengths, enums, required, no extra keys. */
export function toJsonSchema(spec: SpecField[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const f of spec) {
    switch (f.kind) {
      case 'text':
        properties[f.name] = { type: 'string', maxLength: f.maxLength };
        break;
      case 'integer':
        properties[f.name] = { type: 'integer', minimum: f.min, maximum: f.max };
        break;
      case 'decimal':
        properties[f.name] = { type: 'number', minimum: f.min, maximum: f.max, multipleOf: 0.01 };
        break;
      case 'select_one':
        properties[f.name] = { type: 'string', enum: f.choices };
        break;
      case 'select_multiple':
        properties[f.name] = { type: 'array', items: { type: 'string', enum: f.choices }, uniqueItems: true };
        break;
      case 'boolean':
        properties[f.name] = { type: 'boolean' };
        break;
      case 'date':
        properties[f.name] = { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$' };
        break;
      case 'year':
        properties[f.name] = { type: 'integer', minimum: f.min, maximum: f.max };
        break;
      case 'geopoint':
        properties[f.name] = {
          type: 'object',
          additionalProperties: false,
          required: ['lat', 'lng'],
          properties: { lat: { type: 'number', minimum: -90, maximum: 90 }, lng: { type: 'number', minimum: -180, maximum: 180 }, accuracy: { type: 'number', minimum: 0 } },
        };
        break;
    }
  }
  return { type: 'object', additionalProperties: false, required: spec.filter((f) => f.required).map((f) => f.name), properties };
}

/** Valid answers to every field (optional ones included), deterministic for a seed. */
export function syntheticAnswers(spec: SpecField[], seed = 1): Record<string, unknown> {
  const rnd = seeded(seed);
  const out: Record<string, unknown> = {};
  for (const f of spec) {
    switch (f.kind) {
      case 'text':
        out[f.name] = `第${Math.floor(rnd() * 1000)}号 住宅楼 调查记录`;
        break;
      case 'integer':
        out[f.name] = Math.floor(rnd() * 1000);
        break;
      case 'decimal':
        out[f.name] = Math.round(rnd() * 100_000) / 100;
        break;
      case 'select_one':
        out[f.name] = f.choices![Math.floor(rnd() * f.choices!.length)];
        break;
      case 'select_multiple':
        out[f.name] = f.choices!.slice(0, 1 + Math.floor(rnd() * 3));
        break;
      case 'boolean':
        out[f.name] = rnd() < 0.5;
        break;
      case 'date':
        out[f.name] = `20${10 + Math.floor(rnd() * 10)}-0${1 + Math.floor(rnd() * 9)}-1${Math.floor(rnd() * 9)}`;
        break;
      case 'year':
        out[f.name] = 1950 + Math.floor(rnd() * 70);
        break;
      case 'geopoint':
        out[f.name] = { lat: 30 + Math.round(rnd() * 1e6) / 1e6, lng: 114 + Math.round(rnd() * 1e6) / 1e6 };
        break;
    }
  }
  return out;
}
