/**
 * The frame every emergency-system record shares (DOMAIN.md §2 "Common header and footer"): a header with the unit
 * name, unified social credit code, address, point location and (for facilities) footprint, and a footer with the
 * unit head, statistics head, form filler, phone and fill date. Every emergency table is built with
 * `withEmergencyFrame`, so its sections are `header`, the table's own body sections, then `footer`.
 *
 * The unit-name field is called `name` in every table (the API contract of `emergency.shelter` fixes that name).
 */
import { CHINA_EXTENT, type FieldInput, type FormDefinitionInput, type Localized } from '../../forms';
import type { Violation } from '../types';

type Constraint = { expr: string; message: Localized };
type Section = { id: string; title: Localized };

/** Placeholder answers the census rejected on names and addresses (不详/无/未知/'/'). */
export const NOT_PLACEHOLDER: Constraint = {
  expr: "not(. = '不详' or . = '无' or . = '未知' or . = '/')",
  message: { zh: '不能填写"不详""无""未知"或"/"', en: 'A placeholder such as 不详, 无, 未知 or / is not accepted' },
};

/** Dates and years refer to the standard time point 2020-12-31 unless a table says otherwise. */
export const STANDARD_DATE = '2020-12-31';
export const STANDARD_YEAR = 2020;

export const UNITS = {
  m2: { zh: '平方米', en: 'm²' },
  m3: { zh: '立方米', en: 'm³' },
  hm2: { zh: '公顷', en: 'hm²' },
  persons: { zh: '人', en: 'persons' },
  personTimes: { zh: '人次', en: 'person-times' },
  beds: { zh: '张', en: 'beds' },
  rooms: { zh: '间', en: 'rooms' },
  items: { zh: '个', en: 'units' },
  teams: { zh: '支', en: 'teams' },
  times: { zh: '次', en: 'times' },
  buildings: { zh: '栋', en: 'buildings' },
  tonnes: { zh: '吨', en: 't' },
  tenKYuan: { zh: '万元', en: '10⁴ yuan' },
  years: { zh: '年', en: 'years' },
} as const;

export const YES_NO_HINT: Localized = { zh: '是/否', en: 'Yes / no' };

export { PHOTO_TYPES, photos } from '../photos';

export const HEADER_SECTION: Section = { id: 'header', title: { zh: '单位基本信息', en: 'Unit information' } };
export const FOOTER_SECTION: Section = { id: 'footer', title: { zh: '填报信息', en: 'Filled in by' } };

export interface HeaderOptions {
  /** Label of the unit-name field `name` (default 单位名称 / Unit name), e.g. 学校名称. */
  nameLabel?: Localized;
  nameHint?: Localized;
  /** Label of the point-location field `location` (default 点位置 / Point location). */
  locationLabel?: Localized;
  /** The point location is required on every object record; region and history tables may make it optional. */
  location?: 'required' | 'optional';
  /** Footprint polygon (面位置): facilities have an optional one, some tables require it, others have none. */
  footprint?: 'required' | 'optional' | 'none';
  /** Label of the credit-code field (default 统一社会信用代码/机构编码). */
  usccLabel?: Localized;
}

/** The common header fields (section `header`): name, uscc, address, location, footprint. */
export function emergencyHeader(opts: HeaderOptions = {}): FieldInput[] {
  const section = HEADER_SECTION.id;
  const fields: FieldInput[] = [
    {
      name: 'name',
      label: opts.nameLabel ?? { zh: '单位名称', en: 'Unit name' },
      ...(opts.nameHint ? { hint: opts.nameHint } : {}),
      type: 'text',
      maxLength: 100,
      required: true,
      constraints: [NOT_PLACEHOLDER],
      section,
    },
    {
      name: 'uscc',
      label: opts.usccLabel ?? { zh: '统一社会信用代码/机构编码', en: 'Unified social credit code / institution code' },
      hint: { zh: '18位统一社会信用代码(含校验码)', en: 'The 18-character unified social credit code, check character included' },
      type: 'text',
      format: 'uscc',
      maxLength: 18,
      section,
    },
    {
      name: 'address',
      label: { zh: '详细地址', en: 'Address' },
      hint: { zh: '省/市/县/乡/村/街(路)号', en: 'Province / city / county / township / village / street and number' },
      type: 'text',
      maxLength: 200,
      constraints: [NOT_PLACEHOLDER],
      section,
    },
    {
      name: 'location',
      label: opts.locationLabel ?? { zh: '点位置', en: 'Point location' },
      type: 'geopoint',
      bounds: CHINA_EXTENT,
      required: (opts.location ?? 'required') === 'required',
      section,
    },
  ];
  const footprint = opts.footprint ?? 'optional';
  if (footprint !== 'none') {
    fields.push({
      name: 'footprint',
      label: { zh: '面位置', en: 'Footprint' },
      hint: { zh: '在底图上勾绘单位占地范围', en: 'Outline of the site drawn on the base map' },
      type: 'geoshape',
      bounds: CHINA_EXTENT,
      required: footprint === 'required',
      section,
    });
  }
  return fields;
}

