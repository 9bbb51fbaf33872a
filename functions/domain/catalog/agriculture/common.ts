/**
 * Building blocks shared by the water-and-drought (水旱) and crop tables of the agriculture sector:
 * name checks, photo fields, the filler footer, and the choice lists the water-resources census reuses.
 */
import type { FieldInput, Localized } from '../../forms';

type Constraint = { expr: string; message: Localized };

/** Names must not be placeholders (不详/无/未知/'/'), a common census error. */
export const NOT_PLACEHOLDER: Constraint = {
  expr: "not(. = '不详' or . = '无' or . = '未知' or . = '/')",
  message: { zh: '名称不能填写"不详""无""未知"或"/"', en: 'The name may not be a placeholder such as 不详, 无, 未知 or /' },
};

/** Water-project code (水利工程代码, SL 213): upper-case letters and digits. */
export const PROJECT_CODE: Constraint = {
  expr: "regex(., '^[A-Z0-9]{8,20}$')",
  message: { zh: '工程代码应为8–20位大写字母或数字', en: 'The project code is 8–20 upper-case letters or digits' },
};

export const UNITS = {
  m: { zh: '米', en: 'm' },
  km: { zh: '千米', en: 'km' },
  km2: { zh: '平方千米', en: 'km²' },
  hm2: { zh: '公顷', en: 'hm²' },
  tenKm3: { zh: '万立方米', en: '10⁴ m³' },
  m3s: { zh: '立方米每秒', en: 'm³/s' },
  years: { zh: '年', en: 'years' },
  persons: { zh: '人', en: 'persons' },
  tenKPersons: { zh: '万人', en: '10⁴ persons' },
  tenKYuan: { zh: '万元', en: '10⁴ yuan' },
  tonnes: { zh: '吨', en: 't' },
  head: { zh: '头', en: 'head' },
  items: { zh: '个', en: 'units' },
  sets: { zh: '台(套)', en: 'sets' },
} as const;

/** River basins (流域) of the water-resources census, first level. */
export const BASINS = [
  { value: 'songhua', label: { zh: '松花江', en: 'Songhua River' } },
  { value: 'liao', label: { zh: '辽河', en: 'Liao River' } },
  { value: 'hai', label: { zh: '海河', en: 'Hai River' } },
  { value: 'yellow', label: { zh: '黄河', en: 'Yellow River' } },
  { value: 'huai', label: { zh: '淮河', en: 'Huai River' } },
  { value: 'yangtze', label: { zh: '长江', en: 'Yangtze River' } },
  { value: 'taihu', label: { zh: '太湖', en: 'Taihu Lake' } },
  { value: 'southeast', label: { zh: '东南诸河', en: 'Southeast rivers' } },
  { value: 'pearl', label: { zh: '珠江', en: 'Pearl River' } },
  { value: 'southwest', label: { zh: '西南诸河', en: 'Southwest rivers' } },
  { value: 'northwest', label: { zh: '西北诸河', en: 'Northwest rivers' } },
];

/** Project scale (工程规模, SL 252). */
export const SCALES = [
  { value: 'large_1', label: { zh: '大(1)型', en: 'Large (1)' } },
  { value: 'large_2', label: { zh: '大(2)型', en: 'Large (2)' } },
  { value: 'medium', label: { zh: '中型', en: 'Medium' } },
  { value: 'small_1', label: { zh: '小(1)型', en: 'Small (1)' } },
  { value: 'small_2', label: { zh: '小(2)型', en: 'Small (2)' } },
];

/** Competent authority (主管部门). */
export const AUTHORITIES = [
  { value: 'water', label: { zh: '水利部门', en: 'Water-resources department' } },
  { value: 'agriculture', label: { zh: '农业农村部门', en: 'Agriculture and rural-affairs department' } },
  { value: 'power', label: { zh: '电力部门', en: 'Power sector' } },
  { value: 'township', label: { zh: '乡镇人民政府', en: 'Township government' } },
  { value: 'collective', label: { zh: '村集体', en: 'Village collective' } },
  { value: 'enterprise', label: { zh: '企业', en: 'Enterprise' } },
  { value: 'other', label: { zh: '其他', en: 'Other' } },
];

export { PHOTO_TYPES, photos } from '../photos';

/** Filler footer (填表人 / 联系电话 / 填表日期), in section `section`. */
export function footer(section: string): FieldInput[] {
  return [
    {
      name: 'reporting_unit',
      label: { zh: '填报单位', en: 'Reporting unit' },
      type: 'text',
      maxLength: 100,
      required: true,
      constraints: [NOT_PLACEHOLDER],
      section,
    },
    { name: 'unit_head', label: { zh: '单位负责人', en: 'Head of unit' }, type: 'text', maxLength: 50, section },
    { name: 'filler', label: { zh: '填表人', en: 'Form filler' }, type: 'text', maxLength: 50, required: true, constraints: [NOT_PLACEHOLDER], section },
    { name: 'phone', label: { zh: '联系电话', en: 'Phone' }, type: 'text', format: 'phone', maxLength: 20, required: true, section },
    {
      name: 'fill_date',
      label: { zh: '填表日期', en: 'Date filled in' },
      type: 'date',
      min: '2020-01-01',
      required: true,
      constraints: [{ expr: '. <= today()', message: { zh: '填表日期不能晚于今天', en: 'The fill date cannot be in the future' } }],
      section,
    },
  ];
}

/** Sample values for the footer. */
export const FOOTER_SAMPLE = {
  reporting_unit: '某旗农牧和水利局',
  unit_head: '王建国',
  filler: '李明',
  phone: '13904711234',
  fill_date: '2021-09-15',
};

/** Violations shared by every table with the footer. */
export const FOOTER_VIOLATIONS = [
  { rule: 'filler is not a placeholder', patch: { filler: '不详' }, path: 'data.filler', code: 'constraint' },
  { rule: 'reporting unit is not a placeholder', patch: { reporting_unit: '/' }, path: 'data.reporting_unit', code: 'constraint' },
  { rule: 'fill date not in the future', patch: { fill_date: '2099-01-01' }, path: 'data.fill_date', code: 'constraint' },
  { rule: 'phone number format', patch: { phone: '12345' }, path: 'data.phone', code: 'format' },
];

export const FOOTER_SECTION = { id: 'filler', title: { zh: '填报信息', en: 'Filled in by' } };
