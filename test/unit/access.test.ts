import { describe, expect, it } from 'vitest';
import { ACTIONS, can, scopeFor, type Action } from '../../functions/domain/access';
import type { Principal } from '../../functions/domain/principal';

const COUNTY = '420102000000';
const T1 = '420102001000';
const V11 = '420102001001';
const T2 = '420102002000';
const V21 = '420102002001';

const admin: Principal = { userId: 'a', role: 'admin', sector: null, regions: [] };
const viewer: Principal = { userId: 'v', role: 'viewer', sector: null, regions: [COUNTY] };
const staffE1: Principal = { userId: 's', role: 'staff', sector: 'emergency', regions: [T1] };
const reviewerE: Principal = { userId: 'r', role: 'reviewer', sector: 'emergency', regions: [COUNTY] };
const reviewerE2: Principal = { userId: 'r2', role: 'reviewer', sector: 'emergency', regions: [T2] };

const SUBMISSION_ACTIONS: Action[] = ['submission.read', 'submission.write', 'submission.review', 'submission.admin'];

describe('access: admin', () => {
  it('may do everything, in any sector and region, even with no regions listed', () => {
    for (const action of ACTIONS) {
      expect(can(admin, action)).toBe(true);
      expect(can(admin, action, { sector: 'housing', regionCode: V21 })).toBe(true);
    }
  });
  it('has no list filter', () => {
    expect(scopeFor(admin, 'submission.read')).toEqual({ sectors: 'all', regions: 'all' });
    expect(scopeFor(admin, 'submission.review')).toEqual({ sectors: 'all', regions: 'all' });
  });
});

describe('access: staff', () => {
  it('reads and writes their own sector inside their regions', () => {
    expect(can(staffE1, 'submission.read', { sector: 'emergency', regionCode: V11 })).toBe(true);
    expect(can(staffE1, 'submission.write', { sector: 'emergency', regionCode: V11 })).toBe(true);
    expect(can(staffE1, 'submission.write', { sector: 'emergency', regionCode: T1 })).toBe(true);
    expect(can(staffE1, 'export.create', { sector: 'emergency', regionCode: T1 })).toBe(true);
  });
  it('cannot read, write or export another sector, even in their own region', () => {
    for (const a of ['submission.read', 'submission.write', 'export.create'] as Action[]) {
      expect(can(staffE1, a, { sector: 'housing', regionCode: V11 })).toBe(false);
    }
  });
  it('cannot read, write or export their sector in another region, nor above their region', () => {
    for (const a of ['submission.read', 'submission.write', 'export.create'] as Action[]) {
      expect(can(staffE1, a, { sector: 'emergency', regionCode: V21 })).toBe(false);
      expect(can(staffE1, a, { sector: 'emergency', regionCode: T2 })).toBe(false);
      expect(can(staffE1, a, { sector: 'emergency', regionCode: COUNTY })).toBe(false);
    }
  });
  it('cannot review, administer, set targets or manage members', () => {
    for (const a of ['submission.review', 'submission.admin', 'targets.write', 'members.manage'] as Action[]) {
      expect(can(staffE1, a)).toBe(false);
      expect(can(staffE1, a, { sector: 'emergency', regionCode: V11 })).toBe(false);
    }
  });
  it('reads progress (any sector) only inside their regions; reads regions and forms', () => {
    expect(can(staffE1, 'progress.read', { regionCode: T1 })).toBe(true);
    expect(can(staffE1, 'progress.read', { regionCode: V11, sector: 'housing' })).toBe(true);
    expect(can(staffE1, 'progress.read', { regionCode: COUNTY })).toBe(false);
    expect(can(staffE1, 'progress.read', { regionCode: T2 })).toBe(false);
    expect(can(staffE1, 'regions.read')).toBe(true);
    expect(can(staffE1, 'forms.read')).toBe(true);
  });
  it('lists only their sector in their regions', () => {
    expect(scopeFor(staffE1, 'submission.read')).toEqual({ sectors: ['emergency'], regions: [T1] });
    expect(scopeFor(staffE1, 'submission.write')).toEqual({ sectors: ['emergency'], regions: [T1] });
    expect(scopeFor(staffE1, 'submission.review')).toEqual({ sectors: [], regions: [] });
    expect(scopeFor(staffE1, 'progress.read')).toEqual({ sectors: 'all', regions: [T1] });
  });
});

