/**
 * Form definitions are data. This module holds the one schema that checks them (web, API and catalog all use it);
 * the TypeScript types are inferred from it. Expressions are kept as source strings here; `checkDefinition` (see
 * form-check.ts) parses and type-checks every one of them against the fields.
 */
import { z } from 'zod';
import { SECTOR_IDS } from './sectors';
import { REGION_LEVELS } from './regions';

export const Localized = z.strictObject({ zh: z.string().min(1), en: z.string().min(1) });
export type Localized = z.infer<typeof Localized>;

/** snake_case field names: safe as object keys, column headers and expression references. */
export const FieldName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'field names are snake_case, start with a letter, at most 63 characters')
  .refine((n) => !['constructor', 'prototype', '__proto__', 'hasownproperty'].includes(n), 'reserved name');

const Expression = z.string().min(1).max(2000);

const Constraint = z.strictObject({
  /** Must evaluate to true for the value to be accepted. `.` is the field's own value. */
  expr: Expression,
  message: Localized,
});

/** Extra columns of a choice (XLSForm's choices-sheet columns), read by a select's `choiceFilter` as bare names. */
const ChoiceColumns = z.record(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/), z.string().max(500));

const Choice = z.strictObject({
  value: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  label: Localized,
  columns: ChoiceColumns.optional(),
});

/**
 * A select's choice filter (XLSForm `choice_filter`): an expression evaluated per choice, where a bare name (`cf`,
 * `pastel`) is that choice's column and `${field}` an answer. Only choices for which it is true are offered and accepted.
 */
const ChoiceFilter = Expression;

const base = {
  name: FieldName,
  label: Localized,
  hint: Localized.optional(),
  /** true, false, or an expression (required-if). */
  required: z.union([z.boolean(), Expression]).default(false),
  /** Expression; when it is false the field is hidden and any answer to it is dropped. */
  relevant: Expression.optional(),
  constraints: z.array(Constraint).default([]),
  /** id of a section in `definition.sections` (display grouping only). */
  section: z.string().optional(),
  readonly: z.boolean().optional(),
};

export const TEXT_FORMATS = ['uscc', 'id-card', 'phone'] as const;

const TextField = z.strictObject({
  ...base,
  type: z.literal('text'),
  minLength: z.int().min(0).optional(),
  maxLength: z.int().min(1).max(10_000).default(500),
  multiline: z.boolean().optional(),
  /** Built-in check of a well-known identifier (with its check digit where it has one). */
  format: z.enum(TEXT_FORMATS).optional(),
});

const numberBounds = {
  min: z.number().optional(),
  max: z.number().optional(),
  /** When true, `min` itself is not allowed (value must be > min). */
  exclusiveMin: z.boolean().optional(),
  unit: Localized.optional(),
};

const IntegerField = z.strictObject({ ...base, type: z.literal('integer'), ...numberBounds });
const DecimalField = z.strictObject({
  ...base,
  type: z.literal('decimal'),
  ...numberBounds,
  /** Digits allowed after the decimal point. */
  precision: z.int().min(0).max(8).default(2),
});
const DateField = z.strictObject({
  ...base,
  type: z.literal('date'),
  min: z.iso.date().optional(),
  max: z.iso.date().optional(),
});
const YearField = z.strictObject({
  ...base,
  type: z.literal('year'),
  min: z.int().min(1000).max(9999).optional(),
  max: z.int().min(1000).max(9999).optional(),
});

/** "Other → text": choosing `value` makes the text field `field` relevant and required. */
const OtherText = z.strictObject({ value: z.string().default('other'), field: FieldName });

const SelectOneField = z.strictObject({
  ...base,
  type: z.literal('select_one'),
  choices: z.array(Choice).min(1).max(500),
  choiceFilter: ChoiceFilter.optional(),
  other: OtherText.optional(),
});
const SelectMultipleField = z.strictObject({
  ...base,
  type: z.literal('select_multiple'),
  choices: z.array(Choice).min(1).max(500),
  choiceFilter: ChoiceFilter.optional(),
  other: OtherText.optional(),
  minSelected: z.int().min(0).optional(),
  maxSelected: z.int().min(1).optional(),
});
const BooleanField = z.strictObject({ ...base, type: z.literal('boolean') });

export const Bounds = z.strictObject({
  minLat: z.number().min(-90).max(90),
  maxLat: z.number().min(-90).max(90),
  minLng: z.number().min(-180).max(180),
  maxLng: z.number().min(-180).max(180),
});
export type Bounds = z.infer<typeof Bounds>;
/** Mainland China and its islands, generously: used by fields that declare `bounds: CHINA_EXTENT`. */
export const CHINA_EXTENT: Bounds = { minLat: 3.8, maxLat: 53.6, minLng: 73.4, maxLng: 135.1 };

const GeopointField = z.strictObject({ ...base, type: z.literal('geopoint'), bounds: Bounds.optional() });
const GeoshapeField = z.strictObject({
  ...base,
  type: z.literal('geoshape'),
  bounds: Bounds.optional(),
  maxVertices: z.int().min(4).max(10_000).default(2_000),
});

