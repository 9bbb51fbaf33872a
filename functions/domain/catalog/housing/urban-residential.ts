/**
 * 城镇住宅 — urban residential building (DOMAIN.md §2 T8) [S16][S22] + [BK]: one record per building (楼栋) from the
 * MOHURD base-map polygons.
 */
import { defineForm } from '../../forms';
import type { CatalogEntry } from '../types';
import { UNITS, URBAN_RULES, URBAN_SAMPLE, URBAN_SECTIONS, URBAN_VIOLATIONS, urbanBuildingFields } from './common';

const definition = defineForm({
  id: 'housing.urban-residential',
  version: 1,
  sector: 'housing',
  part: 'urban',
  code: 'czfw_zz',
  title: { zh: '城镇住宅建筑调查表', en: 'Urban residential building survey' },
  description: {
    zh: '城镇范围内2020年12月31日前已投入使用的住宅建筑,一栋一表。',
    en: 'Residential buildings in urban areas in use before 2020-12-31; one record per building.',
  },
  unit: 'object',
  regionLevel: 'village',
  sections: URBAN_SECTIONS,
  fields: urbanBuildingFields({
    nameLabel: { zh: '小区名称及楼栋号', en: 'Estate and block number' },
    nameHint: { zh: '如"安华西里二区5号楼"', en: 'e.g. "Anhua Xili District 2, Block 5"' },
    extraBuildingFields: [
      {
        name: 'dwelling_units',
        label: { zh: '住宅套数', en: 'Dwelling units' },
        type: 'integer',
        min: 0,
        max: 5000,
        unit: { zh: '套', en: 'units' },
        section: 'building',
      },
      {
        name: 'ground_floor_commercial',
        label: { zh: '底层是否为商业用房', en: 'Shops on the ground floor' },
        type: 'boolean',
        section: 'building',
      },
      {
        name: 'residents',
        label: { zh: '居住人口(约)', en: 'Residents (approx.)' },
        type: 'integer',
        min: 0,
        max: 50_000,
        unit: UNITS.persons,
        section: 'building',
      },
    ],
  }),
  rules: URBAN_RULES,
});

export const entry: CatalogEntry = {
  definition,
  sample: {
    ...URBAN_SAMPLE,
    name: '安华西里二区5号楼',
    dwelling_units: 72,
    ground_floor_commercial: false,
    residents: 190,
  },
  violations: URBAN_VIOLATIONS,
};
