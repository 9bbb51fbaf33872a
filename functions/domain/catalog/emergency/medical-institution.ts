/**
 * 医疗卫生机构 — medical and health institution (承灾体·公共服务设施, table `ylwsjg`), filled by the health department.
 * Fields per DOMAIN.md §2 T2 [BK].
 */
import { defineForm } from '../../forms';
import type { CatalogEntry } from '../types';
import { FOOTER_SAMPLE, OTHER, UNITS, frameViolations, headerSample, photos, withEmergencyFrame } from './common';

const HOSPITAL_TYPES = ['general_hospital', 'tcm_hospital', 'integrated_hospital', 'specialist_hospital', 'infectious_hospital', 'tcm_specialist_hospital', 'maternal_child'];
const IS_HOSPITAL = HOSPITAL_TYPES.map((t) => `\${institution_type} = '${t}'`).join(' or ');

const definition = defineForm(
  withEmergencyFrame({
    id: 'emergency.medical-institution',
    part: 'facilities',
    code: 'ylwsjg',
    title: { zh: '医疗卫生机构调查表', en: 'Medical and health institution survey' },
    description: {
      zh: '调查医院、基层医疗卫生机构和专业公共卫生机构;床位、人数为2020年12月31日数据。',
      en: 'Covers hospitals, primary-care institutions and public-health institutions; beds and staff as of 2020-12-31.',
    },
    unit: 'object',
    regionLevel: 'village',
    header: {
      nameLabel: { zh: '机构名称', en: 'Institution name' },
      footprint: 'optional',
    },
    sections: [
      { id: 'basic', title: { zh: '基本情况', en: 'Basic information' } },
      { id: 'scale', title: { zh: '规模', en: 'Size' } },
      { id: 'emergency', title: { zh: '应急保障', en: 'Emergency readiness' } },
    ],
    fields: [
      // ── basic
      {
        name: 'institution_type',
        label: { zh: '机构类别', en: 'Institution type' },
        type: 'select_one',
        required: true,
        choices: [
          { value: 'general_hospital', label: { zh: '综合医院', en: 'General hospital' } },
          { value: 'tcm_hospital', label: { zh: '中医医院', en: 'Traditional Chinese medicine hospital' } },
          { value: 'integrated_hospital', label: { zh: '中西医结合医院', en: 'Integrated Chinese-Western medicine hospital' } },
          { value: 'specialist_hospital', label: { zh: '专科医院', en: 'Specialist hospital' } },
          { value: 'infectious_hospital', label: { zh: '传染病医院', en: 'Infectious-disease hospital' } },
          { value: 'tcm_specialist_hospital', label: { zh: '中医专科医院', en: 'TCM specialist hospital' } },
          { value: 'maternal_child', label: { zh: '妇幼保健院(所、站)', en: 'Maternal and child health centre' } },
          { value: 'township_health_centre', label: { zh: '乡镇卫生院', en: 'Township health centre' } },
          { value: 'community_health_centre', label: { zh: '社区卫生服务中心(站)', en: 'Community health centre' } },
          { value: 'cdc', label: { zh: '疾病预防控制中心', en: 'Centre for disease control' } },
          { value: 'emergency_centre', label: { zh: '急救中心(站)', en: 'Emergency medical centre' } },
          { value: 'blood_station', label: { zh: '采供血机构', en: 'Blood station' } },
          OTHER,
        ],
        other: { value: 'other', field: 'institution_type_other' },
        section: 'basic',
      },
      { name: 'institution_type_other', label: { zh: '其他机构类别', en: 'Other institution type' }, type: 'text', maxLength: 50, section: 'basic' },
      {
        name: 'grade',
        label: { zh: '医院等级', en: 'Hospital grade' },
        type: 'select_one',
        relevant: IS_HOSPITAL,
        required: IS_HOSPITAL,
        choices: [
          { value: '3a', label: { zh: '三级甲等', en: 'Grade 3A' } },
          { value: '3b', label: { zh: '三级乙等', en: 'Grade 3B' } },
          { value: '3c', label: { zh: '三级丙等', en: 'Grade 3C' } },
          { value: '3u', label: { zh: '三级未定等', en: 'Grade 3, not ranked' } },
          { value: '2a', label: { zh: '二级甲等', en: 'Grade 2A' } },
          { value: '2b', label: { zh: '二级乙等', en: 'Grade 2B' } },
          { value: '2c', label: { zh: '二级丙等', en: 'Grade 2C' } },
          { value: '2u', label: { zh: '二级未定等', en: 'Grade 2, not ranked' } },
          { value: '1', label: { zh: '一级', en: 'Grade 1' } },
          { value: 'ungraded', label: { zh: '未定级', en: 'Ungraded' } },
        ],
        section: 'basic',
      },
      {
        name: 'ownership',
        label: { zh: '经济类型', en: 'Ownership' },
        type: 'select_one',
        choices: [
          { value: 'public', label: { zh: '公立', en: 'Public' } },
          { value: 'private', label: { zh: '民营', en: 'Private' } },
        ],
        section: 'basic',
      },
      // ── scale
      { name: 'beds', label: { zh: '床位数', en: 'Beds' }, hint: { zh: '实有床位', en: 'Beds actually in place' }, type: 'integer', required: true, min: 0, unit: UNITS.beds, section: 'scale' },
      { name: 'staff', label: { zh: '职工数', en: 'Staff' }, type: 'integer', required: true, min: 0, unit: UNITS.persons, section: 'scale' },
      {
        name: 'doctors',
        label: { zh: '其中:执业(助理)医师数', en: 'of which: licensed (assistant) physicians' },
        type: 'integer',
        min: 0,
        unit: UNITS.persons,
        section: 'scale',
      },
      {
        name: 'building_area',
        label: { zh: '建筑面积', en: 'Building floor area' },
        type: 'decimal',
        required: true,
        min: 0,
        exclusiveMin: true,
        precision: 2,
        unit: UNITS.m2,
        section: 'scale',
      },
      { name: 'land_area', label: { zh: '占地面积', en: 'Land area' }, type: 'decimal', min: 0, exclusiveMin: true, precision: 2, unit: UNITS.m2, section: 'scale' },
      // ── emergency
      { name: 'has_emergency_dept', label: { zh: '是否设有急诊科', en: 'Has an emergency department' }, type: 'boolean', section: 'emergency' },
      { name: 'has_backup_power', label: { zh: '是否有备用电源', en: 'Has backup power' }, type: 'boolean', section: 'emergency' },
      {
        name: 'ambulances',
        label: { zh: '救护车数量', en: 'Ambulances' },
        type: 'integer',
        min: 0,
        unit: { zh: '辆', en: 'vehicles' },
        section: 'emergency',
      },
      photos('photos', { zh: '机构照片', en: 'Photos' }, { section: 'emergency' }),
    ],
    rules: [
      {
        id: 'doctors-le-staff',
        expr: '${doctors} <= ${staff}',
        path: 'doctors',
        message: { zh: '执业(助理)医师数不能大于职工数', en: 'Licensed physicians cannot exceed the staff count' },
      },
    ],
  }),
);

