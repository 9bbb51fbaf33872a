/**
 * Building blocks shared by the housing sector (住建): house survey (房屋建筑调查) and municipal-facility survey
 * (市政设施调查) tables. Field lists follow DOMAIN.md §2 T8–T10; sources are marked there ([S4][S5][S9] for rural housing,
 * [BK] for urban and municipal details).
 */
import { CHINA_EXTENT, type FieldInput, type Localized } from '../../forms';
import type { Violation } from '../types';
import { photos as sharedPhotos, type PhotoOptions } from '../photos';

type Constraint = { expr: string; message: Localized };
type Choice = { value: string; label: Localized };

/** Names must not be placeholders (不详/无/未知/'/'), a common census error [S10]. */
export const NOT_PLACEHOLDER: Constraint = {
  expr: "not(. = '不详' or . = '无' or . = '未知' or . = '/')",
  message: { zh: '名称不能填写"不详""无""未知"或"/"', en: 'The name may not be a placeholder such as 不详, 无, 未知 or /' },
};

/** Householder names: additionally "无名" (no name), the placeholder the Shaanxi checks found most often [S10]. */
export const NOT_PLACEHOLDER_PERSON: Constraint = {
  expr: "not(. = '不详' or . = '无' or . = '无名' or . = '未知' or . = '/')",
  message: {
    zh: '户主姓名不能填写"不详""无""无名""未知"或"/"',
    en: 'The householder name may not be a placeholder such as 不详, 无, 无名, 未知 or /',
  },
};

/** Building IDs come from the base-map polygons: letters, digits, _ and -. */
export const BUILDING_ID: Constraint = {
  expr: "regex(., '^[0-9A-Za-z_-]{6,40}$')",
  message: { zh: '房屋编号应为6–40位字母、数字、下划线或连字符', en: 'The building ID is 6–40 letters, digits, _ or -' },
};

/** Standard time point of the census: 2020-12-31. Years of building events are at most this year. */
export const STANDARD_YEAR = 2020;

export const UNITS = {
  m: { zh: '米', en: 'm' },
  m2: { zh: '平方米', en: 'm²' },
  km: { zh: '千米', en: 'km' },
  mm: { zh: '毫米', en: 'mm' },
  floors: { zh: '层', en: 'floors' },
  persons: { zh: '人', en: 'persons' },
  tenKPersons: { zh: '万人', en: '10⁴ persons' },
  households: { zh: '户', en: 'households' },
  tenKm3PerDay: { zh: '万立方米/日', en: '10⁴ m³/day' },
  kmh: { zh: '千米/小时', en: 'km/h' },
  lanes: { zh: '条', en: 'lanes' },
  items: { zh: '个', en: 'units' },
  spans: { zh: '孔', en: 'spans' },
  seats: { zh: '座', en: 'structures' },
} as const;

/** Housing accepts HEIC too (phones photograph buildings in it). */
export const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/heic'];

export function photos(name: string, label: Localized, opts: PhotoOptions = {}): FieldInput {
  return sharedPhotos(name, label, { accept: PHOTO_TYPES, ...opts });
}

/** Seismic fortification intensity (抗震设防烈度, GB 18306 / GB 50011) — also used for municipal facilities. */
export const SEISMIC_INTENSITY: Choice[] = [
  { value: 'i6', label: { zh: '6度(0.05g)', en: 'VI (0.05g)' } },
  { value: 'i7_010', label: { zh: '7度(0.10g)', en: 'VII (0.10g)' } },
  { value: 'i7_015', label: { zh: '7度(0.15g)', en: 'VII (0.15g)' } },
  { value: 'i8_020', label: { zh: '8度(0.20g)', en: 'VIII (0.20g)' } },
  { value: 'i8_030', label: { zh: '8度(0.30g)', en: 'VIII (0.30g)' } },
  { value: 'i9', label: { zh: '9度(0.40g)', en: 'IX (0.40g)' } },
  { value: 'none', label: { zh: '未设防', en: 'Not fortified' } },
];

/** Safety-appraisal grades of dangerous-building appraisal (危险房屋鉴定, JGJ 125): A–D. */
export const APPRAISAL_GRADES: Choice[] = [
  { value: 'a', label: { zh: 'A级', en: 'Grade A' } },
  { value: 'b', label: { zh: 'B级', en: 'Grade B' } },
  { value: 'c', label: { zh: 'C级(局部危房)', en: 'Grade C (partly dangerous)' } },
  { value: 'd', label: { zh: 'D级(整幢危房)', en: 'Grade D (dangerous building)' } },
];

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────────────
// Survey block (现场调查情况): every base-map polygon ends in one status [S4].

