/**
 * 城镇水源情况 — urban water sources in 2020 (干旱灾害致灾调查, DOMAIN.md §1.4): one record per source supplying a
 * county town or township seat, with capacity, 2020 supply and drought resilience [BK/INF].
 */
import { CHINA_EXTENT, defineForm } from '../../forms';
import type { CatalogEntry } from '../types';
import { FOOTER_SAMPLE, FOOTER_SECTION, FOOTER_VIOLATIONS, NOT_PLACEHOLDER, UNITS, footer, photos } from './common';

const definition = defineForm({
  id: 'agriculture.urban-water-source',
  version: 1,
  sector: 'agriculture',
  part: 'water-drought',
  title: { zh: '城镇水源情况调查表(2020年)', en: 'Urban water sources, 2020' },
  description: {
    zh: '填报为县城及建制镇供水的水源地,每个水源一条,数据截至2020年12月31日。',
    en: 'One record per water source supplying the county town or a designated town, as at 31 December 2020.',
  },
  unit: 'object',
  regionLevel: 'county',
  sections: [
    { id: 'basic', title: { zh: '基本情况', en: 'Basic information' } },
    { id: 'supply', title: { zh: '供水能力', en: 'Supply capacity' } },
    FOOTER_SECTION,
  ],
  fields: [
    { name: 'name', label: { zh: '水源地名称', en: 'Water source name' }, type: 'text', maxLength: 100, required: true, constraints: [NOT_PLACEHOLDER], section: 'basic' },
    {
      name: 'source_type',
      label: { zh: '水源类型', en: 'Source type' },
      type: 'select_one',
      choices: [
        { value: 'reservoir', label: { zh: '水库', en: 'Reservoir' } },
        { value: 'river', label: { zh: '河道', en: 'River' } },
        { value: 'lake', label: { zh: '湖泊', en: 'Lake' } },
        { value: 'groundwater', label: { zh: '地下水', en: 'Groundwater' } },
        { value: 'transfer', label: { zh: '调水工程', en: 'Water-transfer project' } },
        { value: 'other', label: { zh: '其他', en: 'Other' } },
      ],
      other: { value: 'other', field: 'source_type_other' },
      required: true,
      section: 'basic',
    },
    { name: 'source_type_other', label: { zh: '其他水源类型', en: 'Other source type' }, type: 'text', maxLength: 100, section: 'basic' },
    { name: 'location', label: { zh: '取水口位置', en: 'Intake location' }, type: 'geopoint', bounds: CHINA_EXTENT, required: true, section: 'basic' },
    { name: 'towns_served', label: { zh: '供水城镇', en: 'Towns served' }, type: 'text', maxLength: 200, required: true, constraints: [NOT_PLACEHOLDER], section: 'basic' },
    { name: 'is_standby', label: { zh: '是否为应急备用水源', en: 'Emergency standby source' }, type: 'boolean', required: true, section: 'basic' },
    { name: 'has_protection_zone', label: { zh: '是否划定水源保护区', en: 'Source-protection zone designated' }, type: 'boolean', required: true, section: 'basic' },
    {
      name: 'storage',
      label: { zh: '兴利库容', en: 'Utilizable storage' },
      type: 'decimal',
      min: 0,
      exclusiveMin: true,
      precision: 2,
      unit: UNITS.tenKm3,
      relevant: "${source_type} = 'reservoir' or ${source_type} = 'lake'",
      required: true,
      section: 'supply',
    },
    {
      name: 'well_count',
      label: { zh: '水源井数量', en: 'Supply wells' },
      type: 'integer',
      min: 1,
      unit: { zh: '眼', en: 'wells' },
      relevant: "${source_type} = 'groundwater'",
      required: true,
      section: 'supply',
    },
    { name: 'design_capacity', label: { zh: '设计供水能力', en: 'Design supply capacity' }, type: 'decimal', min: 0, exclusiveMin: true, precision: 2, unit: { zh: '万立方米/日', en: '10⁴ m³/day' }, required: true, section: 'supply' },
    { name: 'actual_supply', label: { zh: '2020年实际供水量', en: 'Water supplied in 2020' }, type: 'decimal', min: 0, precision: 2, unit: UNITS.tenKm3, required: true, section: 'supply' },
    { name: 'served_population', label: { zh: '供水人口', en: 'Population served' }, type: 'decimal', min: 0, exclusiveMin: true, precision: 2, unit: UNITS.tenKPersons, required: true, section: 'supply' },
    { name: 'guarantee_rate', label: { zh: '供水保证率', en: 'Supply reliability' }, type: 'integer', min: 50, max: 100, unit: { zh: '%', en: '%' }, required: true, section: 'supply' },
    {
      name: 'drought_supply_days',
      label: { zh: '遇特大干旱可持续供水天数', en: 'Days of supply in an extreme drought' },
      type: 'integer',
      min: 0,
      max: 3660,
      unit: { zh: '天', en: 'days' },
      required: true,
      section: 'supply',
    },
    {
      name: 'utilization',
      label: { zh: '供水能力利用率', en: 'Capacity utilization' },
      type: 'calculate',
      calculate: 'round(${actual_supply} * 100 div (${design_capacity} * 366), 1)',
      unit: { zh: '%', en: '%' },
      precision: 1,
      section: 'supply',
    },
    { name: 'remarks', label: { zh: '备注', en: 'Remarks' }, type: 'text', multiline: true, maxLength: 1000, section: 'supply' },
    photos('photos', { zh: '水源地照片', en: 'Photos of the source' }, { section: 'supply' }),

    ...footer('filler'),
  ],
  rules: [
    {
      id: 'supply-within-capacity',
      expr: '${actual_supply} <= ${design_capacity} * 366',
      path: 'actual_supply',
      message: {
        zh: '年实际供水量不能超过设计供水能力全年满负荷运行的水量',
        en: 'The annual supply cannot exceed a full year at design capacity',
      },
    },
    {
      id: 'standby-not-idle',
      expr: 'not(${is_standby} = false() and ${actual_supply} = 0)',
      path: 'actual_supply',
      message: {
        zh: '常用水源2020年实际供水量为0,请核实',
        en: 'A regular (non-standby) source supplied no water in 2020: please verify',
      },
      severity: 'warning',
    },
  ],
});

