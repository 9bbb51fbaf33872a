/** Emergency-management (应急管理) tables, in the order of the national table list: facilities, enterprises, capability, history. */
import type { CatalogEntry } from '../types';
import { entry as school } from './school';
import { entry as medicalInstitution } from './medical-institution';
import { entry as hazchemEnterprise } from './hazchem-enterprise';
import { entry as shelter } from './shelter';
import { entry as reliefDepot } from './relief-depot';
import { entry as townshipCapability } from './township-capability';
import { entry as villageCapability } from './village-capability';
import { entry as annualDisaster } from './annual-disaster';
import { entry as majorDisasterEvent } from './major-disaster-event';

export const emergencyEntries: CatalogEntry[] = [
  school,
  medicalInstitution,
  hazchemEnterprise,
  shelter,
  reliefDepot,
  townshipCapability,
  villageCapability,
  annualDisaster,
  majorDisasterEvent,
];
