/**
 * 抗旱工程及非工程能力 — county drought-resistance capacity in 2020 (干旱灾害致灾调查, DOMAIN.md §1.4): irrigation,
 * storage, diversion, pumping and well works, emergency water sources; service teams, equipment, plans and monitoring.
 * Indicators follow flood-and-drought statistics practice [BK/INF].
 */
import { defineForm, type FieldInput, type Localized } from '../../forms';
import type { CatalogEntry } from '../types';
import { FOOTER_SAMPLE, FOOTER_SECTION, FOOTER_VIOLATIONS, UNITS, footer } from './common';

const count = (name: string, label: Localized, section: string, unit: Localized = UNITS.items): FieldInput => ({
  name,
  label,
  type: 'integer',
  min: 0,
  unit,
  required: true,
  section,
});
const amount = (name: string, label: Localized, section: string, unit: Localized, required = true): FieldInput => ({
  name,
  label,
  type: 'decimal',
  min: 0,
  precision: 2,
  unit,
  required,
  section,
});

const definition = defineForm({
  id: 'agriculture.drought-capacity',
  version: 1,
  sector: 'agriculture',
  part: 'water-drought',
  title: { zh: '抗旱工程及非工程能力调查表(2020年)', en: 'Drought-resistance engineering and non-engineering capacity, 2020' },
  description: {
    zh: '以县级行政区为单元填报一条,数据截至2020年12月31日。',
    en: 'One record per county, as at 31 December 2020.',
  },
  unit: 'region',
  regionLevel: 'county',
  sections: [
    { id: 'irrigation', title: { zh: '耕地与灌溉', en: 'Farmland and irrigation' } },
    { id: 'works', title: { zh: '抗旱水源工程', en: 'Drought water-source works' } },
    { id: 'non-engineering', title: { zh: '非工程措施', en: 'Non-engineering measures' } },
    FOOTER_SECTION,
  ],
  fields: [
    // ── farmland and irrigation
    amount('cultivated_area', { zh: '耕地面积', en: 'Cultivated land' }, 'irrigation', UNITS.hm2),
    amount('effective_irrigated_area', { zh: '有效灌溉面积', en: 'Effective irrigated area' }, 'irrigation', UNITS.hm2),
    amount('drought_proof_area', { zh: '旱涝保收面积', en: 'Area with stable yields in flood and drought' }, 'irrigation', UNITS.hm2),
    amount('water_saving_area', { zh: '节水灌溉面积', en: 'Water-saving irrigated area' }, 'irrigation', UNITS.hm2),
    amount('pasture_irrigated_area', { zh: '灌溉草场面积', en: 'Irrigated pasture' }, 'irrigation', UNITS.hm2, false),

    // ── water-source works
    count('reservoir_count', { zh: '蓄水工程:水库数量', en: 'Storage works: reservoirs' }, 'works', { zh: '座', en: 'reservoirs' }),
    amount('reservoir_storage', { zh: '水库兴利库容', en: 'Utilizable storage of reservoirs' }, 'works', UNITS.tenKm3),
    count('pond_count', { zh: '塘坝数量', en: 'Ponds (small weirs)' }, 'works', { zh: '处', en: 'ponds' }),
    amount('pond_storage', { zh: '塘坝容积', en: 'Pond capacity' }, 'works', UNITS.tenKm3),
    count('cistern_count', { zh: '水窖(池)数量', en: 'Cisterns and tanks' }, 'works', { zh: '眼', en: 'cisterns' }),
    amount('cistern_storage', { zh: '水窖(池)容积', en: 'Cistern capacity' }, 'works', UNITS.tenKm3),
    count('diversion_count', { zh: '引水工程数量', en: 'Diversion works' }, 'works', { zh: '处', en: 'works' }),
    amount('diversion_capacity', { zh: '引水工程设计引水流量', en: 'Design flow of diversion works' }, 'works', UNITS.m3s),
    count('pumping_station_count', { zh: '提水泵站数量', en: 'Pumping stations' }, 'works', { zh: '处', en: 'stations' }),
    amount('pumping_power', { zh: '泵站装机功率', en: 'Installed pump power' }, 'works', { zh: '千瓦', en: 'kW' }),
    count('well_count', { zh: '机电井数量', en: 'Motor-pumped wells' }, 'works', { zh: '眼', en: 'wells' }),
    count('well_equipped_count', { zh: '其中:已配套机电井', en: 'of which equipped and usable' }, 'works', { zh: '眼', en: 'wells' }),
    count('emergency_source_count', { zh: '抗旱应急(备用)水源工程数量', en: 'Emergency (standby) water-source works' }, 'works', { zh: '处', en: 'works' }),
    amount('emergency_source_capacity', { zh: '应急水源可供水量', en: 'Water available from emergency sources' }, 'works', UNITS.tenKm3),

    // ── non-engineering
    { name: 'has_command_body', label: { zh: '是否设立防汛抗旱指挥机构', en: 'Flood and drought command body set up' }, type: 'boolean', required: true, section: 'non-engineering' },
    { name: 'has_drought_plan', label: { zh: '是否编制抗旱应急预案', en: 'Drought emergency plan in place' }, type: 'boolean', required: true, section: 'non-engineering' },
    {
      name: 'plan_year',
      label: { zh: '预案编制(修订)年份', en: 'Year the plan was issued or revised' },
      type: 'year',
      min: 1990,
      max: 2020,
      relevant: '${has_drought_plan} = true()',
      required: true,
      section: 'non-engineering',
    },
    { name: 'has_drought_map', label: { zh: '是否编制干旱风险图或抗旱水源分布图', en: 'Drought risk or water-source map prepared' }, type: 'boolean', required: true, section: 'non-engineering' },
    count('service_org_count', { zh: '抗旱服务组织数量', en: 'Drought-service organisations' }, 'non-engineering'),
    count('service_staff', { zh: '抗旱服务组织人数', en: 'Staff of drought-service organisations' }, 'non-engineering', UNITS.persons),
    count('mobile_irrigation_sets', { zh: '移动浇灌设备', en: 'Mobile irrigation equipment' }, 'non-engineering', UNITS.sets),
    count('water_trucks', { zh: '拉(送)水车辆', en: 'Water-delivery vehicles' }, 'non-engineering', { zh: '辆', en: 'vehicles' }),
    count('soil_moisture_stations', { zh: '墒情监测站点', en: 'Soil-moisture monitoring stations' }, 'non-engineering', { zh: '个', en: 'stations' }),
    amount('emergency_delivery_capacity', { zh: '应急送水能力', en: 'Emergency water-delivery capacity' }, 'non-engineering', { zh: '吨/日', en: 't/day' }, false),
    amount('relief_funds', { zh: '年度抗旱资金投入', en: 'Annual drought-relief funding' }, 'non-engineering', UNITS.tenKYuan, false),
    { name: 'remarks', label: { zh: '备注', en: 'Remarks' }, type: 'text', multiline: true, maxLength: 1000, section: 'non-engineering' },

    ...footer('filler'),
  ],
  rules: [
    {
      id: 'effective-le-cultivated',
      expr: '${effective_irrigated_area} <= ${cultivated_area}',
      path: 'effective_irrigated_area',
      message: { zh: '有效灌溉面积不能大于耕地面积', en: 'The effective irrigated area cannot exceed the cultivated land' },
    },
    {
      id: 'drought-proof-le-effective',
      expr: '${drought_proof_area} <= ${effective_irrigated_area}',
      path: 'drought_proof_area',
      message: { zh: '旱涝保收面积不能大于有效灌溉面积', en: 'The stable-yield area cannot exceed the effective irrigated area' },
    },
    {
      id: 'equipped-wells-le-wells',
      expr: '${well_equipped_count} <= ${well_count}',
      path: 'well_equipped_count',
      message: { zh: '已配套机电井数不能大于机电井总数', en: 'Equipped wells cannot exceed all wells' },
    },
    {
      id: 'reservoir-storage-needs-reservoirs',
      expr: 'not(${reservoir_count} = 0 and ${reservoir_storage} > 0)',
      path: 'reservoir_storage',
      message: { zh: '水库数量为0时兴利库容应为0', en: 'With no reservoirs the storage must be 0' },
    },
    {
      id: 'pond-storage-needs-ponds',
      expr: 'not(${pond_count} = 0 and ${pond_storage} > 0)',
      path: 'pond_storage',
      message: { zh: '塘坝数量为0时塘坝容积应为0', en: 'With no ponds the pond capacity must be 0' },
    },
    {
      id: 'cistern-storage-needs-cisterns',
      expr: 'not(${cistern_count} = 0 and ${cistern_storage} > 0)',
      path: 'cistern_storage',
      message: { zh: '水窖数量为0时容积应为0', en: 'With no cisterns the cistern capacity must be 0' },
    },
    {
      id: 'staff-cover-organisations',
      expr: '${service_staff} >= ${service_org_count}',
      path: 'service_staff',
      message: { zh: '抗旱服务组织人数不能少于组织数量', en: 'Each drought-service organisation needs at least one person' },
    },
    {
      id: 'water-saving-within-irrigated',
      expr: '${water_saving_area} <= ${effective_irrigated_area} + ${pasture_irrigated_area}',
      path: 'water_saving_area',
      message: {
        zh: '节水灌溉面积大于有效灌溉面积与灌溉草场面积之和,请核实',
        en: 'The water-saving area exceeds the irrigated farmland and pasture: please verify',
      },
      severity: 'warning',
    },
  ],
});