export const SURVEY_SECTION = { id: 'survey', title: { zh: '调查情况', en: 'Survey status' } };

export function surveyFields(section = 'survey'): FieldInput[] {
  return [
    {
      name: 'survey_status',
      label: { zh: '现场调查情况', en: 'Field-survey status' },
      hint: {
        zh: '每个底图图斑最终为"已调查""不需调查"或"需补充调查"之一',
        en: 'Every base-map polygon ends as surveyed, no survey needed, or needs a supplementary survey',
      },
      type: 'select_one',
      choices: [
        { value: 'surveyed', label: { zh: '已调查', en: 'Surveyed' } },
        { value: 'no_survey_needed', label: { zh: '不需调查', en: 'No survey needed' } },
        { value: 'needs_supplement', label: { zh: '需补充调查', en: 'Needs supplementary survey' } },
      ],
      section,
    },
    {
      name: 'no_survey_reason',
      label: { zh: '不需调查原因', en: 'Reason no survey is needed' },
      type: 'select_one',
      choices: [
        { value: 'demolished', label: { zh: '已拆除或灭失', en: 'Demolished or gone' } },
        { value: 'not_building', label: { zh: '非房屋建筑(构筑物、临时棚屋等)', en: 'Not a building (structure, temporary shed…)' } },
        { value: 'duplicate', label: { zh: '重复图斑', en: 'Duplicate polygon' } },
        { value: 'under_construction', label: { zh: '在建(2020年底未投入使用)', en: 'Under construction (not in use at end of 2020)' } },
        { value: 'other', label: { zh: '其他', en: 'Other' } },
      ],
      other: { value: 'other', field: 'no_survey_reason_other' },
      relevant: "${survey_status} = 'no_survey_needed'",
      required: true,
      section,
    },
    { name: 'no_survey_reason_other', label: { zh: '其他不需调查原因', en: 'Other reason' }, type: 'text', maxLength: 200, section },
    {
      name: 'supplement_reason',
      label: { zh: '需补充调查原因', en: 'Reason a supplementary survey is needed' },
      type: 'text',
      maxLength: 500,
      multiline: true,
      relevant: "${survey_status} = 'needs_supplement'",
      required: true,
      section,
    },
    {
      name: 'record_status',
      label: { zh: '调查状态', en: 'Record status' },
      type: 'select_one',
      choices: [
        { value: 'in_progress', label: { zh: '调查中', en: 'In progress' } },
        { value: 'surveyed', label: { zh: '已调查', en: 'Surveyed' } },
      ],
      section,
    },
    ...surveyorFields(section),
  ];
}

/** 调查人 + 调查日期 (the survey happened in 2021; the date may not be in the future). */
export function surveyorFields(section: string): FieldInput[] {
  return [
    {
      name: 'surveyor',
      label: { zh: '调查人', en: 'Surveyor' },
      type: 'text',
      maxLength: 50,
      constraints: [NOT_PLACEHOLDER],
      section,
    },
    {
      name: 'survey_date',
      label: { zh: '调查日期', en: 'Survey date' },
      type: 'date',
      min: '2020-01-01',
      constraints: [{ expr: '. <= today()', message: { zh: '调查日期不能晚于今天', en: 'The survey date cannot be in the future' } }],
      section,
    },
  ];
}

export const SURVEYOR_SAMPLE = { surveyor: '张伟', survey_date: '2021-09-18' };

export const SURVEY_SAMPLE = {
  survey_status: 'surveyed',
  record_status: 'surveyed',
  ...SURVEYOR_SAMPLE,
};

export const SURVEYOR_VIOLATIONS: Violation[] = [
  { rule: 'surveyor is not a placeholder', patch: { surveyor: '/' }, path: 'data.surveyor', code: 'constraint' },
  { rule: 'survey date not in the future', patch: { survey_date: '2099-01-01' }, path: 'data.survey_date', code: 'constraint' },
  { rule: 'survey date not before 2020', patch: { survey_date: '2019-12-31' }, path: 'data.survey_date', code: 'min' },
];

