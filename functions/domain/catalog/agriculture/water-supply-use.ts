/**
 * 供用水情况 — county water supply and use, 2017–2020, one record per year (干旱灾害致灾调查, DOMAIN.md §1.4).
 * Categories follow the water-resources bulletin (水资源公报): supply by source, use by sector [BK/INF].
 */
import { defineForm, type FieldInput, type Localized } from '../../forms';
import type { CatalogEntry } from '../types';
import { FOOTER_SAMPLE, FOOTER_SECTION, FOOTER_VIOLATIONS, UNITS, footer } from './common';

const volume = (
  name: string,
  zh: string,
  en: string,
  section: string,
  extra: { hint?: Localized; required?: boolean; min?: number; exclusiveMin?: boolean } = {},
): FieldInput => ({
  name,
  label: { zh, en },
  type: 'decimal' as const,
  min: 0,
  precision: 2,
  unit: UNITS.tenKm3,
  required: true,
  section,
  ...extra,
});

/** Published bulletin figures are rounded; sums may differ from the total by up to this much (10⁴ m³). */
const TOLERANCE = 1;

const definition = defineForm({
  id: 'agriculture.water-supply-use',
  version: 1,
  sector: 'agriculture',
  part: 'water-drought',
  title: { zh: '供用水情况调查表(2017—2020年)', en: 'Water supply and use, 2017–2020' },
  description: {
    zh: '以县级行政区为单元,每年填报一条;水量单位为万立方米,数据以水资源公报为准。',
    en: 'One record per county and year; volumes in 10⁴ m³, taken from the water-resources bulletin.',
  },
  unit: 'object',
  regionLevel: 'county',
  sections: [
    { id: 'year', title: { zh: '年份', en: 'Year' } },
    { id: 'supply', title: { zh: '供水量', en: 'Water supply' } },
    { id: 'use', title: { zh: '用水量', en: 'Water use' } },
    { id: 'indicators', title: { zh: '相关指标', en: 'Related indicators' } },
    FOOTER_SECTION,
  ],
  fields: [
    { name: 'year', label: { zh: '年份', en: 'Year' }, type: 'year', min: 2017, max: 2020, required: true, section: 'year' },

    // ── supply by source
    volume('supply_surface', '地表水源供水量', 'Supply from surface water', 'supply', {
      hint: { zh: '蓄水、引水、提水及调水工程供水量', en: 'From storage, diversion, pumping and transfer works' },
    }),
    volume('supply_ground', '地下水源供水量', 'Supply from groundwater', 'supply'),
    volume('supply_ground_deep', '其中:深层承压水', 'of which deep confined groundwater', 'supply', { required: false }),
    volume('supply_other', '其他水源供水量', 'Supply from other sources', 'supply', {
      hint: { zh: '再生水、集雨工程、微咸水、矿井水等', en: 'Reclaimed water, rainwater harvesting, brackish and mine water' },
    }),
    volume('supply_reclaimed', '其中:再生水', 'of which reclaimed water', 'supply', { required: false }),
    volume('supply_total', '总供水量', 'Total supply', 'supply', { min: 0, exclusiveMin: true }),

    // ── use by sector
    volume('use_agriculture', '农业用水量', 'Agricultural use', 'use', {
      hint: { zh: '含农田灌溉、林果地灌溉、草场灌溉、鱼塘补水和牲畜用水', en: 'Farmland, orchard and pasture irrigation, fish ponds and livestock' },
    }),
    volume('use_irrigation', '其中:农田灌溉用水量', 'of which farmland irrigation', 'use'),
    volume('use_industry', '工业用水量', 'Industrial use', 'use'),
    volume('use_domestic', '生活用水量', 'Domestic use', 'use', {
      hint: { zh: '城镇生活(含公共用水)和农村生活用水', en: 'Urban (including public services) and rural domestic' },
    }),
    volume('use_ecological', '人工生态环境补水量', 'Artificial ecological replenishment', 'use'),
    volume('use_total', '总用水量', 'Total use', 'use', { min: 0, exclusiveMin: true }),

    // ── indicators
    {
      name: 'resident_population',
      label: { zh: '常住人口', en: 'Resident population' },
      type: 'decimal',
      min: 0,
      exclusiveMin: true,
      precision: 2,
      unit: UNITS.tenKPersons,
      required: true,
      section: 'indicators',
    },
    { name: 'effective_irrigated_area', label: { zh: '有效灌溉面积', en: 'Effective irrigated area' }, type: 'decimal', min: 0, precision: 2, unit: UNITS.hm2, required: true, section: 'indicators' },
    { name: 'actual_irrigated_area', label: { zh: '实际灌溉面积', en: 'Actually irrigated area' }, type: 'decimal', min: 0, precision: 2, unit: UNITS.hm2, required: true, section: 'indicators' },
    {
      name: 'per_capita_use',
      label: { zh: '人均综合用水量', en: 'Water use per person' },
      type: 'calculate',
      calculate: 'round(${use_total} div ${resident_population}, 1)',
      unit: { zh: '立方米/人', en: 'm³/person' },
      precision: 1,
      section: 'indicators',
    },
    {
      name: 'irrigation_per_mu',
      label: { zh: '农田灌溉亩均用水量', en: 'Irrigation water per mu' },
      type: 'calculate',
      calculate: 'if(${actual_irrigated_area} > 0, round(${use_irrigation} * 10000 div (${actual_irrigated_area} * 15), 0), 0)',
      unit: { zh: '立方米/亩', en: 'm³/mu' },
      precision: 0,
      section: 'indicators',
    },
    {
      name: 'data_source',
      label: { zh: '数据来源', en: 'Data source' },
      type: 'select_one',
      choices: [
        { value: 'bulletin', label: { zh: '水资源公报', en: 'Water-resources bulletin' } },
        { value: 'water_statistics', label: { zh: '水利统计年报', en: 'Water statistics yearbook' } },
        { value: 'statistics_yearbook', label: { zh: '统计年鉴', en: 'Statistical yearbook' } },
        { value: 'other', label: { zh: '其他', en: 'Other' } },
      ],
      other: { value: 'other', field: 'data_source_other' },
      required: true,
      section: 'indicators',
    },
    { name: 'data_source_other', label: { zh: '其他数据来源', en: 'Other data source' }, type: 'text', maxLength: 200, section: 'indicators' },
    { name: 'remarks', label: { zh: '备注', en: 'Remarks' }, type: 'text', multiline: true, maxLength: 1000, section: 'indicators' },

    ...footer('filler'),
  ],
  rules: [
    {
      id: 'supply-total-is-sum',
      expr:
        `\${supply_total} - (\${supply_surface} + \${supply_ground} + \${supply_other}) <= ${TOLERANCE} and ` +
        `(\${supply_surface} + \${supply_ground} + \${supply_other}) - \${supply_total} <= ${TOLERANCE}`,
      path: 'supply_total',
      message: {
        zh: '总供水量应等于地表水、地下水和其他水源供水量之和(允许1万立方米以内的修约误差)',
        en: 'Total supply must equal surface + ground + other sources (within 1 × 10⁴ m³ of rounding)',
      },
    },
    {
      id: 'use-total-is-sum',
      expr:
        `\${use_total} - (\${use_agriculture} + \${use_industry} + \${use_domestic} + \${use_ecological}) <= ${TOLERANCE} and ` +
        `(\${use_agriculture} + \${use_industry} + \${use_domestic} + \${use_ecological}) - \${use_total} <= ${TOLERANCE}`,
      path: 'use_total',
      message: {
        zh: '总用水量应等于农业、工业、生活和人工生态环境补水量之和(允许1万立方米以内的修约误差)',
        en: 'Total use must equal agricultural + industrial + domestic + ecological use (within 1 × 10⁴ m³ of rounding)',
      },
    },
    {
      id: 'use-le-supply',
      expr: `\${use_total} <= \${supply_total} + ${TOLERANCE}`,
      path: 'use_total',
      message: { zh: '总用水量不能大于总供水量', en: 'Total use cannot exceed total supply' },
    },
    {
      id: 'use-balances-supply',
      expr: `\${use_total} >= \${supply_total} - ${TOLERANCE}`,
      path: 'use_total',
      message: {
        zh: '水资源公报中总用水量一般等于总供水量,请核实',
        en: 'In the bulletin total use normally equals total supply: please verify',
      },
      severity: 'warning',
    },
    {
      id: 'irrigation-le-agriculture',
      expr: '${use_irrigation} <= ${use_agriculture}',
      path: 'use_irrigation',
      message: { zh: '农田灌溉用水量不能大于农业用水量', en: 'Farmland irrigation cannot exceed agricultural use' },
    },
    {
      id: 'deep-le-ground',
      expr: '${supply_ground_deep} <= ${supply_ground}',
      path: 'supply_ground_deep',
      message: { zh: '深层承压水供水量不能大于地下水源供水量', en: 'Deep confined groundwater cannot exceed groundwater supply' },
    },
    {
      id: 'reclaimed-le-other',
      expr: '${supply_reclaimed} <= ${supply_other}',
      path: 'supply_reclaimed',
      message: { zh: '再生水供水量不能大于其他水源供水量', en: 'Reclaimed water cannot exceed supply from other sources' },
    },
    {
      id: 'actual-le-effective-irrigated',
      expr: '${actual_irrigated_area} <= ${effective_irrigated_area}',
      path: 'actual_irrigated_area',
      message: { zh: '实际灌溉面积不能大于有效灌溉面积', en: 'The actually irrigated area cannot exceed the effective irrigated area' },
    },
    {
      id: 'irrigation-needs-area',
      expr: 'not(${use_irrigation} > 0 and ${actual_irrigated_area} = 0)',
      path: 'actual_irrigated_area',
      message: {
        zh: '有农田灌溉用水量但实际灌溉面积为0,请核实',
        en: 'Irrigation water is reported but no area was irrigated: please verify',
      },
      severity: 'warning',
    },
  ],
});