export const entry: CatalogEntry = {
  definition,
  sample: {
    cultivated_area: 186500,
    effective_irrigated_area: 86500,
    drought_proof_area: 62300,
    water_saving_area: 71200,
    pasture_irrigated_area: 5400,
    reservoir_count: 6,
    reservoir_storage: 4820.5,
    pond_count: 14,
    pond_storage: 86.3,
    cistern_count: 1250,
    cistern_storage: 3.8,
    diversion_count: 9,
    diversion_capacity: 42.5,
    pumping_station_count: 23,
    pumping_power: 3860,
    well_count: 21460,
    well_equipped_count: 19820,
    emergency_source_count: 5,
    emergency_source_capacity: 650,
    has_command_body: true,
    has_drought_plan: true,
    plan_year: 2019,
    has_drought_map: false,
    service_org_count: 12,
    service_staff: 168,
    mobile_irrigation_sets: 320,
    water_trucks: 45,
    soil_moisture_stations: 18,
    emergency_delivery_capacity: 850,
    relief_funds: 1260,
    ...FOOTER_SAMPLE,
  },
  violations: [
    { rule: 'effective irrigated area ≤ cultivated land', patch: { effective_irrigated_area: 190000 }, path: 'data.effective_irrigated_area', code: 'rule' },
    { rule: 'stable-yield area ≤ effective irrigated area', patch: { drought_proof_area: 90000 }, path: 'data.drought_proof_area', code: 'rule' },
    { rule: 'equipped wells ≤ wells', patch: { well_equipped_count: 22000 }, path: 'data.well_equipped_count', code: 'rule' },
    { rule: 'no reservoirs → no reservoir storage', patch: { reservoir_count: 0 }, path: 'data.reservoir_storage', code: 'rule' },
    { rule: 'no ponds → no pond capacity', patch: { pond_count: 0 }, path: 'data.pond_storage', code: 'rule' },
    { rule: 'no cisterns → no cistern capacity', patch: { cistern_count: 0 }, path: 'data.cistern_storage', code: 'rule' },
    { rule: 'service staff ≥ organisations', patch: { service_staff: 5 }, path: 'data.service_staff', code: 'rule' },
    { rule: 'plan year required when a plan exists', patch: { plan_year: undefined }, path: 'data.plan_year', code: 'required' },
    { rule: 'plan year ≤ 2020', patch: { plan_year: 2021 }, path: 'data.plan_year', code: 'max' },
    { rule: 'counts are not negative', patch: { water_trucks: -1 }, path: 'data.water_trucks', code: 'min' },
    ...FOOTER_VIOLATIONS,
  ],
};
