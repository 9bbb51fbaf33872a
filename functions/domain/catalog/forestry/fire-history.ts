/**
 * 历史森林和草原火灾调查表 — historical forest and grassland fire (DOMAIN.md T12). One record per fire, filed by the
 * township it started in. Fire grades follow the Forest Fire Prevention Regulations (《森林防火条例》 2008, art. 40):
 * by damaged forest area general < 1 hm², larger 1–100, major 100–1000, especially major ≥ 1000 hm² ("以上" includes
 * the bound), raised by casualties (deaths 1–2 / 3–9 / 10–29 / ≥ 30; serious injuries 1–9 / 10–49 / 50–99 / ≥ 100).
 */
import { CHINA_EXTENT, defineForm } from '../../forms';
import type { CatalogEntry } from '../types';
import { FOOTER_SAMPLE, FOOTER_SECTION, FOOTER_VIOLATIONS, NOT_PLACEHOLDER, TIME_POINT, UNITS, footer, photos } from './common';

const FOREST = "${fire_type} = 'forest'";

const definition = defineForm({
  id: 'forestry.fire-history',
  version: 1,
  sector: 'forestry',
  part: 'fire-history',
  title: { zh: '历史森林和草原火灾调查表', en: 'Historical forest and grassland fire' },
  description: {
    zh: '每起火灾一条记录,按起火地所在乡镇填报;时间截至2020年12月31日。面积以公顷计,损失以万元计。',
    en: 'One record per fire, filed under the township where it started; fires up to 31 December 2020. Areas in hm², losses in 10⁴ yuan.',
  },
  unit: 'object',
  regionLevel: 'township',
  sections: [
    { id: 'basic', title: { zh: '火灾基本情况', en: 'The fire' } },
    { id: 'area', title: { zh: '过火与受害面积', en: 'Burned and damaged area' } },
    { id: 'losses', title: { zh: '损失与伤亡', en: 'Losses and casualties' } },
    { id: 'response', title: { zh: '扑救情况', en: 'Firefighting' } },
    FOOTER_SECTION,
  ],
  fields: [
    // ── the fire
    { name: 'fire_no', label: { zh: '火灾编号', en: 'Fire number' }, hint: { zh: '森林(草原)火灾统计或档案中的编号', en: 'Number in fire statistics or archives' }, type: 'text', maxLength: 50, section: 'basic' },
    {
      name: 'fire_type',
      label: { zh: '火灾类别', en: 'Fire type' },
      type: 'select_one',
      choices: [
        { value: 'forest', label: { zh: '森林火灾', en: 'Forest fire' } },
        { value: 'grassland', label: { zh: '草原火灾', en: 'Grassland fire' } },
      ],
      required: true,
      section: 'basic',
    },
    { name: 'ignition_date', label: { zh: '起火日期', en: 'Ignition date' }, type: 'date', min: '1949-10-01', max: TIME_POINT, required: true, section: 'basic' },
    { name: 'ignition_hour', label: { zh: '起火时刻', en: 'Ignition hour' }, hint: { zh: '0–23时', en: '0–23' }, type: 'integer', min: 0, max: 23, unit: UNITS.hour, section: 'basic' },
    { name: 'extinguished_date', label: { zh: '扑灭日期', en: 'Date extinguished' }, type: 'date', min: '1949-10-01', max: TIME_POINT, required: true, section: 'basic' },
    { name: 'extinguished_hour', label: { zh: '扑灭时刻', en: 'Hour extinguished' }, hint: { zh: '0–23时', en: '0–23' }, type: 'integer', min: 0, max: 23, unit: UNITS.hour, section: 'basic' },
    {
      name: 'place',
      label: { zh: '起火地点(乡镇、村、小地名)', en: 'Place of origin (township, village, local name)' },
      type: 'text',
      maxLength: 200,
      required: true,
      constraints: [NOT_PLACEHOLDER],
      section: 'basic',
    },
    { name: 'location', label: { zh: '起火点坐标', en: 'Point of origin' }, type: 'geopoint', bounds: CHINA_EXTENT, required: true, section: 'basic' },
    {
      name: 'fire_cause',
      label: { zh: '火源(起火原因)', en: 'Fire source (cause)' },
      type: 'select_one',
      choices: [
        { value: 'production', label: { zh: '生产性用火(烧荒、炼山、烧秸秆等)', en: 'Production fire use (land clearing, site burning, straw)' } },
        { value: 'non_production', label: { zh: '非生产性用火(上坟烧纸、野外吸烟、取暖做饭、小孩玩火等)', en: 'Non-production fire use (grave offerings, smoking, cooking, children)' } },
        { value: 'lightning', label: { zh: '雷击火', en: 'Lightning' } },
        { value: 'spread_in', label: { zh: '外来火(境外或外县烧入)', en: 'Spread in from another county or abroad' } },
        { value: 'arson', label: { zh: '故意纵火', en: 'Arson' } },
        { value: 'undetermined', label: { zh: '经调查火因不明', en: 'Cause not established by investigation' } },
        { value: 'other', label: { zh: '其他', en: 'Other' } },
      ],
      other: { value: 'other', field: 'fire_cause_other' },
      required: true,
      section: 'basic',
    },
    { name: 'fire_cause_other', label: { zh: '其他火源说明', en: 'Other fire source' }, type: 'text', maxLength: 100, section: 'basic' },
    {
      name: 'fire_grade',
      label: { zh: '火灾等级(与受害森林面积校核)', en: 'Fire grade (checked against the damaged forest area)' },
      hint: {
        zh: '森林火灾按受害森林面积分级:一般<1公顷,较大1–100公顷,重大100–1000公顷,特别重大≥1000公顷;因人员伤亡可提高等级。系统按此校核,等级与受害森林面积不符且无人员伤亡时不能提交。',
        en: 'Forest fires are graded by damaged forest area: general < 1 hm², larger 1–100, major 100–1000, especially major ≥ 1000 hm²; casualties can raise the grade. The grade is checked against the damaged area and cannot be submitted if it disagrees without casualties to explain it.',
      },
      type: 'select_one',
      choices: [
        { value: 'general', label: { zh: '一般', en: 'General' } },
        { value: 'larger', label: { zh: '较大', en: 'Larger' } },
        { value: 'major', label: { zh: '重大', en: 'Major' } },
        { value: 'especially_major', label: { zh: '特别重大', en: 'Especially major' } },
      ],
      required: true,
      section: 'basic',
    },

    // ── areas
    { name: 'burned_area', label: { zh: '过火面积(火场总面积)', en: 'Burned area (total fire area)' }, type: 'decimal', min: 0, exclusiveMin: true, max: 10_000_000, precision: 2, unit: UNITS.hm2, required: true, section: 'area' },
    {
      name: 'damaged_forest_area',
      label: { zh: '受害森林面积', en: 'Damaged forest area' },
      hint: { zh: '森林火灾必填,无受害森林填0', en: 'Required for forest fires; 0 when no forest was damaged' },
      type: 'decimal',
      min: 0,
      max: 10_000_000,
      precision: 2,
      unit: UNITS.hm2,
      required: FOREST,
      section: 'area',
    },
    { name: 'primary_forest_area', label: { zh: '其中:原始林', en: 'of which primary forest' }, type: 'decimal', min: 0, max: 10_000_000, precision: 2, unit: UNITS.hm2, section: 'area' },
    { name: 'plantation_area', label: { zh: '其中:人工林', en: 'of which plantation' }, type: 'decimal', min: 0, max: 10_000_000, precision: 2, unit: UNITS.hm2, section: 'area' },
    {
      name: 'damaged_grassland_area',
      label: { zh: '受害草原面积', en: 'Damaged grassland area' },
      hint: { zh: '草原火灾必填', en: 'Required for grassland fires' },
      type: 'decimal',
      min: 0,
      max: 10_000_000,
      precision: 2,
      unit: UNITS.hm2,
      required: "${fire_type} = 'grassland'",
      section: 'area',
    },

    // ── losses and casualties
    { name: 'lost_volume', label: { zh: '损失成林蓄积', en: 'Standing volume lost' }, type: 'decimal', min: 0, max: 100_000_000, precision: 2, unit: UNITS.m3, section: 'losses' },
    { name: 'young_trees_lost', label: { zh: '损失幼林株数', en: 'Young trees lost' }, type: 'integer', min: 0, unit: UNITS.stems, section: 'losses' },
    { name: 'injured_slight', label: { zh: '轻伤人数', en: 'Slightly injured' }, type: 'integer', min: 0, max: 100_000, unit: UNITS.persons, required: true, section: 'losses' },
    { name: 'injured_serious', label: { zh: '重伤人数', en: 'Seriously injured' }, type: 'integer', min: 0, max: 100_000, unit: UNITS.persons, required: true, section: 'losses' },
    { name: 'deaths', label: { zh: '死亡人数', en: 'Deaths' }, type: 'integer', min: 0, max: 100_000, unit: UNITS.persons, required: true, section: 'losses' },
    { name: 'other_losses', label: { zh: '其他损失折款', en: 'Other losses' }, type: 'decimal', min: 0, max: 10_000_000, precision: 2, unit: UNITS.tenKYuan, section: 'losses' },

    // ── firefighting
    { name: 'person_days', label: { zh: '出动扑火人工', en: 'Firefighting person-days' }, type: 'integer', min: 0, unit: UNITS.personDays, section: 'response' },
    { name: 'vehicles', label: { zh: '出动车辆', en: 'Vehicles deployed' }, type: 'integer', min: 0, unit: UNITS.vehicles, section: 'response' },
    { name: 'aircraft_sorties', label: { zh: '出动飞机', en: 'Aircraft sorties' }, type: 'integer', min: 0, unit: UNITS.sorties, section: 'response' },
    { name: 'firefighting_cost', label: { zh: '扑火经费', en: 'Firefighting cost' }, type: 'decimal', min: 0, max: 10_000_000, precision: 2, unit: UNITS.tenKYuan, section: 'response' },
    {
      name: 'data_source',
      label: { zh: '资料来源', en: 'Data source' },
      type: 'select_one',
      choices: [
        { value: 'statistics', label: { zh: '森林(草原)火灾统计报表', en: 'Fire statistics returns' } },
        { value: 'case_file', label: { zh: '火灾案卷(档案)', en: 'Fire case file (archive)' } },
        { value: 'chronicle', label: { zh: '地方志、林业志', en: 'Local or forestry chronicle' } },
        { value: 'interview', label: { zh: '走访调查', en: 'Interviews' } },
        { value: 'other', label: { zh: '其他', en: 'Other' } },
      ],
      other: { value: 'other', field: 'data_source_other' },
      required: true,
      section: 'response',
    },
    { name: 'data_source_other', label: { zh: '其他资料来源', en: 'Other data source' }, type: 'text', maxLength: 100, section: 'response' },
    { name: 'description', label: { zh: '火灾概况', en: 'Summary of the fire' }, type: 'text', multiline: true, maxLength: 2000, section: 'response' },
    photos('attachments', { zh: '火场示意图或档案照片', en: 'Fire-area sketch or archive photos' }, { section: 'response' }),

    ...footer('surveyor'),
  ],
  rules: [
    {
      id: 'extinguished-on-or-after-ignition',
      expr: '${extinguished_date} >= ${ignition_date}',
      path: 'extinguished_date',
      message: { zh: '扑灭日期不能早于起火日期', en: 'The fire cannot be extinguished before it started' },
    },
    {
      id: 'same-day-hours-ordered',
      expr: '${extinguished_date} != ${ignition_date} or ${extinguished_hour} >= ${ignition_hour}',
      path: 'extinguished_hour',
      message: { zh: '同日起火和扑灭时,扑灭时刻不能早于起火时刻', en: 'On the same day, the hour extinguished cannot be before the ignition hour' },
    },
    {
      id: 'damaged-forest-le-burned',
      expr: '${damaged_forest_area} <= ${burned_area}',
      path: 'damaged_forest_area',
      message: { zh: '受害森林面积不能大于过火面积', en: 'The damaged forest area cannot exceed the burned area' },
    },
    {
      id: 'primary-plus-plantation-le-damaged',
      expr: 'coalesce(${primary_forest_area}, 0) + coalesce(${plantation_area}, 0) <= ${damaged_forest_area}',
      path: 'plantation_area',
      message: { zh: '原始林与人工林受害面积之和不能大于受害森林面积', en: 'Primary forest plus plantation cannot exceed the damaged forest area' },
    },
    {
      id: 'damaged-grassland-le-burned',
      expr: '${damaged_grassland_area} <= ${burned_area}',
      path: 'damaged_grassland_area',
      message: { zh: '受害草原面积不能大于过火面积', en: 'The damaged grassland area cannot exceed the burned area' },
    },
    {
      id: 'forest-and-grassland-le-burned',
      expr: '${damaged_forest_area} + ${damaged_grassland_area} <= ${burned_area}',
      path: 'damaged_grassland_area',
      message: { zh: '受害森林面积与受害草原面积之和不能大于过火面积', en: 'Damaged forest plus damaged grassland cannot exceed the burned area' },
    },
    {
      // Error: the area bands are the same in the 1988 and 2008 regulations, so a grade that disagrees with the damaged
      // area is a data-entry error unless casualties raised it.
      id: 'grade-matches-damaged-area',
      expr:
        "${fire_type} != 'forest' or " +
        "(${fire_grade} = 'general' and ${damaged_forest_area} < 1) or " +
        "(${fire_grade} = 'larger' and ${damaged_forest_area} >= 1 and ${damaged_forest_area} < 100) or " +
        "(${fire_grade} = 'major' and ${damaged_forest_area} >= 100 and ${damaged_forest_area} < 1000) or " +
        "(${fire_grade} = 'especially_major' and ${damaged_forest_area} >= 1000) or " +
        '(${deaths} + ${injured_serious} > 0 and (' +
        "(${fire_grade} = 'larger' and ${damaged_forest_area} < 1) or " +
        "(${fire_grade} = 'major' and ${damaged_forest_area} < 100) or " +
        "(${fire_grade} = 'especially_major' and ${damaged_forest_area} < 1000)))",
      path: 'fire_grade',
      message: {
        zh: '火灾等级与受害森林面积不符(一般<1公顷,较大1–100公顷,重大100–1000公顷,特别重大≥1000公顷);仅在有人员伤亡时可高于面积对应等级',
        en: 'The fire grade does not match the damaged forest area (general < 1 hm², larger 1–100, major 100–1000, especially major ≥ 1000); it may be higher only when there were casualties',
      },
    },
    {
      // Warning: casualty thresholds changed in 2008, so fires graded under the 1988 regulations may legitimately differ.
      id: 'grade-reflects-casualties',
      expr:
        "${fire_type} != 'forest' or (" +
        "not((${deaths} >= 30 or ${injured_serious} >= 100) and ${fire_grade} != 'especially_major') and " +
        "not((${deaths} >= 10 or ${injured_serious} >= 50) and (${fire_grade} = 'general' or ${fire_grade} = 'larger')) and " +
        "not((${deaths} >= 3 or ${injured_serious} >= 10) and ${fire_grade} = 'general'))",
      path: 'fire_grade',
      message: {
        zh: '按《森林防火条例》伤亡标准,火灾等级偏低(死亡3/10/30人或重伤10/50/100人以上分别为较大/重大/特别重大),请核实;2009年前按旧条例定级的可保留原等级',
        en: 'The grade looks low for the casualties (deaths ≥ 3/10/30 or serious injuries ≥ 10/50/100 mean larger/major/especially major): please verify; fires graded before 2009 under the old regulations may keep their grade',
      },
      severity: 'warning',
    },
  ],
});