/** The common footer fields (section `footer`): unit head, statistics head, form filler, phone, fill date. */
export function emergencyFooter(): FieldInput[] {
  const section = FOOTER_SECTION.id;
  return [
    { name: 'unit_head', label: { zh: '单位负责人', en: 'Head of unit' }, type: 'text', maxLength: 50, section },
    { name: 'statistics_head', label: { zh: '统计负责人', en: 'Head of statistics' }, type: 'text', maxLength: 50, section },
    {
      name: 'filler',
      label: { zh: '填表人', en: 'Form filler' },
      type: 'text',
      maxLength: 50,
      required: true,
      constraints: [NOT_PLACEHOLDER],
      section,
    },
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

/** A table body: everything of a definition except the parts the frame supplies. */
export type EmergencyTable = Omit<FormDefinitionInput, 'sector' | 'version' | 'sections' | 'fields'> & {
  version?: number;
  /** Body sections, shown between the header and the footer. */
  sections: Section[];
  /** Body fields (each with one of the body sections). */
  fields: FieldInput[];
  header?: HeaderOptions;
};

/** Wraps a table body in the emergency frame: sections header / body… / footer, header and footer fields around the body. */
export function withEmergencyFrame(table: EmergencyTable): FormDefinitionInput {
  const { header, sections, fields, version, ...rest } = table;
  return {
    ...rest,
    sector: 'emergency',
    version: version ?? 1,
    sections: [HEADER_SECTION, ...sections, FOOTER_SECTION],
    fields: [...emergencyHeader(header), ...fields, ...emergencyFooter()],
  };
}

/** A closed square ring around a point, as a GeoJSON Polygon (lng, lat order), for samples. */
export function squareAround(lat: number, lng: number, d = 0.001) {
  const r = (n: number) => Number(n.toFixed(6));
  return {
    type: 'Polygon',
    coordinates: [
      [
        [r(lng - d), r(lat - d)],
        [r(lng + d), r(lat - d)],
        [r(lng + d), r(lat + d)],
        [r(lng - d), r(lat + d)],
        [r(lng - d), r(lat - d)],
      ],
    ],
  };
}

/** Sample footer values. */
export const FOOTER_SAMPLE = {
  unit_head: '王建国',
  statistics_head: '陈红',
  filler: '李明',
  phone: '027-84561234',
  fill_date: '2021-09-15',
};

/** Sample header values (the table gives `name` and, if it differs, `uscc`). */
export function headerSample(name: string, uscc: string | undefined, address: string, lat: number, lng: number, footprint = true) {
  return {
    name,
    ...(uscc ? { uscc } : {}),
    address,
    location: { lat, lng },
    ...(footprint ? { footprint: squareAround(lat, lng) } : {}),
  };
}

/** QC cases of the frame, shared by every emergency table. */
export function frameViolations(opts: { locationRequired?: boolean } = {}): Violation[] {
  const out: Violation[] = [
    { rule: 'unit name is required', patch: { name: undefined }, path: 'data.name', code: 'required' },
    { rule: 'unit name is not 不详', patch: { name: '不详' }, path: 'data.name', code: 'constraint' },
    { rule: 'unit name is not "/"', patch: { name: '/' }, path: 'data.name', code: 'constraint' },
    { rule: 'address is not 未知', patch: { address: '未知' }, path: 'data.address', code: 'constraint' },
    { rule: 'unified social credit code check character', patch: { uscc: '12420115MB1234567X' }, path: 'data.uscc', code: 'format' },
    { rule: 'point location inside China', patch: { location: { lat: 35.0, lng: 10.0 } }, path: 'data.location', code: 'out-of-bounds' },
    { rule: 'form filler is required', patch: { filler: undefined }, path: 'data.filler', code: 'required' },
    { rule: 'form filler is not 无', patch: { filler: '无' }, path: 'data.filler', code: 'constraint' },
    { rule: 'phone number format', patch: { phone: '12345' }, path: 'data.phone', code: 'format' },
    { rule: 'fill date is required', patch: { fill_date: undefined }, path: 'data.fill_date', code: 'required' },
    { rule: 'fill date not in the future', patch: { fill_date: '2099-01-01' }, path: 'data.fill_date', code: 'constraint' },
  ];
  if (opts.locationRequired ?? true) {
    out.push({ rule: 'point location is required', patch: { location: undefined }, path: 'data.location', code: 'required' });
  }
  return out;
}

/** "Other" choice used across the emergency tables. */
export const OTHER = { value: 'other', label: { zh: '其他', en: 'Other' } };

/** Hazard kinds (灾种) of the annual and historical disaster tables. */
export const HAZARD_KINDS = [
  { value: 'flood', label: { zh: '洪涝灾害', en: 'Flood' } },
  { value: 'drought', label: { zh: '干旱灾害', en: 'Drought' } },
  { value: 'typhoon', label: { zh: '台风灾害', en: 'Typhoon' } },
  { value: 'hail_wind', label: { zh: '风雹灾害', en: 'Wind and hail' } },
  { value: 'low_temp_frost', label: { zh: '低温冷冻灾害', en: 'Low temperature and frost' } },
  { value: 'snow', label: { zh: '雪灾', en: 'Snow' } },
  { value: 'sand_dust', label: { zh: '沙尘暴灾害', en: 'Sand and dust storm' } },
  { value: 'earthquake', label: { zh: '地震灾害', en: 'Earthquake' } },
  { value: 'geological', label: { zh: '地质灾害(滑坡、泥石流、崩塌等)', en: 'Geological (landslide, debris flow, rockfall…)' } },
  { value: 'marine', label: { zh: '海洋灾害', en: 'Marine' } },
  { value: 'forest_fire', label: { zh: '森林草原火灾', en: 'Forest and grassland fire' } },
  OTHER,
];

/** Loss indicators (灾情指标) shared by the annual and historical disaster tables, in section `section`. */
export function disasterLossFields(section: string): FieldInput[] {
  const int = (name: string, zh: string, en: string, unit: Localized, hint?: Localized): FieldInput => ({
    name,
    label: { zh, en },
    ...(hint ? { hint } : {}),
    type: 'integer',
    min: 0,
    unit,
    section,
  });
  const dec = (name: string, zh: string, en: string, unit: Localized, hint?: Localized): FieldInput => ({
    name,
    label: { zh, en },
    ...(hint ? { hint } : {}),
    type: 'decimal',
    min: 0,
    precision: 2,
    unit,
    section,
  });
  return [
    int('affected_population', '受灾人口', 'Affected population', UNITS.personTimes),
    int('deaths', '死亡人口', 'Deaths', UNITS.persons),
    int('missing', '失踪人口', 'Missing', UNITS.persons),
    int('relocated', '紧急转移安置人口', 'Emergency relocation', UNITS.personTimes),
    dec('crop_affected', '农作物受灾面积', 'Crop area affected', UNITS.hm2, {
      zh: '减产一成(10%)以上的农作物播种面积',
      en: 'Sown area with a yield loss of 10% or more',
    }),
    dec('crop_damaged', '农作物成灾面积', 'Crop area damaged', UNITS.hm2, {
      zh: '减产三成(30%)以上,包含在受灾面积中',
      en: 'Yield loss of 30% or more; part of the affected area',
    }),
    dec('crop_lost', '农作物绝收面积', 'Crop area with total loss', UNITS.hm2, {
      zh: '减产八成(80%)以上,包含在成灾面积中',
      en: 'Yield loss of 80% or more; part of the damaged area',
    }),
    int('collapsed_houses', '倒塌房屋', 'Collapsed houses', UNITS.rooms),
    int('damaged_houses', '损坏房屋', 'Damaged houses', UNITS.rooms),
    dec('economic_loss', '直接经济损失', 'Direct economic loss', UNITS.tenKYuan),
    dec('agri_loss', '其中:农业损失', 'of which: agricultural loss', UNITS.tenKYuan),
  ];
}

/** Cross-field rules of the loss indicators. */
export const LOSS_RULES = [
  {
    id: 'crop-damaged-le-affected',
    expr: '${crop_affected} >= ${crop_damaged}',
    path: 'crop_damaged',
    message: { zh: '农作物成灾面积不能大于受灾面积', en: 'The damaged crop area cannot exceed the affected crop area' },
  },
  {
    id: 'crop-lost-le-damaged',
    expr: '${crop_damaged} >= ${crop_lost}',
    path: 'crop_lost',
    message: { zh: '农作物绝收面积不能大于成灾面积', en: 'The crop area with total loss cannot exceed the damaged crop area' },
  },
  {
    id: 'relocated-le-affected',
    expr: '${relocated} <= ${affected_population}',
    path: 'relocated',
    message: { zh: '紧急转移安置人口不能大于受灾人口', en: 'Emergency relocation cannot exceed the affected population' },
  },
  {
    id: 'agri-loss-le-economic-loss',
    expr: '${agri_loss} <= ${economic_loss}',
    path: 'agri_loss',
    message: { zh: '农业损失不能大于直接经济损失', en: 'The agricultural loss cannot exceed the direct economic loss' },
  },
];

/** A plausible set of losses satisfying LOSS_RULES. */
export const LOSS_SAMPLE = {
  affected_population: 35_600,
  deaths: 2,
  missing: 0,
  relocated: 4_200,
  crop_affected: 8_350.5,
  crop_damaged: 3_120,
  crop_lost: 640.25,
  collapsed_houses: 86,
  damaged_houses: 1_240,
  economic_loss: 12_850.6,
  agri_loss: 5_320.4,
};

export const LOSS_VIOLATIONS: Violation[] = [
  { rule: 'crop damaged ≤ crop affected', patch: { crop_affected: 1000, crop_damaged: 1200, crop_lost: 100 }, path: 'data.crop_damaged', code: 'rule' },
  { rule: 'crop total loss ≤ crop damaged', patch: { crop_affected: 1000, crop_damaged: 500, crop_lost: 600 }, path: 'data.crop_lost', code: 'rule' },
  { rule: 'relocated ≤ affected population', patch: { affected_population: 100, relocated: 150 }, path: 'data.relocated', code: 'rule' },
  { rule: 'agricultural loss ≤ direct economic loss', patch: { economic_loss: 100, agri_loss: 120 }, path: 'data.agri_loss', code: 'rule' },
  { rule: 'direct economic loss ≥ 0', patch: { economic_loss: -5, agri_loss: undefined }, path: 'data.economic_loss', code: 'min' },
  { rule: 'deaths ≥ 0', patch: { deaths: -1 }, path: 'data.deaths', code: 'min' },
];

/** Warning means (预警信息发布手段) of the township and village capability tables. */
export const WARNING_MEANS = [
  { value: 'loudspeaker', label: { zh: '高音喇叭(大喇叭)', en: 'Loudspeakers' } },
  { value: 'broadcast', label: { zh: '广播电视', en: 'Radio and TV broadcast' } },
  { value: 'sms', label: { zh: '手机短信', en: 'SMS' } },
  { value: 'wechat', label: { zh: '微信群等网络平台', en: 'WeChat groups and other online channels' } },
  { value: 'phone', label: { zh: '电话', en: 'Phone calls' } },
  { value: 'display', label: { zh: '电子显示屏', en: 'Electronic display boards' } },
  { value: 'siren', label: { zh: '警报器', en: 'Sirens' } },
  { value: 'gong', label: { zh: '铜锣、口哨', en: 'Gongs and whistles' } },
  { value: 'door_to_door', label: { zh: '人员上门通知', en: 'Door-to-door notice' } },
  OTHER,
];
