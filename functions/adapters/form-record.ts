/** What both directory adapters derive from a stored form version: its list summary and its version-list entry. */
import type { FormDefinition } from '#domain/forms';
import type { FormSummary, FormVersionInfo, Publication } from '#app/ports';

export function formSummary(def: FormDefinition): FormSummary {
  return { id: def.id, version: def.version, sector: def.sector, part: def.part, title: def.title, regionLevel: def.regionLevel };
}

export function versionInfo(def: FormDefinition, published: Publication | undefined): FormVersionInfo {
  return {
    version: def.version,
    title: def.title,
    fields: def.fields.length,
    ...(published ? { publishedAt: published.at, publishedBy: published.by } : {}),
  };
}
