/** Housing and urban-rural construction (住建): house survey (urban, rural) and municipal-facility survey tables. */
import type { CatalogEntry } from '../types';
import { entry as ruralHouse } from './rural-house';
import { entry as ruralNonresidential } from './rural-nonresidential';
import { entry as urbanResidential } from './urban-residential';
import { entry as urbanNonresidential } from './urban-nonresidential';
import { entry as municipalRoad } from './municipal-road';
import { entry as municipalBridge } from './municipal-bridge';
import { entry as waterPlant } from './water-plant';
import { entry as waterPipeline } from './water-pipeline';

export const housingEntries: CatalogEntry[] = [
  ruralHouse,
  ruralNonresidential,
  urbanResidential,
  urbanNonresidential,
  municipalRoad,
  municipalBridge,
  waterPlant,
  waterPipeline,
];