export const entry: CatalogEntry = {
  definition,
  sample: {
    name: '城北水源地',
    source_type: 'groundwater',
    location: { lat: 42.6512, lng: 121.3158 },
    towns_served: '某旗政府所在地大沁他拉镇',
    is_standby: false,
    has_protection_zone: true,
    well_count: 12,
    design_capacity: 3.5,
    actual_supply: 862.4,
    served_population: 8.6,
    guarantee_rate: 95,
    drought_supply_days: 180,
    ...FOOTER_SAMPLE,
  },
  violations: [
    { rule: 'name is not a placeholder', patch: { name: '无' }, path: 'data.name', code: 'constraint' },
    { rule: 'towns served is not a placeholder', patch: { towns_served: '/' }, path: 'data.towns_served', code: 'constraint' },
    { rule: 'annual supply ≤ design capacity × 366 days', patch: { actual_supply: 1300 }, path: 'data.actual_supply', code: 'rule' },
    { rule: 'wells required for a groundwater source', patch: { well_count: undefined }, path: 'data.well_count', code: 'required' },
    { rule: 'storage required for a reservoir source', patch: { source_type: 'reservoir', storage: undefined }, path: 'data.storage', code: 'required' },
    { rule: 'reliability ≤ 100%', patch: { guarantee_rate: 120 }, path: 'data.guarantee_rate', code: 'max' },
    { rule: 'other source type → description', patch: { source_type: 'other', source_type_other: undefined }, path: 'data.source_type_other', code: 'required' },
    ...FOOTER_VIOLATIONS,
  ],
};
