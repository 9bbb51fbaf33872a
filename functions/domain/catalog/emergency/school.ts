/**
 * 学校 — school (承灾体·公共服务设施, table `xx`), filled by the education department as participating department.
 * Fields per DOMAIN.md §2 T1 [BK except the header].
 */
import { defineForm } from '../../forms';
import type { CatalogEntry } from '../types';
import { FOOTER_SAMPLE, OTHER, STANDARD_YEAR, UNITS, frameViolations, headerSample, photos, withEmergencyFrame } from './common';

const definition = defineForm(
  withEmergencyFrame({
    id: 'emergency.school',
    part: 'facilities',
    code: 'xx',
    title: { zh: '学校调查表', en: 'School survey' },
    description: {
      zh: '调查各级各类学校(含幼儿园);人数为2020年12月31日在校(在园)数,面积以平方米计。',
      en: 'Covers schools of every kind, kindergartens included; head counts as of 2020-12-31, areas in m².',
    },
    unit: 'object',
    regionLevel: 'village',
    header: {
      nameLabel: { zh: '学校名称', en: 'School name' },
      footprint: 'optional',
    },
    sections: [
      { id: 'basic', title: { zh: '基本情况', en: 'Basic information' } },
      { id: 'people', title: { zh: '师生情况', en: 'Students and staff' } },
      { id: 'buildings', title: { zh: '校舍情况', en: 'Buildings and grounds' } },
    ],
    fields: [
      // ── basic
      {
        name: 'school_code',
        label: { zh: '学校标识码', en: 'School identification code' },
        hint: { zh: '教育部颁发的10位学校标识码', en: 'The 10-digit code issued by the Ministry of Education' },
        type: 'text',
        maxLength: 10,
        constraints: [{ expr: "regex(., '^[0-9]{10}$')", message: { zh: '学校标识码应为10位数字', en: 'The school identification code is 10 digits' } }],
        section: 'basic',
      },
      {
        name: 'school_type',
        label: { zh: '学校类别', en: 'School type' },
        type: 'select_one',
        required: true,
        choices: [
          { value: 'kindergarten', label: { zh: '幼儿园', en: 'Kindergarten' } },
          { value: 'primary', label: { zh: '小学', en: 'Primary school' } },
          { value: 'junior_secondary', label: { zh: '初级中学', en: 'Junior secondary school' } },
          { value: 'senior_secondary', label: { zh: '高级中学', en: 'Senior secondary school' } },
          { value: 'nine_year', label: { zh: '九年一贯制学校', en: 'Nine-year school' } },
          { value: 'complete_secondary', label: { zh: '完全中学', en: 'Complete secondary school' } },
          { value: 'vocational', label: { zh: '中等职业学校', en: 'Secondary vocational school' } },
          { value: 'higher', label: { zh: '高等学校', en: 'Higher-education institution' } },
          { value: 'special', label: { zh: '特殊教育学校', en: 'Special-education school' } },
          OTHER,
        ],
        other: { value: 'other', field: 'school_type_other' },
        section: 'basic',
      },
      { name: 'school_type_other', label: { zh: '其他学校类别', en: 'Other school type' }, type: 'text', maxLength: 50, section: 'basic' },
      {
        name: 'ownership',
        label: { zh: '办学性质', en: 'Ownership' },
        type: 'select_one',
        required: true,
        choices: [
          { value: 'public', label: { zh: '公办', en: 'Public' } },
          { value: 'private', label: { zh: '民办', en: 'Private' } },
        ],
        section: 'basic',
      },
      // ── people
      { name: 'students', label: { zh: '在校学生数', en: 'Students' }, type: 'integer', required: true, min: 0, unit: UNITS.persons, section: 'people' },
      {
        name: 'boarders',
        label: { zh: '住宿学生数', en: 'Boarding students' },
        type: 'integer',
        min: 0,
        unit: UNITS.persons,
        section: 'people',
      },
      { name: 'staff', label: { zh: '教职工数', en: 'Teaching and other staff' }, type: 'integer', required: true, min: 0, unit: UNITS.persons, section: 'people' },
      // ── buildings
      {
        name: 'land_area',
        label: { zh: '占地面积', en: 'Land area' },
        type: 'decimal',
        min: 0,
        exclusiveMin: true,
        precision: 2,
        unit: UNITS.m2,
        section: 'buildings',
      },
      {
        name: 'building_area',
        label: { zh: '建筑面积', en: 'Building floor area' },
        hint: { zh: '全部校舍建筑面积之和', en: 'Sum of the floor areas of all school buildings' },
        type: 'decimal',
        required: true,
        min: 0,
        exclusiveMin: true,
        precision: 2,
        unit: UNITS.m2,
        section: 'buildings',
      },
      {
        name: 'building_count',
        label: { zh: '校舍栋数', en: 'Number of school buildings' },
        type: 'integer',
        min: 0,
        unit: UNITS.buildings,
        section: 'buildings',
      },
      {
        name: 'newest_building_year',
        label: { zh: '最近一栋校舍建成年份', en: 'Year the newest school building was completed' },
        type: 'year',
        min: 1900,
        max: STANDARD_YEAR,
        section: 'buildings',
      },
      {
        name: 'is_shelter',
        label: { zh: '是否应急避难场所', en: 'Designated emergency shelter' },
        type: 'boolean',
        required: true,
        section: 'buildings',
      },
      {
        name: 'shelter_capacity',
        label: { zh: '可容纳避难人数', en: 'Shelter capacity' },
        type: 'integer',
        relevant: '${is_shelter} = true()',
        required: '${is_shelter} = true()',
        min: 0,
        unit: UNITS.persons,
        section: 'buildings',
      },
      {
        name: 'building_ids',
        label: { zh: '关联房屋建筑编号', en: 'Linked building IDs' },
        hint: { zh: '住建房屋调查中校舍的建筑编号,多个以逗号分隔', en: 'Building IDs of the school buildings in the housing survey, comma-separated' },
        type: 'text',
        maxLength: 2000,
        section: 'buildings',
      },
      photos('photos', { zh: '学校照片', en: 'School photos' }, { section: 'buildings' }),
    ],
    rules: [
      {
        id: 'boarders-le-students',
        expr: '${boarders} <= ${students}',
        path: 'boarders',
        message: { zh: '住宿学生数不能大于在校学生数', en: 'Boarding students cannot exceed the number of students' },
      },
      {
        id: 'building-area-vs-land',
        expr: '${building_area} <= ${land_area} * 20',
        path: 'building_area',
        message: {
          zh: '建筑面积超过占地面积的20倍,请核实面积单位',
          en: 'The floor area is more than 20 times the land area; please check the units',
        },
        severity: 'warning',
      },
    ],
  }),
);

