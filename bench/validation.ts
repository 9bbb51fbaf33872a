/**
 * Item 2: validating one 250-field submission with our validator (submit mode: every required field, type, range,
 * choice and format; NFC-normalised, cleaned copy of the answers) vs ajv's compiled JSON Schema of the same form.
 * Interleaved batches on the same data; per-submission time from each batch; medians over batches.
 */
import Ajv from 'ajv';
import { validate } from '../functions/domain/validate';
import { median, now } from './lib';
import { syntheticAnswers, syntheticSpec, toFormDefinition, toJsonSchema } from './synthetic-form';

export interface ValidationFigures {
  oursUs: number;
  ajvUs: number;
  ratio: number;
  fields: number;
  rounds: number;
}

export function benchValidation(fields = 250, rounds = 25): ValidationFigures {
  const spec = syntheticSpec(fields);
  const def = toFormDefinition(spec, 'housing.bench-validate', 'housing');
  const schema = toJsonSchema(spec);
  const ajv = new Ajv({ allErrors: true, multipleOfPrecision: 8 });
  const check = ajv.compile(schema);
  const samples = Array.from({ length: 64 }, (_, i) => syntheticAnswers(spec, i + 1));
  const today = '2021-10-01';
  for (const s of samples) {
    const r = validate(def, s, { mode: 'submit', today });
    if (!r.ok) throw new Error(`synthetic answers fail our validator: ${JSON.stringify(r.errors.slice(0, 3))}`);
    if (!check(s)) throw new Error(`synthetic answers fail the JSON Schema: ${JSON.stringify(check.errors?.slice(0, 3))}`);
  }
  // Both reject the same broken answers (a sanity check that the schemas are equivalent where it matters).
  const broken = { ...samples[0], [spec[1]!.name]: 'many' };
  if (validate(def, broken, { mode: 'submit', today }).ok || check(broken)) throw new Error('a wrong type passes one of the validators');

  let sink = 0;
  const batch = (fn: (s: Record<string, unknown>) => boolean, n: number) => {
    const t = now();
    for (let i = 0; i < n; i++) if (fn(samples[i % samples.length]!)) sink++;
    return ((now() - t) * 1000) / n; // µs per submission
  };
  const ours = (s: Record<string, unknown>) => validate(def, s, { mode: 'submit', today }).ok;
  const theirs = (s: Record<string, unknown>) => check(s) as boolean;
  // Warm-up (JIT) for both.
  batch(ours, 2_000);
  batch(theirs, 20_000);
  // Size batches to ~20 ms each.
  const nOurs = Math.max(50, Math.round(20_000 / batch(ours, 200)));
  const nAjv = Math.max(500, Math.round(20_000 / batch(theirs, 2_000)));
  const a: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let x: number;
    let y: number;
    if (r % 2) {
      x = batch(ours, nOurs);
      y = batch(theirs, nAjv);
    } else {
      y = batch(theirs, nAjv);
      x = batch(ours, nOurs);
    }
    a.push(x);
    b.push(y);
    ratios.push(x / y);
  }
  if (sink === 0) throw new Error('nothing validated');
  return { oursUs: median(a), ajvUs: median(b), ratio: median(ratios), fields, rounds };
}
