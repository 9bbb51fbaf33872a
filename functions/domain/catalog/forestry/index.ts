/** Forestry and grassland (林草) tables: hazard factors (fuel, ignition sources, historical fires), then capability. */
import type { CatalogEntry } from '../types';
import { entry as fuelPlot } from './fuel-plot';
import { entry as ignitionSource } from './ignition-source';
import { entry as fireHistory } from './fire-history';
import { entry as fireCrew } from './fire-crew';
import { entry as lookoutFacility } from './lookout-facility';
import { entry as fireDepot } from './fire-depot';
import { entry as firebreak } from './firebreak';

export const forestryEntries: CatalogEntry[] = [fuelPlot, ignitionSource, fireHistory, fireCrew, lookoutFacility, fireDepot, firebreak];