export const SURVEY_VIOLATIONS: Violation[] = [
  { rule: 'no-survey reason required when no survey is needed', patch: { survey_status: 'no_survey_needed', no_survey_reason: undefined }, path: 'data.no_survey_reason', code: 'required' },
  { rule: 'other no-survey reason → text required', patch: { survey_status: 'no_survey_needed', no_survey_reason: 'other', no_survey_reason_other: undefined }, path: 'data.no_survey_reason_other', code: 'required' },
  { rule: 'supplementary-survey reason required', patch: { survey_status: 'needs_supplement', supplement_reason: undefined }, path: 'data.supplement_reason', code: 'required' },
  ...SURVEYOR_VIOLATIONS,
];

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────────────
// Rural buildings (农村住宅 / 农村非住宅) [S4][S5][S9].

/** Rural structure types [S5][S9]; the API contract fixes masonry, rc, steel, timber, earth_timber, stone_timber, other. */
export const RURAL_STRUCTURES: Choice[] = [
  { value: 'masonry', label: { zh: '砌体结构', en: 'Masonry' } },
  { value: 'bottom_frame', label: { zh: '底部框架-抗震墙砌体结构', en: 'Masonry over bottom frame–seismic wall' } },
  { value: 'earth_timber', label: { zh: '土木结构', en: 'Earth and timber' } },
  { value: 'stone_timber', label: { zh: '石木结构', en: 'Stone and timber' } },
  { value: 'timber', label: { zh: '木(竹)结构', en: 'Timber (bamboo)' } },
  { value: 'cave', label: { zh: '窑洞', en: 'Cave dwelling' } },
  { value: 'mixed', label: { zh: '混杂结构', en: 'Mixed structure' } },
  { value: 'rc', label: { zh: '钢筋混凝土结构', en: 'Reinforced concrete' } },
  { value: 'steel', label: { zh: '钢结构', en: 'Steel' } },
  { value: 'other', label: { zh: '其他', en: 'Other' } },
];

export const RURAL_SECTIONS = [
  { id: 'structure', title: { zh: '结构信息', en: 'Structure' } },
  { id: 'safety', title: { zh: '抗震加固、改造与鉴定', en: 'Strengthening, renovation and appraisal' } },
  { id: 'damage', title: { zh: '损伤情况与照片', en: 'Damage and photos' } },
];

/** 是否抗震加固 + 加固时间 (year between completion and 2020; the rule is in `buildingYearRules`). */
export function strengtheningFields(section: string): FieldInput[] {
  return [
    {
      name: 'strengthened',
      label: { zh: '是否进行过抗震加固', en: 'Seismically strengthened' },
      type: 'boolean',
      required: true,
      section,
    },
    {
      name: 'strengthened_year',
      label: { zh: '抗震加固时间', en: 'Year strengthened' },
      hint: { zh: '不早于建成时间,不晚于2020年', en: 'Not before the year built, not after 2020' },
      type: 'year',
      max: STANDARD_YEAR,
      relevant: '${strengthened} = true()',
      required: true,
      section,
    },
  ];
}

/** 是否安全鉴定 + 鉴定时间 + 鉴定结论 [S4][S5]. */
export function appraisalFields(section: string): FieldInput[] {
  return [
    {
      name: 'appraised',
      label: { zh: '是否进行过安全鉴定', en: 'Safety appraisal done' },
      type: 'boolean',
      section,
    },
    {
      name: 'appraisal_year',
      label: { zh: '鉴定时间', en: 'Year appraised' },
      type: 'year',
      max: STANDARD_YEAR,
      relevant: '${appraised} = true()',
      required: true,
      section,
    },
    {
      name: 'appraisal_grade',
      label: { zh: '鉴定结论(安全性等级)', en: 'Appraisal grade' },
      type: 'select_one',
      choices: APPRAISAL_GRADES,
      relevant: '${appraised} = true()',
      required: true,
      section,
    },
  ];
}

/**
 * Structure, construction, strengthening, renovation, appraisal and damage fields of a rural building.
 * `strict: false` keeps everything beyond the API contract optional (rural-house: outside clients submit the minimal
 * contract payload); `strict: true` makes the census's starred fields required (rural non-residential).
 */
