/** The four census sectors of a district and their task parts (任务部分), with localized names. */
export const SECTOR_IDS = ['emergency', 'agriculture', 'forestry', 'housing'] as const;
export type SectorId = (typeof SECTOR_IDS)[number];

export interface Part {
  id: string;
  name: { zh: string; en: string };
}
export interface Sector {
  id: SectorId;
  name: { zh: string; en: string };
  /** Short name used in the district's progress report ("应急系统"). */
  system: { zh: string; en: string };
  parts: Part[];
}

export const SECTORS: readonly Sector[] = [
  {
    id: 'emergency',
    name: { zh: '应急管理', en: 'Emergency management' },
    system: { zh: '应急系统', en: 'the emergency system' },
    parts: [
      { id: 'facilities', name: { zh: '公共服务设施', en: 'Public-service facilities' } },
      { id: 'enterprises', name: { zh: '重点隐患企业', en: 'Key hazard enterprises' } },
      { id: 'capability', name: { zh: '综合减灾资源(能力)', en: 'Disaster-reduction capability' } },
      { id: 'history', name: { zh: '历史灾害', en: 'Historical disasters' } },
    ],
  },
  {
    id: 'agriculture',
    name: { zh: '农业农村·水旱', en: 'Agriculture · water and drought' },
    system: { zh: '农业农村系统', en: 'the agriculture system' },
    parts: [
      { id: 'water-drought', name: { zh: '水旱灾害', en: 'Flood and drought' } },
      { id: 'crops', name: { zh: '农作物灾情', en: 'Crop disaster losses' } },
    ],
  },
  {
    id: 'forestry',
    name: { zh: '林业和草原', en: 'Forestry and grassland' },
    system: { zh: '林草系统', en: 'the forestry system' },
    parts: [
      { id: 'fuel', name: { zh: '可燃物', en: 'Fuel' } },
      { id: 'ignition', name: { zh: '野外火源', en: 'Wild ignition sources' } },
      { id: 'fire-history', name: { zh: '历史火灾', en: 'Historical fires' } },
      { id: 'capability', name: { zh: '防火减灾能力', en: 'Fire-prevention capability' } },
    ],
  },
  {
    id: 'housing',
    name: { zh: '住房和城乡建设', en: 'Housing and urban-rural construction' },
    system: { zh: '住建系统', en: 'the housing system' },
    parts: [
      { id: 'urban', name: { zh: '城镇房屋', en: 'Urban buildings' } },
      { id: 'rural', name: { zh: '农村房屋', en: 'Rural buildings' } },
      { id: 'municipal', name: { zh: '市政设施', en: 'Municipal facilities' } },
    ],
  },
];

export function isSectorId(s: unknown): s is SectorId {
  return typeof s === 'string' && (SECTOR_IDS as readonly string[]).includes(s);
}

export function sectorById(id: SectorId): Sector {
  const s = SECTORS.find((x) => x.id === id);
  if (!s) throw new Error(`unknown sector ${id}`);
  return s;
}

export function hasPart(sector: SectorId, part: string): boolean {
  return sectorById(sector).parts.some((p) => p.id === part);
}
