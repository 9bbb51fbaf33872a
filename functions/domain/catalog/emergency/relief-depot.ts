/**
 * 救灾物资储备库(点) — relief-material depot (综合减灾资源(能力), table `jzwzcbkd`). Fields per DOMAIN.md §2 T4 [BK];
 * materials are repeating rows of item / unit of measure / quantity held at the standard time point.
 */
import { defineForm } from '../../forms';
import type { CatalogEntry } from '../types';
import { FOOTER_SAMPLE, NOT_PLACEHOLDER, OTHER, STANDARD_YEAR, UNITS, frameViolations, headerSample, photos, withEmergencyFrame } from './common';

const definition = defineForm(
  withEmergencyFrame({
    id: 'emergency.relief-depot',
    part: 'capability',
    code: 'jzwzcbkd',
    title: { zh: '救灾物资储备库(点)调查表', en: 'Relief-material depot survey' },
    description: {
      zh: '调查各级救灾物资储备库(点)及2020年12月31日实际储备的物资。',
      en: 'Covers relief-material depots of every level and the materials held on 2020-12-31.',
    },
    unit: 'object',
    regionLevel: 'village',
    header: {
      nameLabel: { zh: '储备库(点)名称', en: 'Depot name' },
      usccLabel: { zh: '管理单位统一社会信用代码', en: 'Unified social credit code of the managing unit' },
      footprint: 'optional',
    },
    sections: [
      { id: 'basic', title: { zh: '基本情况', en: 'Basic information' } },
      { id: 'materials', title: { zh: '储备物资', en: 'Materials held' } },
    ],
    fields: [
      // ── basic
      {
        name: 'level',
        label: { zh: '储备库级别', en: 'Depot level' },
        type: 'select_one',
        required: true,
        choices: [
          { value: 'central', label: { zh: '中央级', en: 'Central' } },
          { value: 'province', label: { zh: '省级', en: 'Provincial' } },
          { value: 'city', label: { zh: '市级', en: 'City' } },
          { value: 'county', label: { zh: '县级', en: 'County' } },
          { value: 'township', label: { zh: '乡镇(街道)级', en: 'Township' } },
        ],
        section: 'basic',
      },
      {
        name: 'managing_unit',
        label: { zh: '管理单位', en: 'Managing unit' },
        type: 'text',
        maxLength: 100,
        constraints: [NOT_PLACEHOLDER],
        section: 'basic',
      },
      {
        name: 'storage_area',
        label: { zh: '库房面积', en: 'Storage floor area' },
        type: 'decimal',
        required: true,
        min: 0,
        exclusiveMin: true,
        precision: 2,
        unit: UNITS.m2,
        section: 'basic',
      },
      {
        name: 'storage_volume',
        label: { zh: '库容', en: 'Storage volume' },
        type: 'decimal',
        min: 0,
        exclusiveMin: true,
        precision: 2,
        unit: UNITS.m3,
        section: 'basic',
      },
      { name: 'built_year', label: { zh: '建成年份', en: 'Year built' }, type: 'year', min: 1949, max: STANDARD_YEAR, section: 'basic' },
      { name: 'keepers', label: { zh: '管理人员数', en: 'Depot staff' }, type: 'integer', min: 0, unit: UNITS.persons, section: 'basic' },
      // ── materials
      {
        name: 'materials',
        label: { zh: '储备物资', en: 'Materials' },
        type: 'repeat',
        minRows: 1,
        maxRows: 200,
        section: 'materials',
        fields: [
          {
            name: 'item',
            label: { zh: '物资名称', en: 'Item' },
            type: 'select_one',
            required: true,
            choices: [
              { value: 'tent', label: { zh: '帐篷', en: 'Tents' } },
              { value: 'quilt', label: { zh: '棉被', en: 'Quilts' } },
              { value: 'cotton_coat', label: { zh: '棉大衣', en: 'Padded coats' } },
              { value: 'folding_bed', label: { zh: '折叠床', en: 'Folding beds' } },
              { value: 'bed_set', label: { zh: '床上用品(套)', en: 'Bedding sets' } },
              { value: 'sleeping_bag', label: { zh: '睡袋', en: 'Sleeping bags' } },
              { value: 'moisture_pad', label: { zh: '防潮垫', en: 'Sleeping mats' } },
              { value: 'lighting', label: { zh: '应急照明灯', en: 'Emergency lights' } },
              { value: 'generator', label: { zh: '发电机', en: 'Generators' } },
              { value: 'water_purifier', label: { zh: '净水设备', en: 'Water purifiers' } },
              { value: 'life_jacket', label: { zh: '救生衣', en: 'Life jackets' } },
              { value: 'food', label: { zh: '食品', en: 'Food' } },
              OTHER,
            ],
            other: { value: 'other', field: 'item_other' },
          },
          { name: 'item_other', label: { zh: '其他物资名称', en: 'Other item' }, type: 'text', maxLength: 100, constraints: [NOT_PLACEHOLDER] },
          {
            name: 'item_unit',
            label: { zh: '计量单位', en: 'Unit of measure' },
            hint: { zh: '如:顶、床、件、张、台、吨', en: 'e.g. 顶 (tents), 床 (quilts), 件 (pieces), 张 (beds), 台 (machines), 吨 (tonnes)' },
            type: 'text',
            maxLength: 10,
            required: true,
            constraints: [NOT_PLACEHOLDER],
          },
          { name: 'qty', label: { zh: '数量', en: 'Quantity' }, type: 'decimal', required: true, min: 0, precision: 2 },
        ],
      },
      {
        name: 'total_value',
        label: { zh: '储备物资总价值', en: 'Total value of materials' },
        type: 'decimal',
        min: 0,
        precision: 2,
        unit: UNITS.tenKYuan,
        section: 'materials',
      },
      photos('photos', { zh: '库房照片', en: 'Depot photos' }, { section: 'materials' }),
    ],
  }),
);