/** An open line (GeoJSON LineString, [lng, lat] pairs, at least two distinct vertices): a road, a firebreak, a pipe. */
const GeotraceField = z.strictObject({
  ...base,
  type: z.literal('geotrace'),
  bounds: Bounds.optional(),
  maxVertices: z.int().min(2).max(10_000).default(2_000),
});

/** Text shown to the person filling in (XLSForm `note`): no answer; its label may quote answers as `${field}`. */
const NoteField = z.strictObject({
  name: FieldName,
  label: Localized,
  hint: Localized.optional(),
  type: z.literal('note'),
  section: z.string().optional(),
  relevant: Expression.optional(),
});

const AttachmentField = {
  ...base,
  /** Exact content types accepted (the presigned upload pins one of these). */
  accept: z.array(z.string().regex(/^[a-z]+\/[a-z0-9.+-]+$/)).min(1),
  /** Largest upload in bytes. */
  maxSize: z.int().min(1).max(100 * 1024 * 1024),
  /** When true the value is a list of attachment ids. */
  multiple: z.boolean().optional(),
  maxFiles: z.int().min(1).max(50).optional(),
};
const PhotoField = z.strictObject({ ...AttachmentField, type: z.literal('photo') });
const FileField = z.strictObject({ ...AttachmentField, type: z.literal('file') });

const RegionField = z.strictObject({ ...base, type: z.literal('region'), level: z.enum(REGION_LEVELS).optional() });

/** A read-only value computed from other answers; clients may not set it. */
const CalculateField = z.strictObject({
  name: FieldName,
  label: Localized,
  hint: Localized.optional(),
  type: z.literal('calculate'),
  calculate: Expression,
  /** Unit and precision when the result is a number. */
  unit: Localized.optional(),
  precision: z.int().min(0).max(8).optional(),
  section: z.string().optional(),
  relevant: Expression.optional(),
});

const leafFields = [
  TextField,
  IntegerField,
  DecimalField,
  DateField,
  YearField,
  SelectOneField,
  SelectMultipleField,
  BooleanField,
  GeopointField,
  GeoshapeField,
  GeotraceField,
  PhotoField,
  FileField,
  RegionField,
  CalculateField,
  NoteField,
] as const;

export const LeafField = z.discriminatedUnion('type', leafFields);
export type LeafField = z.infer<typeof LeafField>;

const RepeatField = z.strictObject({
  ...base,
  type: z.literal('repeat'),
  fields: z.array(LeafField).min(1).max(100),
  minRows: z.int().min(0).default(0),
  maxRows: z.int().min(1).max(1000).default(100),
});

export const Field = z.discriminatedUnion('type', [...leafFields, RepeatField]);
export type Field = z.infer<typeof Field>;
export type FieldInput = z.input<typeof Field>;
export type FieldType = Field['type'];
export type RepeatField = z.infer<typeof RepeatField>;

export const FIELD_TYPES = Field.options.map((o) => o.shape.type.value) as FieldType[];

const Rule = z.strictObject({
  /** Stable id, e.g. `effective-le-total`. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  /** Must be true for the answers to pass. A rule whose inputs are missing is not applied. */
  expr: Expression,
  /** Field the error is reported on (top-level field name). */
  path: FieldName,
  message: Localized,
  /** Warnings are reported but never block a submit. */
  severity: z.enum(['error', 'warning']).default('error'),
});
export type Rule = z.infer<typeof Rule>;

const Section = z.strictObject({ id: z.string().regex(/^[a-z0-9-]{1,40}$/), title: Localized });

export const FormId = z.string().regex(/^[a-z]+\.[a-z0-9-]{1,60}$/, 'form ids look like `sector.table-name`');

export const FormDefinition = z.strictObject({
  id: FormId,
  version: z.int().min(1),
  sector: z.enum(SECTOR_IDS),
  part: z.string().regex(/^[a-z][a-z-]{0,40}$/),
  /** National table code where one exists (e.g. `yjbncs`). */
  code: z.string().optional(),
  title: Localized,
  description: Localized.optional(),
  /** `object`: one record per surveyed object; `region`: one record per region (e.g. a township capability table). */
  unit: z.enum(['object', 'region']),
  /** The region level submissions of this form are filed at: a progress cell is (form, region at this level). */
  regionLevel: z.enum(REGION_LEVELS),
  sections: z.array(Section).default([]),
  fields: z.array(Field).min(1).max(500),
  rules: z.array(Rule).default([]),
});
export type FormDefinition = z.infer<typeof FormDefinition>;
export type FormDefinitionInput = z.input<typeof FormDefinition>;

/** Parse a definition written as data; throws with field paths if the shape is wrong (see checkDefinition for semantics). */
export function defineForm(input: FormDefinitionInput): FormDefinition {
  return FormDefinition.parse(input);
}

export { allFields } from './form-fields';
