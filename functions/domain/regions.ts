/**
 * Regions use the 12-digit statistical division codes (统计用区划代码):
 * county = 6 digits + 000000, township = 9 digits + 000, village = all 12 digits.
 */
export const REGION_LEVELS = ['county', 'township', 'village'] as const;
export type RegionLevel = (typeof REGION_LEVELS)[number];

export interface Region {
  code: string;
  name: { zh: string; en: string };
  level: RegionLevel;
  parent: string | null;
}

const CODE = /^\d{12}$/;

export function isRegionCode(code: unknown): code is string {
  if (typeof code !== 'string' || !CODE.test(code)) return false;
  // A county code cannot be all zeros; a township must carry a county; a village a township.
  return code.slice(0, 6) !== '000000' && levelOf(code) !== null;
}

/** Level implied by the code, or null for a code that is not a county/township/village code. */
export function levelOf(code: string): RegionLevel | null {
  if (!CODE.test(code)) return null;
  if (code.endsWith('000000')) return 'county';
  if (code.endsWith('000')) return code.slice(6, 9) === '000' ? null : 'township';
  return code.slice(6, 9) === '000' ? null : 'village';
}

/** Parent code implied by the code (null for a county). */
export function parentCode(code: string): string | null {
  const level = levelOf(code);
  if (level === 'village') return code.slice(0, 9) + '000';
  if (level === 'township') return code.slice(0, 6) + '000000';
  return null;
}

export function countyOf(code: string): string {
  return code.slice(0, 6) + '000000';
}

/** Codes from the region itself up to its county, nearest first (inclusive). */
export function ancestors(code: string): string[] {
  const out: string[] = [];
  for (let c: string | null = code; c; c = parentCode(c)) out.push(c);
  return out;
}

/** True when `inner` is `outer` or lies below it. Purely by code, so it needs no tree. */
export function contains(outer: string, inner: string): boolean {
  const lo = levelOf(outer);
  const li = levelOf(inner);
  if (!lo || !li) return false;
  if (lo === 'county') return inner.slice(0, 6) === outer.slice(0, 6);
  if (lo === 'township') return inner.slice(0, 9) === outer.slice(0, 9);
  return inner === outer;
}

/** True when `code` lies inside any of the scopes. */
export function withinAny(scopes: readonly string[], code: string): boolean {
  return scopes.some((s) => contains(s, code));
}

export const LEVEL_RANK: Record<RegionLevel, number> = { county: 0, township: 1, village: 2 };

/** Code order. Codes are 12 ASCII digits, so plain comparison is the order (localeCompare would start ICU collation in the browser). */
const codeOrder = (a: Region, b: Region) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

/** A region tree built from a flat list; the list is what `/api/regions` returns. */
export class RegionTree {
  private readonly byCode = new Map<string, Region>();
  private readonly kids = new Map<string, Region[]>();

  constructor(regions: readonly Region[]) {
    for (const r of regions) this.byCode.set(r.code, r);
    for (const r of [...regions].sort(codeOrder)) {
      if (r.parent) {
        const list = this.kids.get(r.parent) ?? [];
        list.push(r);
        this.kids.set(r.parent, list);
      }
    }
  }

  get(code: string): Region | undefined {
    return this.byCode.get(code);
  }
  has(code: string): boolean {
    return this.byCode.has(code);
  }
  all(): Region[] {
    return [...this.byCode.values()].sort(codeOrder);
  }
  children(code: string): Region[] {
    return this.kids.get(code) ?? [];
  }
  /** Every region below `code` (not including it), depth-first in code order. */
  descendants(code: string): Region[] {
    const out: Region[] = [];
    const walk = (c: string) => {
      for (const k of this.children(c)) {
        out.push(k);
        walk(k.code);
      }
    };
    walk(code);
    return out;
  }
  /** Regions at `level` inside `code` (including `code` itself when it is at that level). */
  atLevel(code: string, level: RegionLevel): Region[] {
    const self = this.get(code);
    return [...(self ? [self] : []), ...this.descendants(code)].filter((r) => r.level === level);
  }
  /** Ancestors that exist in the tree, nearest first, including the region itself. */
  ancestors(code: string): Region[] {
    const out: Region[] = [];
    for (let c: string | null | undefined = code; c; c = this.byCode.get(c)?.parent) {
      const r = this.byCode.get(c);
      if (!r) break;
      out.push(r);
    }
    return out;
  }
  /** The child of `ancestor` on the path down to `code`, or undefined when `code` is not below it. */
  childToward(ancestor: string, code: string): Region | undefined {
    return this.ancestors(code).find((r) => r.parent === ancestor);
  }
}