export function ruralBuildingFields(opts: { strict: boolean }): FieldInput[] {
  const strict = opts.strict;
  return [
    // ── structure
    {
      name: 'structure',
      label: { zh: '结构类型', en: 'Structure type' },
      type: 'select_one',
      choices: RURAL_STRUCTURES,
      other: { value: 'other', field: 'structure_other' },
      required: true,
      section: 'structure',
    },
    { name: 'structure_other', label: { zh: '其他结构类型', en: 'Other structure type' }, type: 'text', maxLength: 100, section: 'structure' },
    {
      name: 'masonry_slab',
      label: { zh: '砌体结构楼(屋)盖类型', en: 'Floor and roof slab of the masonry structure' },
      type: 'select_one',
      choices: [
        { value: 'precast', label: { zh: '预制板', en: 'Precast slab' } },
        { value: 'cast_in_place', label: { zh: '现浇板', en: 'Cast-in-place slab' } },
        { value: 'timber', label: { zh: '木楼(屋)盖', en: 'Timber floor/roof' } },
        { value: 'light_steel', label: { zh: '轻钢楼(屋)盖', en: 'Light-steel floor/roof' } },
      ],
      relevant: "${structure} = 'masonry' or ${structure} = 'bottom_frame'",
      section: 'structure',
    },
    {
      name: 'construction_method',
      label: { zh: '建造方式', en: 'Construction method' },
      type: 'select_one',
      choices: [
        { value: 'self_built', label: { zh: '自行建造', en: 'Self-built' } },
        { value: 'craftsman', label: { zh: '建筑工匠建造', en: 'Built by a craftsman' } },
        { value: 'contractor', label: { zh: '有资质的施工队伍建造', en: 'Built by a qualified contractor' } },
      ],
      required: strict,
      section: 'structure',
    },
    {
      name: 'design',
      label: { zh: '是否经过专业设计', en: 'Professional design' },
      type: 'select_one',
      choices: [
        { value: 'professional', label: { zh: '有资质单位或专业人员设计', en: 'Designed by a qualified firm or professional' } },
        { value: 'standard_drawings', label: { zh: '采用标准设计图集(通用图)', en: 'Standard drawings used' } },
        { value: 'none', label: { zh: '未经设计', en: 'Not designed' } },
      ],
      section: 'structure',
    },
    {
      name: 'seismic_measures',
      label: { zh: '抗震构造措施', en: 'Seismic construction measures' },
      type: 'select_multiple',
      choices: [
        { value: 'ground_ring_beam', label: { zh: '基础地圈梁', en: 'Ground ring beam' } },
        { value: 'ring_beam', label: { zh: '圈梁', en: 'Ring beam' } },
        { value: 'structural_column', label: { zh: '构造柱', en: 'Structural column' } },
        { value: 'tie_bars', label: { zh: '墙体拉结筋', en: 'Wall tie bars' } },
        { value: 'none', label: { zh: '无抗震构造措施', en: 'None' } },
      ],
      constraints: [
        {
          expr: "not(selected(., 'none')) or count-selected(.) = 1",
          message: { zh: '选择"无抗震构造措施"时不能再选其他措施', en: '"None" cannot be combined with other measures' },
        },
      ],
      section: 'structure',
    },
    // ── strengthening, renovation, appraisal
    ...strengtheningFields('safety'),
    {
      name: 'renovated',
      label: { zh: '是否进行过改造', en: 'Renovated' },
      type: 'boolean',
      section: 'safety',
    },
    {
      name: 'renovation_year',
      label: { zh: '改造时间', en: 'Year renovated' },
      type: 'year',
      max: STANDARD_YEAR,
      relevant: '${renovated} = true()',
      required: true,
      section: 'safety',
    },
    {
      name: 'renovation_content',
      label: { zh: '改造内容', en: 'Renovation work' },
      type: 'select_multiple',
      choices: [
        { value: 'add_floors', label: { zh: '加层', en: 'Floors added' } },
        { value: 'extension', label: { zh: '扩建', en: 'Extension' } },
        { value: 'load_bearing', label: { zh: '改变承重结构(拆改承重墙、柱)', en: 'Load-bearing structure altered' } },
        { value: 'change_of_use', label: { zh: '改变使用功能', en: 'Change of use' } },
        { value: 'other', label: { zh: '其他', en: 'Other' } },
      ],
      other: { value: 'other', field: 'renovation_content_other' },
      relevant: '${renovated} = true()',
      required: true,
      section: 'safety',
    },
    { name: 'renovation_content_other', label: { zh: '其他改造内容', en: 'Other renovation work' }, type: 'text', maxLength: 200, section: 'safety' },
    ...appraisalFields('safety'),
    // ── damage and photos
    {
      name: 'visible_damage',
      label: { zh: '有无肉眼可见的明显裂缝、变形或倾斜', en: 'Visible cracks, deformation or tilt' },
      type: 'boolean',
      required: strict,
      section: 'damage',
    },
    {
      name: 'damage_description',
      label: { zh: '损伤情况说明', en: 'Damage description' },
      type: 'text',
      maxLength: 500,
      multiline: true,
      relevant: '${visible_damage} = true()',
      section: 'damage',
    },
    photos('photos', { zh: '房屋照片', en: 'Photos' }, {
      hint: {
        zh: '外观照片;有明显裂缝、变形或倾斜时须拍摄损伤部位照片',
        en: 'Exterior photos; when there are visible cracks, deformation or tilt, photos of the damage are required',
      },
      required: strict ? true : '${visible_damage} = true()',
      section: 'damage',
    }),
  ];
}

