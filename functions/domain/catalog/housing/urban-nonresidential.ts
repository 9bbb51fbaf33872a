/**
 * 城镇非住宅 — urban non-residential building (DOMAIN.md §2 T8 plus building use) [S16][S22] + [BK]: one record per
 * building from the MOHURD base-map polygons.
 */
import { defineForm } from '../../forms';
import type { CatalogEntry } from '../types';
import { UNITS, URBAN_RULES, URBAN_SAMPLE, URBAN_SECTIONS, URBAN_VIOLATIONS, urbanBuildingFields } from './common';

const definition = defineForm({
  id: 'housing.urban-nonresidential',
  version: 1,
  sector: 'housing',
  part: 'urban',
  code: 'czfw_fzz',
  title: { zh: '城镇非住宅建筑调查表', en: 'Urban non-residential building survey' },
  description: {
    zh: '城镇范围内2020年12月31日前已投入使用的公共建筑、商业办公、工业仓储等非住宅建筑,一栋一表。',
    en: 'Public, commercial, office, industrial and storage buildings in urban areas in use before 2020-12-31; one record per building.',
  },
  unit: 'object',
  regionLevel: 'village',
  sections: URBAN_SECTIONS,
  fields: urbanBuildingFields({
    nameLabel: { zh: '建筑名称', en: 'Building name' },
    nameHint: { zh: '单位名称加楼名,如"区人民医院门诊楼"', en: 'Organisation and block, e.g. "District Hospital outpatient block"' },
    useFields: [
      {
        name: 'use_type',
        label: { zh: '建筑用途', en: 'Building use' },
        type: 'select_one',
        choices: [
          { value: 'education', label: { zh: '教育', en: 'Education' } },
          { value: 'medical', label: { zh: '医疗卫生', en: 'Health care' } },
          { value: 'welfare', label: { zh: '养老及社会福利', en: 'Elderly care and welfare' } },
          { value: 'commercial', label: { zh: '商业', en: 'Commerce' } },
          { value: 'office', label: { zh: '办公', en: 'Office' } },
          { value: 'culture', label: { zh: '文化', en: 'Culture' } },
          { value: 'sports', label: { zh: '体育', en: 'Sports' } },
          { value: 'transport', label: { zh: '交通', en: 'Transport' } },
          { value: 'industrial', label: { zh: '工业', en: 'Industrial' } },
          { value: 'warehouse', label: { zh: '仓储', en: 'Storage' } },
          { value: 'religious', label: { zh: '宗教', en: 'Religious' } },
          { value: 'mixed', label: { zh: '综合(多种用途)', en: 'Mixed use' } },
          { value: 'other', label: { zh: '其他', en: 'Other' } },
        ],
        other: { value: 'other', field: 'use_type_other' },
        required: true,
        section: 'basic',
      },
      { name: 'use_type_other', label: { zh: '其他建筑用途', en: 'Other use' }, type: 'text', maxLength: 100, section: 'basic' },
    ],
    extraBuildingFields: [
      {
        name: 'fortification_category',
        label: { zh: '抗震设防类别', en: 'Seismic fortification category' },
        hint: { zh: '按GB 50223:学校、医院等一般为重点设防类(乙类)', en: 'Per GB 50223: schools and hospitals are usually key (class B)' },
        type: 'select_one',
        choices: [
          { value: 'special', label: { zh: '特殊设防类(甲类)', en: 'Special (class A)' } },
          { value: 'key', label: { zh: '重点设防类(乙类)', en: 'Key (class B)' } },
          { value: 'standard', label: { zh: '标准设防类(丙类)', en: 'Standard (class C)' } },
          { value: 'appropriate', label: { zh: '适度设防类(丁类)', en: 'Appropriate (class D)' } },
        ],
        section: 'building',
      },
      {
        name: 'occupants',
        label: { zh: '日常使用人数', en: 'Usual number of occupants' },
        type: 'integer',
        min: 0,
        max: 100_000,
        unit: UNITS.persons,
        section: 'building',
      },
      {
        name: 'max_span',
        label: { zh: '最大跨度', en: 'Largest span' },
        hint: { zh: '大跨度(≥18米)场馆、厂房须填写', en: 'Needed for wide-span (≥18 m) halls and factories' },
        type: 'decimal',
        min: 0,
        exclusiveMin: true,
        max: 500,
        precision: 1,
        unit: UNITS.m,
        section: 'building',
      },
      {
        name: 'designated_shelter',
        label: { zh: '是否为应急避难场所', en: 'Designated emergency shelter' },
        type: 'boolean',
        section: 'building',
      },
    ],
  }),
  rules: URBAN_RULES,
});

export const entry: CatalogEntry = {
  definition,
  sample: {
    ...URBAN_SAMPLE,
    name: '朝阳区第二人民医院门诊楼',
    use_type: 'medical',
    fortification_category: 'key',
    occupants: 850,
    structure: 'rc',
    rc_system: 'frame',
    floors_above: 5,
    height: 21.6,
    floor_area: 12650.8,
    year_built: 1996,
    designated_shelter: false,
  },
  violations: [
    { rule: 'building use required', patch: { use_type: undefined }, path: 'data.use_type', code: 'required' },
    { rule: 'building use other → text required', patch: { use_type: 'other', use_type_other: undefined }, path: 'data.use_type_other', code: 'required' },
    { rule: 'largest span > 0', patch: { max_span: 0 }, path: 'data.max_span', code: 'min-exclusive' },
    ...URBAN_VIOLATIONS,
  ],
};
