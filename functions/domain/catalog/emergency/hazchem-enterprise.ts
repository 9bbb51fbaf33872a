/**
 * 危险化学品企业 — hazardous-chemical enterprise (重点隐患, table `wxhxpqy`). Fields per DOMAIN.md §2 T3 [BK];
 * major-hazard grades follow GB 18218 (grades I–IV). The footprint polygon is required for enterprises.
 */
import { defineForm } from '../../forms';
import type { CatalogEntry } from '../types';
import { FOOTER_SAMPLE, NOT_PLACEHOLDER, OTHER, STANDARD_DATE, UNITS, frameViolations, headerSample, photos, withEmergencyFrame } from './common';

const definition = defineForm(
  withEmergencyFrame({
    id: 'emergency.hazchem-enterprise',
    part: 'enterprises',
    code: 'wxhxpqy',
    title: { zh: '危险化学品企业调查表', en: 'Hazardous-chemical enterprise survey' },
    description: {
      zh: '调查危险化学品生产、储存、经营(带储存)和使用企业;须勾绘企业厂区面位置。',
      en: 'Covers enterprises that produce, store, trade with storage or use hazardous chemicals; the site outline is required.',
    },
    unit: 'object',
    regionLevel: 'village',
    header: {
      nameLabel: { zh: '企业名称', en: 'Enterprise name' },
      usccLabel: { zh: '统一社会信用代码', en: 'Unified social credit code' },
      locationLabel: { zh: '企业中心点位置', en: 'Enterprise centre point' },
      footprint: 'required',
    },
    sections: [
      { id: 'basic', title: { zh: '基本情况', en: 'Basic information' } },
      { id: 'hazards', title: { zh: '危险源与危化品', en: 'Hazard sources and chemicals' } },
      { id: 'scale', title: { zh: '规模', en: 'Size' } },
    ],
    fields: [
      // ── basic
      {
        name: 'enterprise_type',
        label: { zh: '企业类型', en: 'Enterprise type' },
        type: 'select_one',
        required: true,
        choices: [
          { value: 'production', label: { zh: '生产', en: 'Production' } },
          { value: 'storage', label: { zh: '储存', en: 'Storage' } },
          { value: 'operation_with_storage', label: { zh: '经营(带储存)', en: 'Trading with storage' } },
          { value: 'use', label: { zh: '使用', en: 'Use' } },
        ],
        section: 'basic',
      },
      {
        name: 'operating_status',
        label: { zh: '运行状态', en: 'Operating status' },
        type: 'select_one',
        choices: [
          { value: 'operating', label: { zh: '正常生产', en: 'Operating' } },
          { value: 'suspended', label: { zh: '停产', en: 'Suspended' } },
          { value: 'under_construction', label: { zh: '在建', en: 'Under construction' } },
        ],
        section: 'basic',
      },
      {
        name: 'license_no',
        label: { zh: '安全生产(经营、使用)许可证编号', en: 'Safety licence number' },
        type: 'text',
        maxLength: 60,
        section: 'basic',
      },
      {
        name: 'license_expiry',
        label: { zh: '许可证有效期至', en: 'Licence valid until' },
        type: 'date',
        relevant: "${license_no} != ''",
        section: 'basic',
      },
      {
        name: 'in_chemical_park',
        label: { zh: '是否在化工园区内', en: 'Inside a chemical park' },
        type: 'boolean',
        required: true,
        section: 'basic',
      },
      {
        name: 'park_name',
        label: { zh: '化工园区名称', en: 'Chemical park name' },
        type: 'text',
        maxLength: 100,
        relevant: '${in_chemical_park} = true()',
        required: '${in_chemical_park} = true()',
        constraints: [NOT_PLACEHOLDER],
        section: 'basic',
      },
      // ── hazards
      {
        name: 'major_hazard_count',
        label: { zh: '重大危险源数量', en: 'Number of major hazard sources' },
        type: 'integer',
        required: true,
        min: 0,
        unit: UNITS.items,
        section: 'hazards',
      },
      {
        name: 'major_hazard_grade',
        label: { zh: '最高重大危险源等级', en: 'Highest major-hazard grade' },
        type: 'select_one',
        relevant: '${major_hazard_count} > 0',
        required: '${major_hazard_count} > 0',
        choices: [
          { value: 'I', label: { zh: '一级', en: 'Grade I' } },
          { value: 'II', label: { zh: '二级', en: 'Grade II' } },
          { value: 'III', label: { zh: '三级', en: 'Grade III' } },
          { value: 'IV', label: { zh: '四级', en: 'Grade IV' } },
        ],
        section: 'hazards',
      },
      {
        name: 'main_chemicals',
        label: { zh: '主要危险化学品', en: 'Main hazardous chemicals' },
        hint: { zh: '名称及最大储存量,如:液氯 50吨;多个以分号分隔', en: 'Names and largest stored quantity, e.g. liquid chlorine 50 t; separate with semicolons' },
        type: 'text',
        multiline: true,
        maxLength: 1000,
        required: true,
        constraints: [NOT_PLACEHOLDER],
        section: 'hazards',
      },
      {
        name: 'chemical_classes',
        label: { zh: '危险化学品类别', en: 'Hazard classes of the chemicals' },
        type: 'select_multiple',
        choices: [
          { value: 'explosive', label: { zh: '爆炸品', en: 'Explosives' } },
          { value: 'flammable_gas', label: { zh: '易燃气体', en: 'Flammable gases' } },
          { value: 'toxic_gas', label: { zh: '有毒气体', en: 'Toxic gases' } },
          { value: 'flammable_liquid', label: { zh: '易燃液体', en: 'Flammable liquids' } },
          { value: 'flammable_solid', label: { zh: '易燃固体', en: 'Flammable solids' } },
          { value: 'oxidizer', label: { zh: '氧化性物质和有机过氧化物', en: 'Oxidisers and organic peroxides' } },
          { value: 'toxic', label: { zh: '毒性物质', en: 'Toxic substances' } },
          { value: 'corrosive', label: { zh: '腐蚀性物质', en: 'Corrosives' } },
          OTHER,
        ],
        other: { value: 'other', field: 'chemical_classes_other' },
        section: 'hazards',
      },
      { name: 'chemical_classes_other', label: { zh: '其他类别', en: 'Other hazard class' }, type: 'text', maxLength: 100, section: 'hazards' },
      {
        name: 'regulated_process',
        label: { zh: '是否涉及重点监管危险化工工艺', en: 'Uses a key-regulated hazardous chemical process' },
        type: 'boolean',
        section: 'hazards',
      },
      // ── scale
      { name: 'employees', label: { zh: '从业人员数', en: 'Employees' }, type: 'integer', required: true, min: 0, unit: UNITS.persons, section: 'scale' },
      { name: 'land_area', label: { zh: '占地面积', en: 'Land area' }, type: 'decimal', min: 0, exclusiveMin: true, precision: 2, unit: UNITS.m2, section: 'scale' },
      photos('photos', { zh: '企业照片', en: 'Photos' }, { section: 'scale' }),
    ],
    rules: [
      {
        id: 'license-valid-at-standard-date',
        expr: `\${license_expiry} >= '${STANDARD_DATE}'`,
        path: 'license_expiry',
        message: { zh: '许可证在标准时点(2020年12月31日)已过期,请核实', en: 'The licence had expired at the standard time point (2020-12-31); please check' },
        severity: 'warning',
      },
    ],
  }),
);