export const entry: CatalogEntry = {
  definition,
  sample: {
    year: 2019,
    supply_surface: 8620.35,
    supply_ground: 21450.8,
    supply_ground_deep: 1320.5,
    supply_other: 410.2,
    supply_reclaimed: 365,
    supply_total: 30481.35,
    use_agriculture: 25380.6,
    use_irrigation: 22740.15,
    use_industry: 2150.4,
    use_domestic: 1860.35,
    use_ecological: 1090,
    use_total: 30481.35,
    resident_population: 31.25,
    effective_irrigated_area: 86500,
    actual_irrigated_area: 79320.5,
    data_source: 'bulletin',
    ...FOOTER_SAMPLE,
  },
  violations: [
    { rule: 'year within 2017–2020', patch: { year: 2016 }, path: 'data.year', code: 'min' },
    { rule: 'year ≤ 2020', patch: { year: 2021 }, path: 'data.year', code: 'max' },
    { rule: 'total supply = sum of sources', patch: { supply_total: 30600 }, path: 'data.supply_total', code: 'rule' },
    { rule: 'total use = sum of sectors', patch: { use_ecological: 1200 }, path: 'data.use_total', code: 'rule' },
    {
      rule: 'total use ≤ total supply',
      patch: { use_agriculture: 25500.6, use_total: 30601.35 },
      path: 'data.use_total',
      code: 'rule',
    },
    { rule: 'farmland irrigation ≤ agricultural use', patch: { use_irrigation: 26000 }, path: 'data.use_irrigation', code: 'rule' },
    { rule: 'deep groundwater ≤ groundwater supply', patch: { supply_ground_deep: 22000 }, path: 'data.supply_ground_deep', code: 'rule' },
    { rule: 'reclaimed water ≤ other sources', patch: { supply_reclaimed: 500 }, path: 'data.supply_reclaimed', code: 'rule' },
    { rule: 'actually irrigated ≤ effective irrigated area', patch: { actual_irrigated_area: 90000 }, path: 'data.actual_irrigated_area', code: 'rule' },
    { rule: 'resident population > 0', patch: { resident_population: 0 }, path: 'data.resident_population', code: 'min-exclusive' },
    { rule: 'other data source → description', patch: { data_source: 'other', data_source_other: undefined }, path: 'data.data_source_other', code: 'required' },
    ...FOOTER_VIOLATIONS,
  ],
};
