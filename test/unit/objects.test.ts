/** The pure survey-object rules (functions/domain/objects.ts) and the import row checks of manage-objects.ts. */
import { describe, expect, it } from 'vitest';
import { checkObjectRows } from '../../functions/app/manage-objects';
import { DEMO_REGIONS } from '../../infra/local/demo-district';
import {
  distanceMetres,
  insideChina,
  linkedObject,
  nearestFirst,
  objectCountDelta,
  objectEffect,
  objectId,
  parseObjectId,
  type SurveyObject,
} from '../../functions/domain/objects';

const base: SurveyObject = {
  id: objectId('housing.rural-house', 'H1'),
  formId: 'housing.rural-house',
  regionCode: '420999001001',
  code: 'H1',
  name: '张家',
  status: 'pending',
  version: 3,
  createdAt: 't0',
  createdBy: 'a',
  updatedAt: 't0',
  updatedBy: 'a',
};

describe('object ids', () => {
  it('are the form and the code, and parse back; a string without a code is not one', () => {
    expect(objectId('emergency.school', '4209990010')).toBe('emergency.school~4209990010');
    expect(parseObjectId('emergency.school~4209990010')).toEqual({ formId: 'emergency.school', code: '4209990010' });
    expect(parseObjectId('emergency.school')).toBeNull();
    expect(parseObjectId('~abc')).toBeNull();
    expect(parseObjectId('f~has space')).toBeNull();
  });
});

describe('cell counters', () => {
  it('move with the status: duplicates are not listed, not-required and surveyed are counted', () => {
    expect(objectCountDelta(null, 'pending')).toEqual({ objects: 1, listed: 1 });
    expect(objectCountDelta(null, 'duplicate')).toEqual({ objects: 1 });
    expect(objectCountDelta('pending', 'not-required')).toEqual({ notRequired: 1 });
    expect(objectCountDelta('pending', 'duplicate')).toEqual({ listed: -1 });
    expect(objectCountDelta('not-required', 'pending')).toEqual({ notRequired: -1 });
    expect(objectCountDelta('surveyed', null)).toEqual({ objects: -1, listed: -1, surveyed: -1 });
    expect(objectCountDelta('pending', 'pending')).toEqual({});
  });

  it("a record's effect: created claims, voided releases, approval moves surveyedApproved", () => {
    expect(objectEffect(undefined, null, 'draft')).toBeUndefined();
    expect(objectEffect('o', null, 'draft')).toEqual({ id: 'o', link: 'claim', counters: { surveyed: 1 } });
    expect(objectEffect('o', null, 'submitted')).toEqual({ id: 'o', link: 'claim', counters: { surveyed: 1 } });
    expect(objectEffect('o', 'submitted', 'approved')).toEqual({ id: 'o', link: 'keep', counters: { surveyedApproved: 1 } });
    expect(objectEffect('o', 'approved', 'returned')).toEqual({ id: 'o', link: 'keep', counters: { surveyedApproved: -1 } });
    expect(objectEffect('o', 'approved', 'voided')).toEqual({ id: 'o', link: 'release', counters: { surveyed: -1, surveyedApproved: -1 } });
    expect(objectEffect('o', 'draft', 'voided')).toEqual({ id: 'o', link: 'release', counters: { surveyed: -1 } });
    expect(objectEffect('o', 'draft', 'submitted')).toEqual({ id: 'o', link: 'keep', counters: {} });
  });

  it('a claim needs a pending free object; a release needs the same record', () => {
    const claimed = linkedObject(base, 'claim', 's1', 't1', 'u');
    expect(claimed).toMatchObject({ status: 'surveyed', submissionId: 's1', version: 4, updatedAt: 't1', updatedBy: 'u' });
    expect(linkedObject(claimed!, 'claim', 's2', 't2', 'u')).toBeNull();
    expect(linkedObject({ ...base, status: 'not-required' }, 'claim', 's1', 't1', 'u')).toBeNull();
    expect(linkedObject(claimed!, 'release', 's2', 't2', 'u')).toBeNull();
    const released = linkedObject(claimed!, 'release', 's1', 't2', 'u')!;
    expect([released.status, 'submissionId' in released, released.version]).toEqual(['pending', false, 5]);
    expect(linkedObject(base, 'keep', 's1', 't1', 'u')).toBe(base);
  });
});

describe('geometry helpers', () => {
  it('distances on the sphere; nearest first with unplaced objects last by code', () => {
    // One degree of latitude is about 111.2 km.
    expect(distanceMetres({ lat: 30, lng: 114 }, { lat: 31, lng: 114 })).toBeCloseTo(111_195, -2);
    expect(distanceMetres({ lat: 30.6, lng: 114.3 }, { lat: 30.6, lng: 114.3 })).toBe(0);
    const objs = [
      { code: 'C', location: { lat: 30.7, lng: 114.3 } },
      { code: 'B' },
      { code: 'A', location: { lat: 30.61, lng: 114.3 } },
      { code: 'D' },
    ];
    expect(nearestFirst(objs, { lat: 30.6, lng: 114.3 }).map((o) => o.code)).toEqual(['A', 'C', 'B', 'D']);
    expect(nearestFirst(objs, null).map((o) => o.code)).toEqual(['A', 'B', 'C', 'D']);
  });

  it('China: a swapped pair falls outside', () => {
    expect(insideChina({ lat: 30.6, lng: 114.3 })).toBe(true);
    expect(insideChina({ lat: 114.3, lng: 30.6 })).toBe(false);
    expect(insideChina({ lat: 0, lng: 0 })).toBe(false);
  });
});

describe('import row checks', () => {
  const form = { id: 'housing.rural-house', regionLevel: 'village' as const, sector: 'housing' as const };
  const row = (n: number, over: Partial<{ code: string; name: string; regionCode: string; lat: string; lng: string }> = {}) => ({
    row: n,
    code: `H${n}`,
    name: `户${n}`,
    regionCode: '420999001001',
    lat: '30.6',
    lng: '114.3',
    ...over,
  });

  it('keeps valid rows with their location and locates every problem', () => {
    const r = checkObjectRows(
      [row(2), row(3, { lat: '', lng: '' }), row(4, { code: 'H2' }), row(5, { regionCode: '420999002001' }), row(6, { lat: 'abc' }), row(7, { code: '' })],
      form,
      DEMO_REGIONS,
      (c) => c.startsWith('420999001'),
    );
    expect(r.valid.map((v) => [v.code, v.location ?? null])).toEqual([
      ['H2', { lat: 30.6, lng: 114.3 }],
      ['H3', null],
    ]);
    expect(r.errors.map((e) => [e.row, e.column, e.code])).toEqual([
      [4, 'code', 'code.duplicate'],
      [5, 'region_code', 'region.outside-scope'],
      [6, 'lat', 'location.invalid'],
      [7, 'code', 'code.missing'],
    ]);
  });
});