describe('access: reviewer', () => {
  it('reads and reviews their sector in their regions but never writes', () => {
    expect(can(reviewerE, 'submission.read', { sector: 'emergency', regionCode: V21 })).toBe(true);
    expect(can(reviewerE, 'submission.review', { sector: 'emergency', regionCode: V21 })).toBe(true);
    expect(can(reviewerE, 'submission.write', { sector: 'emergency', regionCode: V21 })).toBe(false);
    expect(can(reviewerE, 'submission.write')).toBe(false);
    expect(can(reviewerE, 'submission.admin', { sector: 'emergency', regionCode: V21 })).toBe(false);
    expect(can(reviewerE, 'export.create', { sector: 'emergency', regionCode: V21 })).toBe(true);
  });
  it('cannot read or review another sector, or outside their regions', () => {
    expect(can(reviewerE, 'submission.read', { sector: 'forestry', regionCode: V11 })).toBe(false);
    expect(can(reviewerE, 'submission.review', { sector: 'forestry', regionCode: V11 })).toBe(false);
    expect(can(reviewerE2, 'submission.read', { sector: 'emergency', regionCode: V11 })).toBe(false);
    expect(can(reviewerE2, 'submission.review', { sector: 'emergency', regionCode: V11 })).toBe(false);
    expect(can(reviewerE2, 'submission.review', { sector: 'emergency', regionCode: V21 })).toBe(true);
  });
  it('reads progress, not targets or members', () => {
    expect(can(reviewerE, 'progress.read', { regionCode: COUNTY })).toBe(true);
    expect(can(reviewerE, 'targets.write')).toBe(false);
    expect(can(reviewerE, 'members.manage')).toBe(false);
  });
  it('review queue scope is their sector and regions', () => {
    expect(scopeFor(reviewerE2, 'submission.review')).toEqual({ sectors: ['emergency'], regions: [T2] });
    expect(scopeFor(reviewerE2, 'submission.write')).toEqual({ sectors: [], regions: [] });
  });
});

describe('access: viewer', () => {
  it('reads progress, regions, forms and the survey lists of their regions only', () => {
    const allowed = ACTIONS.filter((a) => can(viewer, a));
    expect(allowed.sort()).toEqual(['forms.read', 'objects.read', 'progress.read', 'regions.read']);
    expect(can(viewer, 'objects.read', { regionCode: V21, sector: 'housing' })).toBe(true);
    expect(can({ ...viewer, regions: [V21] }, 'objects.read', { regionCode: V11, sector: 'housing' })).toBe(false);
    expect(can(viewer, 'progress.read', { regionCode: V21, sector: 'housing' })).toBe(true);
    for (const a of [...SUBMISSION_ACTIONS, 'export.create' as Action]) {
      expect(can(viewer, a, { sector: 'emergency', regionCode: V11 })).toBe(false);
      expect(scopeFor(viewer, a)).toEqual({ sectors: [], regions: [] });
    }
  });
});

describe('access: empty or odd region lists', () => {
  const lost: Principal[] = [
    { userId: 'x1', role: 'staff', sector: 'emergency', regions: [] },
    { userId: 'x2', role: 'reviewer', sector: 'emergency', regions: [] },
    { userId: 'x3', role: 'viewer', sector: null, regions: [] },
  ];
  it.each(lost)('a $role with no regions sees nothing region-bound but still reads reference data', (p) => {
    for (const a of [...SUBMISSION_ACTIONS, 'progress.read', 'export.create'] as Action[]) {
      expect(can(p, a)).toBe(false);
      expect(can(p, a, { sector: 'emergency', regionCode: V11 })).toBe(false);
      expect(scopeFor(p, a)).toEqual({ sectors: [], regions: [] });
    }
    expect(can(p, 'regions.read')).toBe(true);
    expect(can(p, 'forms.read')).toBe(true);
  });

  it('staff or reviewer without a sector can do nothing sector-bound', () => {
    const p: Principal = { userId: 'n', role: 'staff', sector: null, regions: [COUNTY] };
    expect(can(p, 'submission.read', { regionCode: V11 })).toBe(false);
    expect(can(p, 'submission.write')).toBe(false);
    expect(scopeFor(p, 'submission.read')).toEqual({ sectors: [], regions: [] });
    expect(can(p, 'progress.read', { regionCode: V11 })).toBe(true);
  });

  it('invalid region codes grant nothing and are dropped from scopes', () => {
    const p: Principal = { userId: 'b', role: 'staff', sector: 'emergency', regions: ['000000000000', '4201', 'abc'] };
    expect(can(p, 'submission.read', { sector: 'emergency', regionCode: V11 })).toBe(false);
    expect(scopeFor(p, 'submission.read')).toEqual({ sectors: [], regions: [] });
    expect(can(staffE1, 'submission.read', { sector: 'emergency', regionCode: 'not-a-code' })).toBe(false);
  });

  it('scope roots are deduplicated and nested roots folded into their ancestor', () => {
    const p: Principal = { userId: 'm', role: 'reviewer', sector: 'housing', regions: [V21, T2, T1, T2, V11] };
    expect(scopeFor(p, 'submission.read')).toEqual({ sectors: ['housing'], regions: [T1, T2] });
    expect(can(p, 'submission.read', { sector: 'housing', regionCode: '420102001002' })).toBe(true);
    expect(can(p, 'submission.read', { sector: 'housing', regionCode: '420102003001' })).toBe(false);
  });

  it('an unknown role gets nothing', () => {
    const p = { userId: 'q', role: 'superuser', sector: null, regions: [COUNTY] } as unknown as Principal;
    expect(ACTIONS.filter((a) => can(p, a))).toEqual([]);
    expect(scopeFor(p, 'forms.read')).toEqual({ sectors: [], regions: [] });
  });
});
