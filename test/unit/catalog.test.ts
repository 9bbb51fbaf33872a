import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../functions/domain/catalog/index';
import { checkDefinition } from '../../functions/domain/form-check';
import { FormDefinition } from '../../functions/domain/forms';
import { generateSample } from '../../functions/domain/samples';
import { validate } from '../../functions/domain/validate';
import { SECTOR_IDS } from '../../functions/domain/sectors';

const TODAY = '2026-11-29';

describe('catalog', () => {
  it('has at least 20 tables, at least 4 per sector, with unique ids', () => {
    expect(CATALOG.length).toBeGreaterThanOrEqual(20);
    for (const s of SECTOR_IDS) expect(CATALOG.filter((e) => e.definition.sector === s).length, s).toBeGreaterThanOrEqual(4);
    const ids = CATALOG.map((e) => e.definition.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('holds the two contract tables of the API with their fixed field names', () => {
    const names = (id: string) => CATALOG.find((e) => e.definition.id === id)?.definition.fields.map((f) => f.name) ?? [];
    expect(names('emergency.shelter')).toEqual(
      expect.arrayContaining(['name', 'shelter_type', 'hazards', 'total_area', 'effective_area', 'capacity', 'location']),
    );
    expect(names('housing.rural-house')).toEqual(
      expect.arrayContaining(['householder', 'floors', 'floor_area', 'year_built', 'structure', 'structure_other', 'strengthened', 'strengthened_year', 'location']),
    );
  });

  for (const entry of CATALOG) {
    const def = entry.definition;
    describe(def.id, () => {
      it('passes the definition schema and the semantic check', () => {
        expect(FormDefinition.safeParse(def).success).toBe(true);
        expect(checkDefinition(def).issues).toEqual([]);
      });

      it('accepts a generated valid sample on submit', () => {
        const r = validate(def, generateSample(def, entry.sample), { mode: 'submit', today: TODAY });
        expect(r.errors).toEqual([]);
        expect(r.ok).toBe(true);
      });

      it('has a violating case for every rule and constraint', () => {
        const constraintCount = def.fields.reduce(
          (n, f) => n + ('constraints' in f ? f.constraints.length : 0) + (f.type === 'repeat' ? f.fields.reduce((m, s) => m + ('constraints' in s ? s.constraints.length : 0), 0) : 0),
          0,
        );
        const errorRules = def.rules.filter((r) => r.severity === 'error').length;
        expect(entry.violations.length).toBeGreaterThanOrEqual(Math.min(1, constraintCount + errorRules));
        for (const r of def.rules.filter((x) => x.severity === 'error')) {
          expect(entry.violations.some((v) => v.path === `data.${r.path}` && (v.code ?? 'rule') === 'rule'), `rule ${r.id} has no violation case`).toBe(true);
        }
      });

      for (const v of entry.violations) {
        it(`rejects: ${v.rule}`, () => {
          const answers = generateSample(def, { ...entry.sample, ...v.patch });
          const r = validate(def, answers, { mode: 'submit', today: TODAY });
          expect(r.ok).toBe(false);
          const hit = r.errors.filter((e) => e.path === v.path);
          expect(hit, JSON.stringify(r.errors)).not.toEqual([]);
          if (v.code) expect(hit.map((e) => e.code)).toContain(v.code);
        });
      }
    });
  }
});