/** Year rules shared by rural and urban buildings: events after completion, up to the standard time point. */
export function buildingYearRules(built = 'year_built') {
  return [
    {
      id: 'strengthened-after-built',
      expr: `\${strengthened_year} >= \${${built}}`,
      path: 'strengthened_year',
      message: { zh: '抗震加固时间不能早于建成时间', en: 'The strengthening year cannot be before the year built' },
    },
  ];
}

export const RURAL_RULES = [
  ...buildingYearRules(),
  {
    id: 'renovated-after-built',
    expr: '${renovation_year} >= ${year_built}',
    path: 'renovation_year',
    message: { zh: '改造时间不能早于建成时间', en: 'The renovation year cannot be before the year built' },
  },
  {
    id: 'appraised-after-built',
    expr: '${appraisal_year} >= ${year_built}',
    path: 'appraisal_year',
    message: { zh: '鉴定时间不能早于建成时间', en: 'The appraisal year cannot be before the year built' },
  },
];

export const RURAL_BUILDING_SAMPLE = {
  structure: 'masonry',
  masonry_slab: 'cast_in_place',
  construction_method: 'craftsman',
  design: 'standard_drawings',
  seismic_measures: ['ring_beam', 'structural_column'],
  strengthened: true,
  strengthened_year: 2012,
  renovated: false,
  appraised: false,
  visible_damage: false,
};

export const RURAL_BUILDING_VIOLATIONS: Violation[] = [
  { rule: 'structure required', patch: { structure: undefined }, path: 'data.structure', code: 'required' },
  { rule: 'structure value from the list', patch: { structure: 'brick' }, path: 'data.structure', code: 'choice' },
  { rule: 'structure other → text required', patch: { structure: 'other', structure_other: undefined }, path: 'data.structure_other', code: 'required' },
  { rule: '"no seismic measures" is exclusive', patch: { seismic_measures: ['none', 'ring_beam'] }, path: 'data.seismic_measures', code: 'constraint' },
  { rule: 'strengthened required', patch: { strengthened: undefined }, path: 'data.strengthened', code: 'required' },
  { rule: 'strengthening year required when strengthened', patch: { strengthened: true, strengthened_year: undefined }, path: 'data.strengthened_year', code: 'required' },
  { rule: 'strengthening year not after 2020', patch: { strengthened: true, strengthened_year: 2021 }, path: 'data.strengthened_year', code: 'max' },
  { rule: 'strengthening year not before the year built', patch: { strengthened: true, strengthened_year: 1990 }, path: 'data.strengthened_year', code: 'rule' },
  { rule: 'renovation year required when renovated', patch: { renovated: true, renovation_year: undefined, renovation_content: ['extension'] }, path: 'data.renovation_year', code: 'required' },
  { rule: 'renovation year not after 2020', patch: { renovated: true, renovation_year: 2022, renovation_content: ['extension'] }, path: 'data.renovation_year', code: 'max' },
  { rule: 'renovation year not before the year built', patch: { renovated: true, renovation_year: 1980, renovation_content: ['extension'] }, path: 'data.renovation_year', code: 'rule' },
  { rule: 'renovation content required when renovated', patch: { renovated: true, renovation_year: 2015, renovation_content: undefined }, path: 'data.renovation_content', code: 'required' },
  { rule: 'renovation content other → text required', patch: { renovated: true, renovation_year: 2015, renovation_content: ['other'], renovation_content_other: undefined }, path: 'data.renovation_content_other', code: 'required' },
  { rule: 'appraisal year required when appraised', patch: { appraised: true, appraisal_year: undefined, appraisal_grade: 'b' }, path: 'data.appraisal_year', code: 'required' },
  { rule: 'appraisal year not before the year built', patch: { appraised: true, appraisal_year: 1985, appraisal_grade: 'b' }, path: 'data.appraisal_year', code: 'rule' },
  { rule: 'appraisal grade required when appraised', patch: { appraised: true, appraisal_year: 2019, appraisal_grade: undefined }, path: 'data.appraisal_grade', code: 'required' },
  { rule: 'photos required when there is visible damage', patch: { visible_damage: true, photos: undefined }, path: 'data.photos', code: 'required' },
];

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────────────
// Urban buildings (城镇住宅 / 城镇非住宅) [S16][S22] + [BK].