export const entry: CatalogEntry = {
  definition,
  sample: {
    ...headerSample('某县救灾物资储备库', '11420115MB0012345U', '某县城关镇仓储路3号', 30.5721, 114.2876),
    level: 'county',
    managing_unit: '某县应急管理局',
    storage_area: 1_800,
    storage_volume: 9_000,
    built_year: 2012,
    keepers: 4,
    materials: [
      { item: 'tent', item_unit: '顶', qty: 300 },
      { item: 'quilt', item_unit: '床', qty: 2_000 },
      { item: 'folding_bed', item_unit: '张', qty: 800 },
      { item: 'other', item_other: '方便面', item_unit: '箱', qty: 500 },
    ],
    total_value: 268.5,
    ...FOOTER_SAMPLE,
  },
  violations: [
    ...frameViolations(),
    { rule: 'level is required', patch: { level: undefined }, path: 'data.level', code: 'required' },
    { rule: 'storage area > 0', patch: { storage_area: 0 }, path: 'data.storage_area', code: 'min-exclusive' },
    { rule: 'storage area is required', patch: { storage_area: undefined }, path: 'data.storage_area', code: 'required' },
    { rule: 'at least one material row', patch: { materials: [] }, path: 'data.materials', code: 'min-rows' },
    { rule: 'material quantity ≥ 0', patch: { materials: [{ item: 'tent', item_unit: '顶', qty: -1 }] }, path: 'data.materials[0].qty', code: 'min' },
    { rule: 'material quantity is required', patch: { materials: [{ item: 'tent', item_unit: '顶' }] }, path: 'data.materials[0].qty', code: 'required' },
    { rule: 'material unit is not a placeholder', patch: { materials: [{ item: 'tent', item_unit: '/', qty: 5 }] }, path: 'data.materials[0].item_unit', code: 'constraint' },
    { rule: 'other material → name required', patch: { materials: [{ item: 'other', item_unit: '箱', qty: 5 }] }, path: 'data.materials[0].item_other', code: 'required' },
    {
      rule: 'other material name is not a placeholder',
      patch: { materials: [{ item: 'other', item_other: '不详', item_unit: '箱', qty: 5 }] },
      path: 'data.materials[0].item_other',
      code: 'constraint',
    },
    { rule: 'managing unit is not a placeholder', patch: { managing_unit: '无' }, path: 'data.managing_unit', code: 'constraint' },
    { rule: 'year built ≤ 2020', patch: { built_year: 2021 }, path: 'data.built_year', code: 'max' },
  ],
};
