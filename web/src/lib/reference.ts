/** Reference data shared by pages (regions, forms, form definitions), fetched once per session and cached. */
import { api } from './api';
import type { FormDefinition } from '$domain/forms';
import type { Region } from '$domain/regions';
import type { Me } from './session.svelte';

export interface FormSummary {
  id: string;
  version: number;
  sector: string;
  part: string;
  title: { zh: string; en: string };
  regionLevel: 'county' | 'township' | 'village';
}

let regions: Promise<Region[]> | undefined;
let forms: Promise<FormSummary[]> | undefined;
const definitions = new Map<string, Promise<FormDefinition>>();

export function loadRegions(): Promise<Region[]> {
  regions ??= api.get<Region[]>('/api/regions').then((r) => r.body);
  regions.catch(() => (regions = undefined));
  return regions;
}

export function loadForms(): Promise<FormSummary[]> {
  forms ??= api.get<FormSummary[]>('/api/forms').then((r) => r.body);
  forms.catch(() => (forms = undefined));
  return forms;
}

/** A form definition: the current version, or a pinned one (versions never change once published). */
export function loadDefinition(formId: string, version?: number): Promise<FormDefinition> {
  const key = `${formId}@${version ?? 'current'}`;
  let p = definitions.get(key);
  if (!p) {
    p = api.get<FormDefinition>(version ? `/api/forms/${formId}/versions/${version}` : `/api/forms/${formId}`).then((r) => r.body);
    p.catch(() => definitions.delete(key));
    definitions.set(key, p);
  }
  return p;
}

export async function loadMe(): Promise<Me> {
  return (await api.get<Me>('/api/me')).body;
}

export function clearReference() {
  regions = undefined;
  forms = undefined;
  definitions.clear();
}
