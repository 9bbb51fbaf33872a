/** The site-photo field every sector's tables use: several images, 10 MB each, of the listed content types. */
import type { FieldInput, Localized } from '../forms';

export const PHOTO_TYPES = ['image/jpeg', 'image/png'];
const TEN_MB = 10 * 1024 * 1024;

export interface PhotoOptions {
  required?: boolean | string;
  relevant?: string;
  section?: string;
  hint?: Localized;
  maxFiles?: number;
  /** Content types accepted (default JPEG and PNG). */
  accept?: string[];
}

export function photos(name: string, label: Localized, opts: PhotoOptions = {}): FieldInput {
  return {
    name,
    label,
    type: 'photo',
    accept: opts.accept ?? PHOTO_TYPES,
    maxSize: TEN_MB,
    multiple: true,
    maxFiles: opts.maxFiles ?? 10,
    required: opts.required ?? false,
    ...(opts.relevant ? { relevant: opts.relevant } : {}),
    ...(opts.section ? { section: opts.section } : {}),
    ...(opts.hint ? { hint: opts.hint } : {}),
  };
}