export const URBAN_STRUCTURES: Choice[] = [
  { value: 'masonry', label: { zh: '砌体结构', en: 'Masonry' } },
  { value: 'bottom_frame', label: { zh: '底部框架-抗震墙砌体结构', en: 'Masonry over bottom frame–seismic wall' } },
  { value: 'rc', label: { zh: '钢筋混凝土结构', en: 'Reinforced concrete' } },
  { value: 'steel', label: { zh: '钢结构', en: 'Steel' } },
  { value: 'steel_concrete', label: { zh: '钢-混凝土混合结构', en: 'Steel–concrete composite' } },
  { value: 'timber', label: { zh: '木结构', en: 'Timber' } },
  { value: 'other', label: { zh: '其他', en: 'Other' } },
];

/** Completion-era bands of the urban survey [BK]; computed from the completion year. */
export const ERA_CALC =
  "if(${year_built} <= 1980, '1980年及以前', if(${year_built} <= 1990, '1981–1990', if(${year_built} <= 2000, '1991–2000', if(${year_built} <= 2010, '2001–2010', if(${year_built} <= 2015, '2011–2015', '2016年及以后')))))";

export const URBAN_SECTIONS = [
  { id: 'basic', title: { zh: '基本信息', en: 'Basic information' } },
  { id: 'building', title: { zh: '建筑信息', en: 'Building' } },
  { id: 'structure', title: { zh: '结构与抗震', en: 'Structure and seismic resistance' } },
  { id: 'damage', title: { zh: '损伤情况与照片', en: 'Damage and photos' } },
  SURVEY_SECTION,
];


/**
 * Fields of an urban building (T8), shared by residential and non-residential; `useFields` (building use, for
 * non-residential) go into the basic section after the address, `extraBuildingFields` at the end of the building section.
 */
