import type { FormDefinition } from '../forms';

/** One QC rule (cross-field rule or field constraint) and an answer set that breaks it. */
export interface Violation {
  /** What the rule says, in words (test names use it). */
  rule: string;
  /** Merged over the valid sample (a key set to `undefined` removes that answer). */
  patch: Record<string, unknown>;
  /** Where the error must land, e.g. `data.effective_area` or `data.materials[0].qty`. */
  path: string;
  /** Expected error code (defaults to any). */
  code?: string;
}

/** A catalog table: its definition, the hints that make a generated sample valid, and its QC cases. */
export interface CatalogEntry {
  definition: FormDefinition;
  /** Merged over `generateSample(definition)` to satisfy cross-field rules; the result must pass submit validation. */
  sample: Record<string, unknown>;
  violations: Violation[];
}
