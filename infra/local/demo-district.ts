/**
 * The demo district seeded into a fresh local DATA_DIR. Clearly demo data: the county is named "(演示)" / "(demo)" and
 * its code (420999) is not a real county of Hubei. Four townships with two or three villages each.
 */
import type { Region } from '../../functions/domain/regions';
import type { SectorId } from '../../functions/domain/sectors';

export const DEMO_COUNTY = '420999000000';

const T = (code: string, zh: string, en: string): Region => ({ code, name: { zh, en }, level: 'township', parent: DEMO_COUNTY });
const V = (code: string, zh: string, en: string): Region => ({ code, name: { zh, en }, level: 'village', parent: code.slice(0, 9) + '000' });

export const DEMO_REGIONS: Region[] = [
  { code: DEMO_COUNTY, name: { zh: '江滨区（演示）', en: 'Jiangbin District (demo)' }, level: 'county', parent: null },
  T('420999001000', '青山街道', 'Qingshan Subdistrict'),
  V('420999001001', '青山社区', 'Qingshan Community'),
  V('420999001002', '红钢城村', 'Honggangcheng Village'),
  V('420999001003', '建设村', 'Jianshe Village'),
  T('420999002000', '柳河镇', 'Liuhe Town'),
  V('420999002001', '柳河村', 'Liuhe Village'),
  V('420999002002', '杨家湾村', 'Yangjiawan Village'),
  V('420999002003', '新塘村', 'Xintang Village'),
  T('420999003000', '石桥乡', 'Shiqiao Township'),
  V('420999003001', '石桥村', 'Shiqiao Village'),
  V('420999003002', '李家畈村', 'Lijiafan Village'),
  T('420999004000', '云溪镇', 'Yunxi Town'),
  V('420999004001', '云溪村', 'Yunxi Village'),
  V('420999004002', '枫树岭村', 'Fengshuling Village'),
];

export const DEMO_PASSWORD = 'Census-2021!';

export interface DemoAccount {
  username: string;
  displayName: string;
  role: 'admin' | 'reviewer' | 'staff' | 'viewer';
  sector: SectorId | null;
  regions: string[];
}

const SECTOR_NAMES: Record<SectorId, string> = { emergency: '应急', agriculture: '农业农村', forestry: '林草', housing: '住建' };
const FIRST_TOWNSHIP = DEMO_REGIONS.filter((r) => r.level === 'township').map((r) => r.code).sort()[0]!;

export const DEMO_ACCOUNTS: DemoAccount[] = [
  { username: 'admin', displayName: '普查办管理员', role: 'admin', sector: null, regions: [DEMO_COUNTY] },
  { username: 'viewer', displayName: '区领导（只读）', role: 'viewer', sector: null, regions: [DEMO_COUNTY] },
  ...(['emergency', 'agriculture', 'forestry', 'housing'] as const).flatMap((s): DemoAccount[] => [
    { username: `reviewer-${s}`, displayName: `${SECTOR_NAMES[s]}审核员`, role: 'reviewer', sector: s, regions: [DEMO_COUNTY] },
    { username: `staff-${s}`, displayName: `${SECTOR_NAMES[s]}填报员`, role: 'staff', sector: s, regions: [FIRST_TOWNSHIP] },
  ]),
];

/** Plausible targets per form and region: object counts scale with the level; county single tables per year/hazard. */
const KNOWN_TARGETS: Record<string, [number, number]> = {
  'housing.rural-house': [60, 180],
  'housing.urban-residential': [20, 80],
  'housing.urban-nonresidential': [5, 30],
  'emergency.annual-disaster': [43, 43],
  'agriculture.water-supply-use': [4, 4],
  'agriculture.drought-losses': [13, 13],
};

export function demoTarget(formId: string, regionCode: string, level: Region['level'], unit: 'object' | 'region'): number {
  if (unit === 'region') return 1;
  const [lo, hi] = KNOWN_TARGETS[formId] ?? (level === 'village' ? [1, 6] : level === 'township' ? [2, 10] : [5, 20]);
  let h = 0;
  for (const ch of formId + regionCode) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return lo + (h % (hi - lo + 1));
}