export const entry: CatalogEntry = {
  definition,
  sample: {
    ...headerSample('城关镇第一中学', '12420115MB23456787', '某县城关镇学府路6号', 30.5987, 114.2963),
    school_code: '2142011503',
    school_type: 'junior_secondary',
    ownership: 'public',
    students: 1_260,
    boarders: 480,
    staff: 112,
    land_area: 36_500,
    building_area: 21_800.5,
    building_count: 7,
    newest_building_year: 2016,
    is_shelter: true,
    shelter_capacity: 3_000,
    ...FOOTER_SAMPLE,
  },
  violations: [
    ...frameViolations(),
    { rule: 'boarders ≤ students', patch: { students: 300, boarders: 320 }, path: 'data.boarders', code: 'rule' },
    { rule: 'students ≥ 0', patch: { students: -1, boarders: undefined }, path: 'data.students', code: 'min' },
    { rule: 'students are required', patch: { students: undefined }, path: 'data.students', code: 'required' },
    { rule: 'building area > 0', patch: { building_area: 0 }, path: 'data.building_area', code: 'min-exclusive' },
    { rule: 'land area > 0', patch: { land_area: 0 }, path: 'data.land_area', code: 'min-exclusive' },
    { rule: 'school type is required', patch: { school_type: undefined }, path: 'data.school_type', code: 'required' },
    { rule: 'other school type → text required', patch: { school_type: 'other', school_type_other: undefined }, path: 'data.school_type_other', code: 'required' },
    { rule: 'school identification code is 10 digits', patch: { school_code: '21420115' }, path: 'data.school_code', code: 'constraint' },
    { rule: 'designated shelter → capacity required', patch: { is_shelter: true, shelter_capacity: undefined }, path: 'data.shelter_capacity', code: 'required' },
    { rule: 'newest building year ≤ 2020', patch: { newest_building_year: 2022 }, path: 'data.newest_building_year', code: 'max' },
  ],
};
