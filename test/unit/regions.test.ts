import { describe, expect, it } from 'vitest';
import { ancestors, contains, isRegionCode, levelOf, parentCode, RegionTree, withinAny, type Region } from '../../functions/domain/regions';

const r = (code: string, zh: string): Region => ({ code, name: { zh, en: zh }, level: levelOf(code)!, parent: parentCode(code) });
const tree = new RegionTree([
  r('420102000000', '江岸区'),
  r('420102001000', '甲街道'),
  r('420102001001', '甲一村'),
  r('420102001002', '甲二村'),
  r('420102002000', '乙街道'),
  r('420102002001', '乙一村'),
]);

describe('regions', () => {
  it('infers levels from the 12-digit code', () => {
    expect(levelOf('420102000000')).toBe('county');
    expect(levelOf('420102001000')).toBe('township');
    expect(levelOf('420102001001')).toBe('village');
    expect(levelOf('420102000001')).toBeNull();
    expect(levelOf('42010200100')).toBeNull();
    expect(isRegionCode('000000000000')).toBe(false);
    expect(isRegionCode('42010200100a')).toBe(false);
  });
  it('derives parents and ancestors', () => {
    expect(parentCode('420102001001')).toBe('420102001000');
    expect(parentCode('420102001000')).toBe('420102000000');
    expect(parentCode('420102000000')).toBeNull();
    expect(ancestors('420102001001')).toEqual(['420102001001', '420102001000', '420102000000']);
  });
  it('contains and withinAny follow the subtree', () => {
    expect(contains('420102000000', '420102002001')).toBe(true);
    expect(contains('420102001000', '420102002001')).toBe(false);
    expect(contains('420102001000', '420102001000')).toBe(true);
    expect(contains('420102001001', '420102001000')).toBe(false);
    expect(withinAny(['420102001000'], '420102001002')).toBe(true);
    expect(withinAny([], '420102001002')).toBe(false);
  });
  it('walks the tree', () => {
    expect(tree.children('420102000000').map((x) => x.code)).toEqual(['420102001000', '420102002000']);
    expect(tree.descendants('420102001000').map((x) => x.code)).toEqual(['420102001001', '420102001002']);
    expect(tree.atLevel('420102000000', 'village')).toHaveLength(3);
    expect(tree.ancestors('420102002001').map((x) => x.code)).toEqual(['420102002001', '420102002000', '420102000000']);
    expect(tree.childToward('420102000000', '420102002001')?.code).toBe('420102002000');
    expect(tree.childToward('420102001000', '420102002001')).toBeUndefined();
  });
});
