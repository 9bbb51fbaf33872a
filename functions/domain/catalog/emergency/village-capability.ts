/**
 * 社区(行政村)综合减灾资源(能力) — community / administrative-village disaster-reduction capability
 * (table `sqxzczhjzzynl`), one record per community or village. Same pattern as the township table at village level
 * (DOMAIN.md §2 T6b) [BK].
 */
import { defineForm } from '../../forms';
import type { CatalogEntry } from '../types';
import { FOOTER_SAMPLE, STANDARD_YEAR, UNITS, WARNING_MEANS, frameViolations, headerSample, withEmergencyFrame } from './common';

const definition = defineForm(
  withEmergencyFrame({
    id: 'emergency.village-capability',
    part: 'capability',
    code: 'sqxzczhjzzynl',
    title: { zh: '社区(行政村)综合减灾资源(能力)调查表', en: 'Community (administrative village) disaster-reduction capability' },
    description: {
      zh: '每个社区(行政村)填报一份;人数为2020年12月31日数据,演练次数为2018—2020年合计。',
      en: 'One record per community or administrative village; head counts as of 2020-12-31, drills totalled over 2018–2020.',
    },
    unit: 'region',
    regionLevel: 'village',
    header: {
      nameLabel: { zh: '社区(行政村)名称', en: 'Community (village) name' },
      usccLabel: { zh: '村(居)民委员会统一社会信用代码', en: 'Unified social credit code of the village (residents’) committee' },
      locationLabel: { zh: '村(居)委会位置', en: 'Location of the village committee' },
      footprint: 'none',
    },
    sections: [
      { id: 'basic', title: { zh: '基本情况', en: 'Basic information' } },
      { id: 'forces', title: { zh: '人员与队伍', en: 'People and teams' } },
      { id: 'plans', title: { zh: '预案、演练与预警', en: 'Plans, drills and warning' } },
    ],
    fields: [
      // ── basic
      {
        name: 'community_type',
        label: { zh: '类型', en: 'Type' },
        type: 'select_one',
        required: true,
        choices: [
          { value: 'community', label: { zh: '社区', en: 'Urban community' } },
          { value: 'village', label: { zh: '行政村', en: 'Administrative village' } },
        ],
        section: 'basic',
      },
      { name: 'households', label: { zh: '户数', en: 'Households' }, type: 'integer', min: 0, unit: { zh: '户', en: 'households' }, section: 'basic' },
      { name: 'population', label: { zh: '常住人口', en: 'Resident population' }, type: 'integer', required: true, min: 0, unit: UNITS.persons, section: 'basic' },
      {
        name: 'is_demo_community',
        label: { zh: '是否全国综合减灾示范社区', en: 'National comprehensive disaster-reduction demonstration community' },
        type: 'boolean',
        required: true,
        section: 'basic',
      },
      {
        name: 'demo_year',
        label: { zh: '命名年份', en: 'Year named' },
        type: 'year',
        min: 2007,
        max: STANDARD_YEAR,
        relevant: '${is_demo_community} = true()',
        required: '${is_demo_community} = true()',
        section: 'basic',
      },
      // ── forces
      { name: 'info_officers', label: { zh: '灾害信息员', en: 'Disaster information officers' }, type: 'integer', required: true, min: 0, unit: UNITS.persons, section: 'forces' },
      { name: 'rescue_members', label: { zh: '应急救援队伍人数', en: 'Rescue team members' }, type: 'integer', min: 0, unit: UNITS.persons, section: 'forces' },
      { name: 'volunteers', label: { zh: '志愿者人数', en: 'Volunteers' }, type: 'integer', min: 0, unit: UNITS.persons, section: 'forces' },
      {
        name: 'has_shelter_site',
        label: { zh: '是否有应急避难场所(点)', en: 'Has an emergency shelter site' },
        type: 'boolean',
        required: true,
        section: 'forces',
      },
      {
        name: 'has_material_reserve',
        label: { zh: '是否有救灾物资储备', en: 'Keeps relief supplies' },
        type: 'boolean',
        required: true,
        section: 'forces',
      },
      {
        name: 'material_reserve_list',
        label: { zh: '储备物资清单', en: 'List of supplies' },
        type: 'text',
        multiline: true,
        maxLength: 1000,
        relevant: '${has_material_reserve} = true()',
        required: '${has_material_reserve} = true()',
        section: 'forces',
      },
      // ── plans
      { name: 'has_emergency_plan', label: { zh: '是否编制应急预案', en: 'Has an emergency plan' }, type: 'boolean', required: true, section: 'plans' },
      {
        name: 'plan_year',
        label: { zh: '预案编制(最近修订)年份', en: 'Year the plan was written or last revised' },
        type: 'year',
        min: 2000,
        max: STANDARD_YEAR,
        relevant: '${has_emergency_plan} = true()',
        required: '${has_emergency_plan} = true()',
        section: 'plans',
      },
      { name: 'drills_3y', label: { zh: '近三年应急演练次数', en: 'Drills in the last three years' }, type: 'integer', required: true, min: 0, unit: UNITS.times, section: 'plans' },
      {
        name: 'drill_participants',
        label: { zh: '近三年演练参与人次', en: 'Drill participants in the last three years' },
        type: 'integer',
        min: 0,
        unit: UNITS.personTimes,
        relevant: '${drills_3y} > 0',
        section: 'plans',
      },
      {
        name: 'has_risk_map',
        label: { zh: '是否绘制灾害风险地图(隐患点分布图)', en: 'Has a disaster-risk map' },
        type: 'boolean',
        section: 'plans',
      },
      {
        name: 'warning_means',
        label: { zh: '预警信息发布手段', en: 'Warning means' },
        type: 'select_multiple',
        required: true,
        choices: WARNING_MEANS,
        other: { value: 'other', field: 'warning_means_other' },
        section: 'plans',
      },
      { name: 'warning_means_other', label: { zh: '其他预警手段', en: 'Other warning means' }, type: 'text', maxLength: 100, section: 'plans' },
    ],
    rules: [
      {
        id: 'info-officers-le-population',
        expr: '${info_officers} <= ${population}',
        path: 'info_officers',
        message: { zh: '灾害信息员人数不能大于常住人口', en: 'Information officers cannot outnumber the resident population' },
      },
      {
        id: 'volunteers-le-population',
        expr: '${volunteers} <= ${population}',
        path: 'volunteers',
        message: { zh: '志愿者人数超过常住人口,请核实', en: 'Volunteers outnumber the resident population; please check' },
        severity: 'warning',
      },
    ],
  }),
);