export const entry: CatalogEntry = {
  definition,
  sample: {
    fire_no: '2019-430521-003',
    fire_type: 'forest',
    ignition_date: '2019-03-21',
    ignition_hour: 14,
    extinguished_date: '2019-03-22',
    extinguished_hour: 6,
    place: '白云镇青山村老虎冲',
    location: { lat: 27.134567, lng: 111.662211 },
    fire_cause: 'non_production',
    fire_grade: 'larger',
    burned_area: 12.5,
    damaged_forest_area: 8.3,
    primary_forest_area: 0,
    plantation_area: 6.2,
    damaged_grassland_area: 0,
    lost_volume: 156.4,
    young_trees_lost: 3200,
    injured_slight: 1,
    injured_serious: 0,
    deaths: 0,
    other_losses: 35.6,
    person_days: 620,
    vehicles: 18,
    aircraft_sorties: 2,
    firefighting_cost: 12.8,
    data_source: 'statistics',
    description: '清明祭祀上坟烧纸引发,经扑火队伍连夜扑救于次日凌晨扑灭',
    ...FOOTER_SAMPLE,
  },
  violations: [
    { rule: 'ignition date required', patch: { ignition_date: undefined }, path: 'data.ignition_date', code: 'required' },
    { rule: 'ignition date ≤ 2020-12-31', patch: { ignition_date: '2021-02-03', extinguished_date: '2021-02-04' }, path: 'data.ignition_date', code: 'max' },
    { rule: 'extinguished date ≤ 2020-12-31', patch: { extinguished_date: '2021-01-02' }, path: 'data.extinguished_date', code: 'max' },
    { rule: 'extinguished date ≥ ignition date', patch: { extinguished_date: '2019-03-20' }, path: 'data.extinguished_date', code: 'rule' },
    { rule: 'same day: hour extinguished ≥ ignition hour', patch: { extinguished_date: '2019-03-21', extinguished_hour: 10 }, path: 'data.extinguished_hour', code: 'rule' },
    { rule: 'hour within 0–23', patch: { ignition_hour: 24 }, path: 'data.ignition_hour', code: 'max' },
    { rule: 'place is not a placeholder', patch: { place: '不详' }, path: 'data.place', code: 'constraint' },
    { rule: 'location inside China', patch: { location: { lat: 1, lng: 100 } }, path: 'data.location', code: 'out-of-bounds' },
    { rule: 'other fire source → description', patch: { fire_cause: 'other', fire_cause_other: undefined }, path: 'data.fire_cause_other', code: 'required' },
    { rule: 'burned area > 0', patch: { burned_area: 0 }, path: 'data.burned_area', code: 'min-exclusive' },
    { rule: 'damaged forest area required for forest fires', patch: { damaged_forest_area: undefined }, path: 'data.damaged_forest_area', code: 'required' },
    { rule: 'damaged grassland area required for grassland fires', patch: { fire_type: 'grassland', damaged_grassland_area: undefined }, path: 'data.damaged_grassland_area', code: 'required' },
    { rule: 'damaged forest area ≤ burned area', patch: { damaged_forest_area: 13, plantation_area: 6.2 }, path: 'data.damaged_forest_area', code: 'rule' },
    { rule: 'primary forest + plantation ≤ damaged forest area', patch: { primary_forest_area: 3, plantation_area: 6.2 }, path: 'data.plantation_area', code: 'rule' },
    { rule: 'damaged grassland area ≤ burned area', patch: { fire_type: 'grassland', damaged_forest_area: 0, plantation_area: 0, damaged_grassland_area: 15 }, path: 'data.damaged_grassland_area', code: 'rule' },
    { rule: 'damaged forest + grassland ≤ burned area', patch: { damaged_grassland_area: 5 }, path: 'data.damaged_grassland_area', code: 'rule' },
    { rule: 'grade not lower than the damaged area implies', patch: { fire_grade: 'general' }, path: 'data.fire_grade', code: 'rule' },
    { rule: 'grade higher than the damaged area only with casualties', patch: { fire_grade: 'major' }, path: 'data.fire_grade', code: 'rule' },
    { rule: 'deaths ≥ 0', patch: { deaths: -1 }, path: 'data.deaths', code: 'min' },
    { rule: 'serious injuries required', patch: { injured_serious: undefined }, path: 'data.injured_serious', code: 'required' },
    { rule: 'slight injuries ≥ 0', patch: { injured_slight: -2 }, path: 'data.injured_slight', code: 'min' },
    { rule: 'other data source → description', patch: { data_source: 'other', data_source_other: undefined }, path: 'data.data_source_other', code: 'required' },
    ...FOOTER_VIOLATIONS,
  ],
};
