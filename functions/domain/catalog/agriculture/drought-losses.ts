/**
 * 旱情旱灾损失 — county drought conditions and losses, 2008–2020, one record per year (干旱灾害致灾调查, DOMAIN.md §1.4).
 * Indicators follow flood-and-drought disaster statistics practice (防汛抗旱统计): drought extent (旱情), crop losses
 * affected ≥ damaged ≥ total loss (受灾 ≥ 成灾 ≥ 绝收), drinking-water difficulty, economic loss, relief [BK/INF].
 */
import { defineForm } from '../../forms';
import type { CatalogEntry } from '../types';
import { FOOTER_SAMPLE, FOOTER_SECTION, FOOTER_VIOLATIONS, UNITS, footer } from './common';

const OCCURRED = '${drought_occurred} = true()';

const definition = defineForm({
  id: 'agriculture.drought-losses',
  version: 1,
  sector: 'agriculture',
  part: 'water-drought',
  title: { zh: '旱情旱灾损失调查表(2008—2020年)', en: 'Drought conditions and losses, 2008–2020' },
  description: {
    zh: '以县级行政区为单元,每年填报一条;当年未发生旱情的填"否"。面积单位为公顷。',
    en: 'One record per county and year; answer "no" for years without drought. Areas in hectares.',
  },
  unit: 'object',
  regionLevel: 'county',
  sections: [
    { id: 'year', title: { zh: '年份与旱情概况', en: 'Year and drought overview' } },
    { id: 'extent', title: { zh: '旱情', en: 'Drought extent' } },
    { id: 'losses', title: { zh: '旱灾损失', en: 'Drought losses' } },
    { id: 'relief', title: { zh: '抗旱情况', en: 'Drought relief' } },
    FOOTER_SECTION,
  ],
  fields: [
    { name: 'year', label: { zh: '年份', en: 'Year' }, type: 'year', min: 2008, max: 2020, required: true, section: 'year' },
    {
      name: 'sown_area',
      label: { zh: '农作物播种面积', en: 'Crop sown area' },
      hint: { zh: '当年农作物总播种面积(统计年鉴)', en: 'Total sown area of the year (statistical yearbook)' },
      type: 'decimal',
      min: 0,
      exclusiveMin: true,
      precision: 2,
      unit: UNITS.hm2,
      required: true,
      section: 'year',
    },
    { name: 'drought_occurred', label: { zh: '当年是否发生旱情', en: 'Drought occurred this year' }, type: 'boolean', required: true, section: 'year' },
    { name: 'start_date', label: { zh: '旱情开始日期', en: 'Drought start date' }, type: 'date', min: '2007-01-01', max: '2020-12-31', relevant: OCCURRED, required: true, section: 'year' },
    { name: 'end_date', label: { zh: '旱情结束日期', en: 'Drought end date' }, type: 'date', min: '2008-01-01', max: '2021-12-31', relevant: OCCURRED, required: true, section: 'year' },
    {
      name: 'seasons',
      label: { zh: '干旱发生时段', en: 'Drought seasons' },
      type: 'select_multiple',
      choices: [
        { value: 'spring', label: { zh: '春旱', en: 'Spring' } },
        { value: 'early_summer', label: { zh: '初夏旱', en: 'Early summer' } },
        { value: 'midsummer', label: { zh: '伏旱', en: 'Midsummer' } },
        { value: 'autumn', label: { zh: '秋旱', en: 'Autumn' } },
        { value: 'winter', label: { zh: '冬旱', en: 'Winter' } },
      ],
      relevant: OCCURRED,
      required: true,
      section: 'year',
    },
    {
      name: 'severity',
      label: { zh: '干旱等级', en: 'Drought severity' },
      type: 'select_one',
      choices: [
        { value: 'mild', label: { zh: '轻度干旱', en: 'Mild' } },
        { value: 'moderate', label: { zh: '中度干旱', en: 'Moderate' } },
        { value: 'severe', label: { zh: '严重干旱', en: 'Severe' } },
        { value: 'extreme', label: { zh: '特大干旱', en: 'Extreme' } },
      ],
      relevant: OCCURRED,
      required: true,
      section: 'year',
    },

    // ── drought extent (旱情)
    { name: 'crop_drought_area', label: { zh: '作物受旱面积(最大值)', en: 'Peak crop area under drought' }, type: 'decimal', min: 0, precision: 2, unit: UNITS.hm2, relevant: OCCURRED, required: true, section: 'extent' },
    { name: 'grassland_drought_area', label: { zh: '草场受旱面积(最大值)', en: 'Peak grassland area under drought' }, type: 'decimal', min: 0, precision: 2, unit: UNITS.hm2, relevant: OCCURRED, section: 'extent' },
    { name: 'people_water_difficulty', label: { zh: '因旱饮水困难人口', en: 'People with drinking-water difficulty' }, type: 'integer', min: 0, unit: UNITS.persons, relevant: OCCURRED, required: true, section: 'extent' },
    { name: 'large_livestock_water_difficulty', label: { zh: '因旱饮水困难大牲畜', en: 'Large livestock with drinking-water difficulty' }, type: 'integer', min: 0, unit: UNITS.head, relevant: OCCURRED, required: true, section: 'extent' },
    { name: 'small_livestock_water_difficulty', label: { zh: '因旱饮水困难小牲畜', en: 'Small livestock with drinking-water difficulty' }, type: 'integer', min: 0, unit: { zh: '只', en: 'head' }, relevant: OCCURRED, section: 'extent' },

    // ── losses (旱灾)
    { name: 'crop_affected', label: { zh: '农作物因旱受灾面积', en: 'Crop area affected' }, hint: { zh: '减产一成以上', en: 'Yield reduced by 10% or more' }, type: 'decimal', min: 0, precision: 2, unit: UNITS.hm2, relevant: OCCURRED, required: true, section: 'losses' },
    { name: 'crop_damaged', label: { zh: '其中:成灾面积', en: 'of which damaged' }, hint: { zh: '减产三成以上', en: 'Yield reduced by 30% or more' }, type: 'decimal', min: 0, precision: 2, unit: UNITS.hm2, relevant: OCCURRED, required: true, section: 'losses' },
    { name: 'crop_lost', label: { zh: '其中:绝收面积', en: 'of which total loss' }, hint: { zh: '减产八成以上', en: 'Yield reduced by 80% or more' }, type: 'decimal', min: 0, precision: 2, unit: UNITS.hm2, relevant: OCCURRED, required: true, section: 'losses' },
    { name: 'grain_loss', label: { zh: '因旱粮食损失', en: 'Grain loss' }, type: 'decimal', min: 0, precision: 2, unit: UNITS.tonnes, relevant: OCCURRED, required: true, section: 'losses' },
    { name: 'cash_crop_loss', label: { zh: '经济作物损失', en: 'Cash-crop loss' }, type: 'decimal', min: 0, precision: 2, unit: UNITS.tenKYuan, relevant: OCCURRED, section: 'losses' },
    { name: 'direct_loss', label: { zh: '直接经济损失', en: 'Direct economic loss' }, type: 'decimal', min: 0, precision: 2, unit: UNITS.tenKYuan, relevant: OCCURRED, required: true, section: 'losses' },
    { name: 'agri_direct_loss', label: { zh: '其中:农业直接经济损失', en: 'of which agricultural' }, type: 'decimal', min: 0, precision: 2, unit: UNITS.tenKYuan, relevant: OCCURRED, required: true, section: 'losses' },

    // ── relief (抗旱)
    { name: 'relief_irrigated_area', label: { zh: '抗旱浇灌面积', en: 'Area irrigated for drought relief' }, type: 'decimal', min: 0, precision: 2, unit: UNITS.hm2, relevant: OCCURRED, section: 'relief' },
    { name: 'people_water_relieved', label: { zh: '临时解决饮水困难人口', en: 'People given temporary drinking water' }, type: 'integer', min: 0, unit: UNITS.persons, relevant: OCCURRED, section: 'relief' },
    { name: 'relief_funds', label: { zh: '抗旱资金投入', en: 'Drought-relief funding' }, type: 'decimal', min: 0, precision: 2, unit: UNITS.tenKYuan, relevant: OCCURRED, section: 'relief' },
    {
      name: 'description',
      label: { zh: '旱情及抗旱情况描述', en: 'Description of the drought and relief' },
      type: 'text',
      multiline: true,
      maxLength: 2000,
      relevant: OCCURRED,
      section: 'relief',
    },
    {
      name: 'data_source',
      label: { zh: '数据来源', en: 'Data source' },
      type: 'select_one',
      choices: [
        { value: 'flood_drought_statistics', label: { zh: '防汛抗旱统计年报', en: 'Flood and drought statistics' } },
        { value: 'disaster_bulletin', label: { zh: '水旱灾害公报', en: 'Flood and drought disaster bulletin' } },
        { value: 'disaster_statistics', label: { zh: '自然灾害情况统计', en: 'Natural-disaster statistics' } },
        { value: 'other', label: { zh: '其他', en: 'Other' } },
      ],
      other: { value: 'other', field: 'data_source_other' },
      required: true,
      section: 'relief',
    },
    { name: 'data_source_other', label: { zh: '其他数据来源', en: 'Other data source' }, type: 'text', maxLength: 200, section: 'relief' },

    ...footer('filler'),
  ],
  rules: [
    {
      id: 'affected-ge-damaged',
      expr: '${crop_affected} >= ${crop_damaged}',
      path: 'crop_damaged',
      message: { zh: '成灾面积不能大于受灾面积', en: 'The damaged area cannot exceed the affected area' },
    },
    {
      id: 'damaged-ge-lost',
      expr: '${crop_damaged} >= ${crop_lost}',
      path: 'crop_lost',
      message: { zh: '绝收面积不能大于成灾面积', en: 'The total-loss area cannot exceed the damaged area' },
    },
    {
      id: 'affected-le-sown',
      expr: '${crop_affected} <= ${sown_area}',
      path: 'crop_affected',
      message: { zh: '受灾面积不能大于农作物播种面积', en: 'The affected area cannot exceed the sown area' },
    },
    {
      id: 'drought-area-le-sown',
      expr: '${crop_drought_area} <= ${sown_area}',
      path: 'crop_drought_area',
      message: { zh: '作物受旱面积不能大于农作物播种面积', en: 'The crop area under drought cannot exceed the sown area' },
    },
    {
      id: 'end-after-start',
      expr: '${end_date} >= ${start_date}',
      path: 'end_date',
      message: { zh: '旱情结束日期不能早于开始日期', en: 'The drought cannot end before it starts' },
    },
    {
      id: 'agri-loss-le-direct',
      expr: '${agri_direct_loss} <= ${direct_loss}',
      path: 'agri_direct_loss',
      message: { zh: '农业直接经济损失不能大于直接经济损失', en: 'Agricultural loss cannot exceed the direct economic loss' },
    },
    {
      id: 'relieved-le-difficulty',
      expr: '${people_water_relieved} <= ${people_water_difficulty}',
      path: 'people_water_relieved',
      message: { zh: '临时解决饮水困难人口不能大于因旱饮水困难人口', en: 'People relieved cannot exceed people with drinking-water difficulty' },
    },
    {
      id: 'relief-irrigated-le-sown',
      expr: '${relief_irrigated_area} <= ${sown_area}',
      path: 'relief_irrigated_area',
      message: { zh: '抗旱浇灌面积不能大于农作物播种面积', en: 'The relief-irrigated area cannot exceed the sown area' },
    },
    {
      id: 'affected-within-drought-extent',
      expr: '${crop_affected} <= ${crop_drought_area}',
      path: 'crop_affected',
      message: {
        zh: '受灾面积大于作物受旱面积最大值,请核实',
        en: 'The affected area exceeds the peak crop area under drought: please verify',
      },
      severity: 'warning',
    },
    {
      id: 'losses-need-loss-value',
      expr: 'not(${crop_affected} > 0 and ${direct_loss} = 0)',
      path: 'direct_loss',
      message: {
        zh: '有农作物受灾面积但直接经济损失为0,请核实',
        en: 'Crops were affected but no direct economic loss is reported: please verify',
      },
      severity: 'warning',
    },
  ],
});