export const entry: CatalogEntry = {
  definition,
  sample: {
    ...headerSample('某县人民医院', '12420115MB3456789Q', '某县城关镇解放大道108号', 30.5846, 114.3102),
    institution_type: 'general_hospital',
    grade: '2a',
    ownership: 'public',
    beds: 650,
    staff: 820,
    doctors: 245,
    building_area: 58_400,
    land_area: 42_000,
    has_emergency_dept: true,
    has_backup_power: true,
    ambulances: 8,
    ...FOOTER_SAMPLE,
  },
  violations: [
    ...frameViolations(),
    { rule: 'physicians ≤ staff', patch: { staff: 100, doctors: 120 }, path: 'data.doctors', code: 'rule' },
    { rule: 'beds ≥ 0', patch: { beds: -3 }, path: 'data.beds', code: 'min' },
    { rule: 'beds are required', patch: { beds: undefined }, path: 'data.beds', code: 'required' },
    { rule: 'staff are required', patch: { staff: undefined }, path: 'data.staff', code: 'required' },
    { rule: 'building area > 0', patch: { building_area: 0 }, path: 'data.building_area', code: 'min-exclusive' },
    { rule: 'institution type is required', patch: { institution_type: undefined }, path: 'data.institution_type', code: 'required' },
    {
      rule: 'other institution type → text required',
      patch: { institution_type: 'other', institution_type_other: undefined },
      path: 'data.institution_type_other',
      code: 'required',
    },
    { rule: 'hospital → grade required', patch: { institution_type: 'tcm_hospital', grade: undefined }, path: 'data.grade', code: 'required' },
    { rule: 'grade is a listed grade', patch: { grade: '4a' }, path: 'data.grade', code: 'choice' },
  ],
};
