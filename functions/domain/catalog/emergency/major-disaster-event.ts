/**
 * 历史重大灾害事件 — major historical disaster event (历史灾害, table `lszdzhsj`): filled by the county for events of
 * 1949–2020; adds start/end dates (end ≥ start), location and description to the annual loss indicators
 * (DOMAIN.md §2 T7 note) [BK].
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
  STANDARD_DATE,
  disasterLossFields,
  frameViolations,
  headerSample,
  photos,
  withEmergencyFrame,
} from './common';

const definition = defineForm(
  withEmergencyFrame({
    id: 'emergency.major-disaster-event',
    part: 'history',
    code: 'lszdzhsj',
    title: { zh: '历史重大灾害事件调查表', en: 'Major historical disaster events' },
    description: {
      zh: '县级填报1949—2020年发生的重大自然灾害事件,每个事件一条。',
      en: 'Filled by the county: one record per major natural-disaster event of 1949–2020.',
    },
    unit: 'object',
    regionLevel: 'county',
    header: {
      nameLabel: { zh: '填报单位名称', en: 'Reporting unit' },
      locationLabel: { zh: '灾害发生地点位置', en: 'Location of the event' },
      footprint: 'none',
    },
    sections: [
      { id: 'event', title: { zh: '事件情况', en: 'The event' } },
      { id: 'losses', title: { zh: '灾情', en: 'Losses' } },
      { id: 'source', title: { zh: '资料来源', en: 'Sources' } },
    ],
    fields: [
      // ── event
      {
        name: 'event_name',
        label: { zh: '灾害事件名称', en: 'Event name' },
        hint: { zh: '如:1998年长江流域特大洪水', en: 'e.g. the 1998 Yangtze basin flood' },
        type: 'text',
        maxLength: 100,
        required: true,
        constraints: [NOT_PLACEHOLDER],
        section: 'event',
      },
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
        name: 'start_date',
        label: { zh: '开始日期', en: 'Start date' },
        type: 'date',
        required: true,
        min: '1949-01-01',
        max: STANDARD_DATE,
        section: 'event',
      },
      {
        name: 'end_date',
        label: { zh: '结束日期', en: 'End date' },
        type: 'date',
        required: true,
        min: '1949-01-01',
        max: STANDARD_DATE,
        section: 'event',
      },
      {
        name: 'affected_places',
        label: { zh: '受灾范围', en: 'Areas affected' },
        hint: { zh: '受灾乡镇(街道)名称,以顿号分隔', en: 'Names of the townships affected' },
        type: 'text',
        maxLength: 500,
        required: true,
        constraints: [NOT_PLACEHOLDER],
        section: 'event',
      },
      {
        name: 'description',
        label: { zh: '灾害过程描述', en: 'Description' },
        hint: { zh: '成因、过程、影响及应对情况', en: 'Causes, course, impact and response' },
        type: 'text',
        multiline: true,
        maxLength: 4000,
        required: true,
        minLength: 10,
        section: 'event',
      },
      // ── losses
      ...disasterLossFields('losses'),
      // ── source
      {
        name: 'data_source',
        label: { zh: '资料来源', en: 'Source' },
        hint: { zh: '如:地方志、灾情报告、档案', en: 'e.g. local chronicles, disaster reports, archives' },
        type: 'text',
        maxLength: 200,
        required: true,
        constraints: [NOT_PLACEHOLDER],
        section: 'source',
      },
      photos('documents', { zh: '佐证材料(图片)', en: 'Supporting documents (images)' }, { section: 'source' }),
    ],
    rules: [
      {
        id: 'end-ge-start',
        expr: '${end_date} >= ${start_date}',
        path: 'end_date',
        message: { zh: '结束日期不能早于开始日期', en: 'The end date cannot be before the start date' },
      },
      ...LOSS_RULES,
    ],
  }),
);

export const entry: CatalogEntry = {
  definition,
  sample: {
    ...headerSample('某县应急管理局', '11420115MB0012345U', '某县城关镇政府路5号', 30.6125, 114.3583, false),
    event_name: '1998年特大洪涝灾害',
    hazard: 'flood',
    start_date: '1998-06-12',
    end_date: '1998-08-31',
    affected_places: '城关镇、东湖乡、沿河镇',
    description: '受长江流域持续强降雨影响,县境内多处堤防出现险情,沿河低洼地区大面积受淹。',
    ...LOSS_SAMPLE,
    data_source: '县志(1986—2005)',
    ...FOOTER_SAMPLE,
  },
  violations: [
    ...frameViolations(),
    ...LOSS_VIOLATIONS,
    { rule: 'end date ≥ start date', patch: { start_date: '1998-08-01', end_date: '1998-07-20' }, path: 'data.end_date', code: 'rule' },
    { rule: 'start date ≥ 1949-01-01', patch: { start_date: '1948-07-01' }, path: 'data.start_date', code: 'min' },
    { rule: 'end date ≤ 2020-12-31', patch: { end_date: '2021-01-05' }, path: 'data.end_date', code: 'max' },
    { rule: 'event name is not a placeholder', patch: { event_name: '未知' }, path: 'data.event_name', code: 'constraint' },
    { rule: 'event name is required', patch: { event_name: undefined }, path: 'data.event_name', code: 'required' },
    { rule: 'other hazard → text required', patch: { hazard: 'other', hazard_other: undefined }, path: 'data.hazard_other', code: 'required' },
    { rule: 'description at least 10 characters', patch: { description: '洪水' }, path: 'data.description', code: 'too-short' },
  ],
};
