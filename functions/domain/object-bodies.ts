/**
 * The request bodies of the survey-object routes (API.md "Survey objects"), as zod schemas. Kept apart from objects.ts,
 * which the web app imports: zod probes for `Function` at load, which the app's CSP (no eval) reports as a violation.
 */
import { z } from 'zod';
import { insideChina, MANUAL_OBJECT_STATUSES, OBJECT_CODE } from './objects';
import { isRegionCode } from './regions';

const Name = z.string().trim().min(1).max(200);
const Coordinate = z.object({ lat: z.number().finite(), lng: z.number().finite() }).strict();

/** POST /api/objects: one object added by hand, or found in the field (新增; then the code may be left out). */
export const NewObjectBody = z
  .object({
    formId: z.string().min(1).max(100),
    regionCode: z.string().refine(isRegionCode, 'not a region code'),
    code: z.string().regex(OBJECT_CODE, 'letters, digits, _ . - only (at most 64)').optional(),
    name: Name,
    location: Coordinate.refine(insideChina, 'outside China').optional(),
    found: z.boolean().optional(),
    assignee: z.string().min(1).max(100).optional(),
  })
  .strict();
export type NewObjectBody = z.infer<typeof NewObjectBody>;

export const ObjectStatusBody = z
  .object({
    status: z.enum(MANUAL_OBJECT_STATUSES),
    note: z.string().trim().min(1, 'a note is required').max(500),
  })
  .strict();

export const AssignBody = z
  .object({
    /** Objects by id, or every object of a form in a region (a whole village or township). */
    ids: z.array(z.string().min(1).max(200)).min(1).max(5000).optional(),
    formId: z.string().min(1).max(100).optional(),
    regionCode: z.string().refine(isRegionCode, 'not a region code').optional(),
    /** userId of a staff member, or null to take the assignment back. */
    assignee: z.string().min(1).max(100).nullable(),
  })
  .strict()
  .refine((b) => b.ids !== undefined || (b.formId !== undefined && b.regionCode !== undefined), {
    message: 'give ids, or formId and regionCode',
    path: ['ids'],
  });
