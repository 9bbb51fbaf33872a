/**
 * Building blocks shared by the forestry and grassland (林草) tables: name checks, units, photo fields, the
 * surveyor footer (调查单位 / 调查人 / 联系电话 / 调查日期) and its sample and QC cases.
 */
import type { FieldInput, Localized } from '../../forms';

type Constraint = { expr: string; message: Localized };

/** Standard time point of the census (标准时点). */
export const TIME_POINT = '2020-12-31';
export const TIME_POINT_YEAR = 2020;

/** Names must not be placeholders (不详/无/未知/'/'), a common census error. */
export const NOT_PLACEHOLDER: Constraint = {
  expr: "not(. = '不详' or . = '无' or . = '未知' or . = '/')",
  message: { zh: '名称不能填写"不详""无""未知"或"/"', en: 'The name may not be a placeholder such as 不详, 无, 未知 or /' },
};

/** Person names: the same placeholders, plus the usual stand-ins for an unnamed person. */
export const PERSON_NAME: Constraint = {
  expr: "not(. = '不详' or . = '无' or . = '未知' or . = '/' or . = '无名' or . = '某某')",
  message: {
    zh: '姓名不能填写"不详""无""未知""无名""某某"或"/"',
    en: 'The name may not be a placeholder such as 不详, 无, 未知, 无名, 某某 or /',
  },
};

/** A date that cannot lie in the future (survey, handling and fill-in dates). */
export const NOT_FUTURE: Constraint = {
  expr: '. <= today()',
  message: { zh: '日期不能晚于今天', en: 'The date cannot be in the future' },
};

export const UNITS = {
  m: { zh: '米', en: 'm' },
  cm: { zh: '厘米', en: 'cm' },
  km: { zh: '千米', en: 'km' },
  m2: { zh: '平方米', en: 'm²' },
  km2: { zh: '平方千米', en: 'km²' },
  hm2: { zh: '公顷', en: 'hm²' },
  m2PerHm2: { zh: '平方米/公顷', en: 'm²/hm²' },
  m3: { zh: '立方米', en: 'm³' },
  m3PerHm2: { zh: '立方米/公顷', en: 'm³/hm²' },
  stemsPerHm2: { zh: '株/公顷', en: 'stems/hm²' },
  stems: { zh: '株', en: 'stems' },
  kg: { zh: '千克', en: 'kg' },
  tPerHm2: { zh: '吨/公顷', en: 't/hm²' },
  degrees: { zh: '度', en: '°' },
  percent: { zh: '%', en: '%' },
  years: { zh: '年', en: 'years' },
  days: { zh: '天', en: 'days' },
  hour: { zh: '时', en: 'h' },
  persons: { zh: '人', en: 'persons' },
  personDays: { zh: '人·日', en: 'person-days' },
  vehicles: { zh: '台(辆)', en: 'vehicles' },
  sorties: { zh: '架次', en: 'sorties' },
  items: { zh: '个', en: 'units' },
  sets: { zh: '台(套)', en: 'sets' },
  yuan: { zh: '元', en: 'yuan' },
  tenKYuan: { zh: '万元', en: '10⁴ yuan' },
} as const;

/** Managing / organising body of a fire-prevention facility or crew (建设或管理主体). */
export const ORGANISERS = [
  { value: 'county', label: { zh: '县级人民政府或林草主管部门', en: 'County government or forestry authority' } },
  { value: 'township', label: { zh: '乡镇人民政府(街道)', en: 'Township government (sub-district)' } },
  { value: 'forest_farm', label: { zh: '国有林场', en: 'State forest farm' } },
  { value: 'protected_area', label: { zh: '自然保护地管理机构', en: 'Protected-area administration' } },
  { value: 'village', label: { zh: '村集体', en: 'Village collective' } },
  { value: 'enterprise', label: { zh: '企业', en: 'Enterprise' } },
  { value: 'other', label: { zh: '其他', en: 'Other' } },
];

/** Working condition of a facility (设施状况). */
export const CONDITIONS = [
  { value: 'good', label: { zh: '完好,正常使用', en: 'Good, in normal use' } },
  { value: 'needs_repair', label: { zh: '部分损坏,需维修', en: 'Partly damaged, needs repair' } },
  { value: 'out_of_service', label: { zh: '损毁或停用', en: 'Destroyed or out of service' } },
];

export { PHOTO_TYPES, photos } from '../photos';

export const FOOTER_SECTION = { id: 'surveyor', title: { zh: '调查信息', en: 'Survey details' } };

/** Surveyor footer (调查单位 / 调查人 / 审核人 / 联系电话 / 调查日期), in section `section`. */
export function footer(section: string): FieldInput[] {
  return [
    {
      name: 'survey_unit',
      label: { zh: '调查单位', en: 'Surveying unit' },
      type: 'text',
      maxLength: 100,
      required: true,
      constraints: [NOT_PLACEHOLDER],
      section,
    },
    {
      name: 'investigator',
      label: { zh: '调查人', en: 'Surveyor' },
      type: 'text',
      maxLength: 50,
      required: true,
      constraints: [PERSON_NAME],
      section,
    },
    { name: 'reviewer', label: { zh: '审核人', en: 'Reviewer' }, type: 'text', maxLength: 50, constraints: [PERSON_NAME], section },
    { name: 'phone', label: { zh: '联系电话', en: 'Phone' }, type: 'text', format: 'phone', maxLength: 20, required: true, section },
    {
      name: 'survey_date',
      label: { zh: '调查日期', en: 'Survey date' },
      type: 'date',
      min: '2020-01-01',
      required: true,
      constraints: [NOT_FUTURE],
      section,
    },
  ];
}

/** Sample values for the footer. */
export const FOOTER_SAMPLE = {
  survey_unit: '某县林业和草原局',
  investigator: '张林',
  reviewer: '刘海峰',
  phone: '13907341256',
  survey_date: '2021-09-18',
};

/** Violations shared by every table with the footer. */
export const FOOTER_VIOLATIONS = [
  { rule: 'surveyor is not a placeholder', patch: { investigator: '不详' }, path: 'data.investigator', code: 'constraint' },
  { rule: 'reviewer is not a placeholder', patch: { reviewer: '某某' }, path: 'data.reviewer', code: 'constraint' },
  { rule: 'surveying unit is not a placeholder', patch: { survey_unit: '/' }, path: 'data.survey_unit', code: 'constraint' },
  { rule: 'survey date not in the future', patch: { survey_date: '2099-01-01' }, path: 'data.survey_date', code: 'constraint' },
  { rule: 'phone number format', patch: { phone: '12345' }, path: 'data.phone', code: 'format' },
];