export function urbanBuildingFields(opts: { nameLabel: Localized; nameHint: Localized; useFields?: FieldInput[]; extraBuildingFields?: FieldInput[] }): FieldInput[] {
  return [
    // ── basic
    {
      name: 'building_id',
      label: { zh: '房屋编号(图斑编号)', en: 'Building ID (base-map polygon)' },
      type: 'text',
      maxLength: 40,
      constraints: [BUILDING_ID],
      section: 'basic',
    },
    { name: 'name', label: opts.nameLabel, hint: opts.nameHint, type: 'text', maxLength: 100, required: true, constraints: [NOT_PLACEHOLDER], section: 'basic' },
    {
      name: 'address',
      label: { zh: '地址(区、街道、路、门牌号)', en: 'Address (district, street, road, number)' },
      type: 'text',
      maxLength: 200,
      required: true,
      constraints: [NOT_PLACEHOLDER],
      section: 'basic',
    },
    ...(opts.useFields ?? []),
    { name: 'property_unit', label: { zh: '产权单位(业主)', en: 'Owner' }, type: 'text', maxLength: 100, section: 'basic' },
    { name: 'location', label: { zh: '房屋位置', en: 'Location' }, type: 'geopoint', bounds: CHINA_EXTENT, required: true, section: 'basic' },
    { name: 'footprint', label: { zh: '房屋轮廓(图斑)', en: 'Footprint (base-map polygon)' }, type: 'geoshape', bounds: CHINA_EXTENT, section: 'basic' },
    // ── building
    { name: 'floors_above', label: { zh: '地上层数', en: 'Floors above ground' }, type: 'integer', min: 1, max: 200, unit: UNITS.floors, required: true, section: 'building' },
    { name: 'floors_below', label: { zh: '地下层数', en: 'Floors below ground' }, type: 'integer', min: 0, max: 20, unit: UNITS.floors, section: 'building' },
    {
      name: 'height',
      label: { zh: '建筑高度', en: 'Building height' },
      hint: { zh: '室外地面至主要屋面板板顶或檐口的高度', en: 'From outdoor ground to the top of the main roof slab or the eaves' },
      type: 'decimal',
      min: 0,
      exclusiveMin: true,
      max: 700,
      precision: 1,
      unit: UNITS.m,
      required: true,
      section: 'building',
    },
    {
      name: 'floor_area',
      label: { zh: '建筑面积', en: 'Floor area' },
      hint: { zh: '各层建筑面积之和;不得直接采用图斑自动计算面积', en: 'Sum of all floors; do not just accept the area computed from the polygon' },
      type: 'decimal',
      min: 0,
      exclusiveMin: true,
      precision: 2,
      unit: UNITS.m2,
      required: true,
      section: 'building',
    },
    {
      name: 'year_built',
      label: { zh: '建成年份', en: 'Year completed' },
      hint: { zh: '不晚于2020年(普查标准时点)', en: 'Not after 2020 (the census standard time point)' },
      type: 'year',
      min: 1800,
      max: STANDARD_YEAR,
      required: true,
      section: 'building',
    },
    { name: 'era', label: { zh: '建成年代', en: 'Completion era' }, type: 'calculate', calculate: ERA_CALC, section: 'building' },
    ...(opts.extraBuildingFields ?? []),
    // ── structure and seismic resistance
    {
      name: 'structure',
      label: { zh: '结构类型', en: 'Structure type' },
      type: 'select_one',
      choices: URBAN_STRUCTURES,
      other: { value: 'other', field: 'structure_other' },
      required: true,
      section: 'structure',
    },
    { name: 'structure_other', label: { zh: '其他结构类型', en: 'Other structure type' }, type: 'text', maxLength: 100, section: 'structure' },
    {
      name: 'rc_system',
      label: { zh: '钢筋混凝土结构体系', en: 'Reinforced-concrete system' },
      type: 'select_one',
      choices: [
        { value: 'frame', label: { zh: '框架结构', en: 'Frame' } },
        { value: 'frame_shear_wall', label: { zh: '框架-剪力墙结构', en: 'Frame–shear wall' } },
        { value: 'shear_wall', label: { zh: '剪力墙结构', en: 'Shear wall' } },
        { value: 'tube', label: { zh: '筒体结构(框架-核心筒等)', en: 'Tube (frame–core tube etc.)' } },
        { value: 'slab_column', label: { zh: '板柱-剪力墙结构', en: 'Slab–column–shear wall' } },
      ],
      relevant: "${structure} = 'rc'",
      section: 'structure',
    },
    {
      name: 'seismic_fortified',
      label: { zh: '是否进行过抗震设防', en: 'Designed for seismic fortification' },
      type: 'boolean',
      section: 'structure',
    },
    {
      name: 'fortification_intensity',
      label: { zh: '抗震设防烈度', en: 'Seismic fortification intensity' },
      type: 'select_one',
      choices: SEISMIC_INTENSITY.filter((c) => c.value !== 'none'),
      relevant: '${seismic_fortified} = true()',
      required: true,
      section: 'structure',
    },
    { name: 'seismic_isolation', label: { zh: '是否采用减隔震技术', en: 'Seismic isolation or damping used' }, type: 'boolean', section: 'structure' },
    ...strengtheningFields('structure'),
    ...appraisalFields('structure'),
    { name: 'protected_building', label: { zh: '是否为保护性建筑(文物、历史建筑)', en: 'Protected building (heritage or historic)' }, type: 'boolean', section: 'structure' },
    // ── damage and photos
    {
      name: 'visible_damage',
      label: { zh: '有无明显变形损伤(裂缝、倾斜等)', en: 'Visible deformation or damage (cracks, tilt…)' },
      type: 'boolean',
      required: true,
      section: 'damage',
    },
    {
      name: 'damage_description',
      label: { zh: '损伤情况说明', en: 'Damage description' },
      type: 'text',
      maxLength: 500,
      multiline: true,
      relevant: '${visible_damage} = true()',
      section: 'damage',
    },
    photos('damage_photos', { zh: '损伤部位照片', en: 'Photos of the damage' }, {
      relevant: '${visible_damage} = true()',
      required: true,
      section: 'damage',
    }),
    photos('photos', { zh: '房屋外观照片', en: 'Exterior photos' }, { required: true, section: 'damage' }),
    ...surveyFields('survey'),
  ];
}

/** Height per storey outside about 2.2–6 m usually means a wrong height or floor count (soft check). */
export function heightPerFloorRule(floors: string) {
  return {
    id: 'height-per-floor',
    expr: `\${height} div \${${floors}} >= 2.2 and \${height} div \${${floors}} <= 6`,
    path: 'height',
    message: {
      zh: '建筑高度与层数不匹配:平均层高超出约2.2–6米',
      en: 'Height and floors do not match: the average storey height is outside about 2.2–6 m',
    },
    severity: 'warning' as const,
  };
}