export const entry: CatalogEntry = {
  definition,
  sample: {
    year: 2017,
    sown_area: 165320.5,
    drought_occurred: true,
    start_date: '2017-05-10',
    end_date: '2017-08-05',
    seasons: ['spring', 'midsummer'],
    severity: 'severe',
    crop_drought_area: 98650,
    grassland_drought_area: 256000,
    people_water_difficulty: 12350,
    large_livestock_water_difficulty: 48600,
    small_livestock_water_difficulty: 152000,
    crop_affected: 86420.3,
    crop_damaged: 51200.8,
    crop_lost: 12350.6,
    grain_loss: 185600,
    cash_crop_loss: 3260.5,
    direct_loss: 52380.6,
    agri_direct_loss: 49860.2,
    relief_irrigated_area: 35600,
    people_water_relieved: 11800,
    relief_funds: 2860,
    description: '5月至8月持续少雨,降水较常年同期偏少六成,伏旱叠加春旱,旱作区玉米大面积减产。',
    data_source: 'flood_drought_statistics',
    ...FOOTER_SAMPLE,
  },
  violations: [
    { rule: 'year within 2008–2020', patch: { year: 2007 }, path: 'data.year', code: 'min' },
    { rule: 'year ≤ 2020', patch: { year: 2021 }, path: 'data.year', code: 'max' },
    { rule: 'affected ≥ damaged', patch: { crop_damaged: 90000, crop_lost: 1000 }, path: 'data.crop_damaged', code: 'rule' },
    { rule: 'damaged ≥ total loss', patch: { crop_lost: 60000 }, path: 'data.crop_lost', code: 'rule' },
    { rule: 'affected ≤ sown area', patch: { sown_area: 80000, crop_drought_area: 78000 }, path: 'data.crop_affected', code: 'rule' },
    { rule: 'crop area under drought ≤ sown area', patch: { crop_drought_area: 170000 }, path: 'data.crop_drought_area', code: 'rule' },
    { rule: 'drought end ≥ start', patch: { end_date: '2017-04-01' }, path: 'data.end_date', code: 'rule' },
    { rule: 'drought start ≤ 2020-12-31', patch: { start_date: '2021-03-01', end_date: '2021-06-01' }, path: 'data.start_date', code: 'max' },
    { rule: 'agricultural loss ≤ direct loss', patch: { agri_direct_loss: 60000 }, path: 'data.agri_direct_loss', code: 'rule' },
    { rule: 'people relieved ≤ people in difficulty', patch: { people_water_relieved: 20000 }, path: 'data.people_water_relieved', code: 'rule' },
    { rule: 'relief-irrigated area ≤ sown area', patch: { relief_irrigated_area: 200000 }, path: 'data.relief_irrigated_area', code: 'rule' },
    { rule: 'direct economic loss ≥ 0', patch: { direct_loss: -1 }, path: 'data.direct_loss', code: 'min' },
    { rule: 'affected area required when a drought occurred', patch: { crop_affected: undefined }, path: 'data.crop_affected', code: 'required' },
    { rule: 'drinking-water difficulty required when a drought occurred', patch: { people_water_difficulty: undefined }, path: 'data.people_water_difficulty', code: 'required' },
    { rule: 'other data source → description', patch: { data_source: 'other', data_source_other: undefined }, path: 'data.data_source_other', code: 'required' },
    ...FOOTER_VIOLATIONS,
  ],
};