export const entry: CatalogEntry = {
  definition,
  sample: {
    ...headerSample('城关镇东湖村', '54420115C123456782', '某县城关镇东湖村村委会', 30.6054, 114.3226, false),
    community_type: 'village',
    households: 612,
    population: 2_230,
    is_demo_community: true,
    demo_year: 2018,
    info_officers: 2,
    rescue_members: 25,
    volunteers: 40,
    has_shelter_site: true,
    has_material_reserve: true,
    material_reserve_list: '帐篷5顶;棉被30床;手电筒20个',
    has_emergency_plan: true,
    plan_year: 2020,
    drills_3y: 3,
    drill_participants: 450,
    has_risk_map: true,
    warning_means: ['loudspeaker', 'gong', 'door_to_door'],
    ...FOOTER_SAMPLE,
  },
  violations: [
    ...frameViolations(),
    { rule: 'information officers ≤ population', patch: { population: 10, info_officers: 12 }, path: 'data.info_officers', code: 'rule' },
    { rule: 'demonstration community → year required', patch: { is_demo_community: true, demo_year: undefined }, path: 'data.demo_year', code: 'required' },
    { rule: 'emergency plan → year required', patch: { has_emergency_plan: true, plan_year: undefined }, path: 'data.plan_year', code: 'required' },
    { rule: 'plan year ≤ 2020', patch: { plan_year: 2022 }, path: 'data.plan_year', code: 'max' },
    { rule: 'supplies → list required', patch: { has_material_reserve: true, material_reserve_list: undefined }, path: 'data.material_reserve_list', code: 'required' },
    { rule: 'other warning means → text required', patch: { warning_means: ['other'], warning_means_other: undefined }, path: 'data.warning_means_other', code: 'required' },
    { rule: 'population is required', patch: { population: undefined }, path: 'data.population', code: 'required' },
  ],
};
