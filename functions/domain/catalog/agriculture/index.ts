/** Agriculture sector (农业农村·水旱): flood-hazard objects, drought tables, then crop losses. */
import type { CatalogEntry } from '../types';
import { entry as reservoir } from './reservoir';
import { entry as sluice } from './sluice';
import { entry as dike } from './dike';
import { entry as waterSupplyUse } from './water-supply-use';
import { entry as droughtCapacity } from './drought-capacity';
import { entry as urbanWaterSource } from './urban-water-source';
import { entry as droughtLosses } from './drought-losses';
import { entry as cropLosses } from './crop-losses';

export const agricultureEntries: CatalogEntry[] = [reservoir, sluice, dike, waterSupplyUse, droughtCapacity, urbanWaterSource, droughtLosses, cropLosses];
