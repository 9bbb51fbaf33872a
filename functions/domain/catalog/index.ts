/** The census catalog: every table of every sector, as definitions plus the samples that test them. */
import type { FormDefinition } from '../forms';
import type { SectorId } from '../sectors';
import type { CatalogEntry } from './types';
import { emergencyEntries } from './emergency/index';
import { agricultureEntries } from './agriculture/index';
import { forestryEntries } from './forestry/index';
import { housingEntries } from './housing/index';

export type { CatalogEntry, Violation } from './types';

export const CATALOG: readonly CatalogEntry[] = [...emergencyEntries, ...agricultureEntries, ...forestryEntries, ...housingEntries];

export const CATALOG_FORMS: readonly FormDefinition[] = CATALOG.map((e) => e.definition);

export function catalogForm(id: string): FormDefinition | undefined {
  return CATALOG_FORMS.find((f) => f.id === id);
}

export function catalogBySector(sector: SectorId): FormDefinition[] {
  return CATALOG_FORMS.filter((f) => f.sector === sector);
}
