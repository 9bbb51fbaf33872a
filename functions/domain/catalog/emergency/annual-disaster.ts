/**
 * 年度自然灾害 — annual natural disasters (历史灾害, table `ndzrzh`): filled by the county, one record per
 * year × hazard for 1978–2020 (DOMAIN.md §2 T7) [BK]. Indicators follow the natural-disaster statistics system
 * (自然灾害情况统计调查制度) [S25]. One record per (year, hazard), so the unit is `object`, not `region`.
 */
import { defineForm } from '../../forms';
import type { CatalogEntry } from '../types';
import {
  FOOTER_SAMPLE,
  HAZARD_KINDS,
  LOSS_RULES,
  LOSS_SAMPLE,
  LOSS_VIOLATIONS,
  NOT_PLACEHOLDER,
  STANDARD_YEAR,
  UNITS,
  disasterLossFields,
  frameViolations,
  headerSample,
  withEmergencyFrame,
} from './common';

const definition = defineForm(
  withEmergencyFrame({
    id: 'emergency.annual-disaster',
    part: 'history',
    code: 'ndzrzh',
    title: { zh: '年度自然灾害调查表', en: 'Annual natural disasters' },
    description: {
      zh: '县级填报,1978—2020年逐年、逐灾种各填一条;受灾面积≥成灾面积≥绝收面积。',
      en: 'Filled by the county: one record per year and hazard for 1978–2020; affected ≥ damaged ≥ total-loss crop area.',
    },
    unit: 'object',
    regionLevel: 'county',
    header: {
      nameLabel: { zh: '填报单位名称', en: 'Reporting unit' },
      nameHint: { zh: '如:某县应急管理局', en: 'e.g. the county emergency-management bureau' },
      locationLabel: { zh: '填报单位位置', en: 'Location of the reporting unit' },
      location: 'optional',
      footprint: 'none',
    },
    sections: [
      { id: 'event', title: { zh: '年份与灾种', en: 'Year and hazard' } },
      { id: 'losses', title: { zh: '灾情', en: 'Losses' } },
      { id: 'source', title: { zh: '数据来源', en: 'Data source' } },
    ],
    fields: [
      // ── event
      { name: 'year', label: { zh: '年份', en: 'Year' }, type: 'year', required: true, min: 1978, max: STANDARD_YEAR, section: 'event' },
      {
        name: 'hazard',
        label: { zh: '灾种', en: 'Hazard' },
        type: 'select_one',
        required: true,
        choices: HAZARD_KINDS,
        other: { value: 'other', field: 'hazard_other' },
        section: 'event',
      },
      { name: 'hazard_other', label: { zh: '其他灾种', en: 'Other hazard' }, type: 'text', maxLength: 50, constraints: [NOT_PLACEHOLDER], section: 'event' },
      {
        name: 'occurrences',
        label: { zh: '灾害发生次数', en: 'Number of events' },
        type: 'integer',
        min: 1,
        unit: UNITS.times,
        section: 'event',
      },
      {
        name: 'affected_townships',
        label: { zh: '受灾乡镇(街道)数', en: 'Townships affected' },
        type: 'integer',
        min: 0,
        unit: UNITS.items,
        section: 'event',
      },
      // ── losses
      ...disasterLossFields('losses'),
      // ── source
      {
        name: 'data_source',
        label: { zh: '数据来源', en: 'Data source' },
        hint: { zh: '如:自然灾害统计报表、统计年鉴、地方志', en: 'e.g. disaster statistics reports, statistical yearbooks, local chronicles' },
        type: 'text',
        maxLength: 200,
        required: true,
        constraints: [NOT_PLACEHOLDER],
        section: 'source',
      },
      { name: 'notes', label: { zh: '备注', en: 'Notes' }, type: 'text', multiline: true, maxLength: 1000, section: 'source' },
    ],
    rules: LOSS_RULES,
  }),
);

export const entry: CatalogEntry = {
  definition,
  sample: {
    ...headerSample('某县应急管理局', '11420115MB0012345U', '某县城关镇政府路5号', 30.5899, 114.3021, false),
    year: 2016,
    hazard: 'flood',
    occurrences: 3,
    affected_townships: 9,
    ...LOSS_SAMPLE,
    data_source: '自然灾害情况统计报表',
    ...FOOTER_SAMPLE,
  },
  violations: [
    ...frameViolations({ locationRequired: false }),
    ...LOSS_VIOLATIONS,
    { rule: 'year ≥ 1978', patch: { year: 1977 }, path: 'data.year', code: 'min' },
    { rule: 'year ≤ 2020', patch: { year: 2021 }, path: 'data.year', code: 'max' },
    { rule: 'year is required', patch: { year: undefined }, path: 'data.year', code: 'required' },
    { rule: 'hazard is required', patch: { hazard: undefined }, path: 'data.hazard', code: 'required' },
    { rule: 'other hazard → text required', patch: { hazard: 'other', hazard_other: undefined }, path: 'data.hazard_other', code: 'required' },
    { rule: 'other hazard is not a placeholder', patch: { hazard: 'other', hazard_other: '不详' }, path: 'data.hazard_other', code: 'constraint' },
    { rule: 'data source is not a placeholder', patch: { data_source: '/' }, path: 'data.data_source', code: 'constraint' },
  ],
};