/** Round "…00" areas are questioned at city, province and ministry checks [S10] (soft check). */
export const ROUND_AREA_RULE = {
  id: 'floor-area-not-round',
  expr: '${floor_area} mod 100 != 0',
  path: 'floor_area',
  message: {
    zh: '建筑面积为整百数,请核实是否为实测或估算值',
    en: 'The floor area is a round hundred: check it is measured, not estimated',
  },
  severity: 'warning' as const,
};

export const URBAN_RULES = [
  ...buildingYearRules(),
  {
    id: 'appraised-after-built',
    expr: '${appraisal_year} >= ${year_built}',
    path: 'appraisal_year',
    message: { zh: '鉴定时间不能早于建成年份', en: 'The appraisal year cannot be before the year completed' },
  },
  heightPerFloorRule('floors_above'),
  ROUND_AREA_RULE,
];

export const URBAN_SAMPLE = {
  building_id: '110105-0032-0117',
  address: '朝阳区安贞街道安华西里二区5号',
  property_unit: '北京市朝阳区房屋管理局',
  location: { lat: 39.9712, lng: 116.4051 },
  floors_above: 6,
  floors_below: 1,
  height: 18.2,
  floor_area: 4862.35,
  year_built: 1988,
  structure: 'masonry',
  seismic_fortified: true,
  fortification_intensity: 'i8_020',
  seismic_isolation: false,
  strengthened: true,
  strengthened_year: 2011,
  appraised: false,
  protected_building: false,
  visible_damage: false,
  ...SURVEY_SAMPLE,
};

export const URBAN_VIOLATIONS: Violation[] = [
  { rule: 'building ID format', patch: { building_id: '编号?' }, path: 'data.building_id', code: 'constraint' },
  { rule: 'name is not a placeholder', patch: { name: '不详' }, path: 'data.name', code: 'constraint' },
  { rule: 'name required', patch: { name: undefined }, path: 'data.name', code: 'required' },
  { rule: 'address is not a placeholder', patch: { address: '无' }, path: 'data.address', code: 'constraint' },
  { rule: 'location inside China', patch: { location: { lat: 40.7, lng: -74.0 } }, path: 'data.location', code: 'out-of-bounds' },
  { rule: 'floors above ground ≥ 1', patch: { floors_above: 0 }, path: 'data.floors_above', code: 'min' },
  { rule: 'floors below ground ≥ 0', patch: { floors_below: -1 }, path: 'data.floors_below', code: 'min' },
  { rule: 'height > 0', patch: { height: 0 }, path: 'data.height', code: 'min-exclusive' },
  { rule: 'floor area > 0', patch: { floor_area: 0 }, path: 'data.floor_area', code: 'min-exclusive' },
  { rule: 'year completed ≤ 2020', patch: { year_built: 2021 }, path: 'data.year_built', code: 'max' },
  { rule: 'structure other → text required', patch: { structure: 'other', structure_other: undefined }, path: 'data.structure_other', code: 'required' },
  { rule: 'fortification intensity required when fortified', patch: { seismic_fortified: true, fortification_intensity: undefined }, path: 'data.fortification_intensity', code: 'required' },
  { rule: 'strengthened required', patch: { strengthened: undefined }, path: 'data.strengthened', code: 'required' },
  { rule: 'strengthening year required when strengthened', patch: { strengthened: true, strengthened_year: undefined }, path: 'data.strengthened_year', code: 'required' },
  { rule: 'strengthening year ≤ 2020', patch: { strengthened: true, strengthened_year: 2021 }, path: 'data.strengthened_year', code: 'max' },
  { rule: 'strengthening year ≥ year completed', patch: { strengthened: true, strengthened_year: 1980 }, path: 'data.strengthened_year', code: 'rule' },
  { rule: 'appraisal year ≥ year completed', patch: { appraised: true, appraisal_year: 1985, appraisal_grade: 'b' }, path: 'data.appraisal_year', code: 'rule' },
  { rule: 'appraisal grade required when appraised', patch: { appraised: true, appraisal_year: 2018, appraisal_grade: undefined }, path: 'data.appraisal_grade', code: 'required' },
  { rule: 'visible damage answered', patch: { visible_damage: undefined }, path: 'data.visible_damage', code: 'required' },
  { rule: 'damage photos required when there are cracks or deformation', patch: { visible_damage: true, damage_photos: undefined }, path: 'data.damage_photos', code: 'required' },
  { rule: 'exterior photos required', patch: { photos: undefined }, path: 'data.photos', code: 'required' },
  ...SURVEY_VIOLATIONS,
];