export const entry: CatalogEntry = {
  definition,
  sample: {
    ...headerSample('某县宏达化工有限公司', '91420115MA4K12345B', '某县化工园区纬三路9号', 30.6432, 114.4127),
    enterprise_type: 'production',
    operating_status: 'operating',
    license_no: '(鄂)WH安许证字[2019]0123',
    license_expiry: STANDARD_DATE,
    in_chemical_park: true,
    park_name: '某县化工园区',
    major_hazard_count: 2,
    major_hazard_grade: 'III',
    main_chemicals: '液氯 50吨;甲醇 300吨',
    chemical_classes: ['toxic_gas', 'flammable_liquid'],
    regulated_process: true,
    employees: 320,
    land_area: 125_000,
    ...FOOTER_SAMPLE,
  },
  violations: [
    ...frameViolations(),
    { rule: 'footprint is required', patch: { footprint: undefined }, path: 'data.footprint', code: 'required' },
    { rule: 'in chemical park → park name required', patch: { in_chemical_park: true, park_name: undefined }, path: 'data.park_name', code: 'required' },
    { rule: 'park name is not a placeholder', patch: { in_chemical_park: true, park_name: '无' }, path: 'data.park_name', code: 'constraint' },
    {
      rule: 'major hazard sources > 0 → grade required',
      patch: { major_hazard_count: 1, major_hazard_grade: undefined },
      path: 'data.major_hazard_grade',
      code: 'required',
    },
    { rule: 'major hazard count ≥ 0', patch: { major_hazard_count: -1 }, path: 'data.major_hazard_count', code: 'min' },
    { rule: 'main chemicals are not a placeholder', patch: { main_chemicals: '/' }, path: 'data.main_chemicals', code: 'constraint' },
    { rule: 'employees are required', patch: { employees: undefined }, path: 'data.employees', code: 'required' },
    { rule: 'enterprise type is required', patch: { enterprise_type: undefined }, path: 'data.enterprise_type', code: 'required' },
    { rule: 'other chemical class → text required', patch: { chemical_classes: ['other'], chemical_classes_other: undefined }, path: 'data.chemical_classes_other', code: 'required' },
  ],
};
