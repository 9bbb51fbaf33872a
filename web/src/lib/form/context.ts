/** What field components need from the form they sit in: the record's id, uploads, regions. Set by FormEditor. */
import { getContext, setContext } from 'svelte';
import type { FormDefinition } from '$domain/forms';
import type { Region, RegionLevel } from '$domain/regions';
import type { Answers } from '$domain/validate';
import type { AnswerKey } from './model';

/** A message-catalog key and its parameters. */
export interface LocalError {
  key: string;
  params?: Record<string, string | number>;
}

export interface FormContext {
  /** The submission's id (client-generated). */
  readonly submissionId: string;
  /** The record's region (a map in the form shows its outline). */
  readonly regionCode?: string;
  /**
   * The form being filled in and the validator's cleaned answers, live: notes quote answers from them and choice filters
   * read them. Without them (a read-only preview) notes show their text as written and selects offer every choice.
   */
  readonly definition?: FormDefinition;
  readonly answers?: Answers;
  /** Make sure the submission exists on the server (attachments hang off it); false when it could not be saved. */
  ensureSaved(): Promise<boolean>;
  /** A short-lived download link for an attachment of this submission. */
  attachmentUrl(attachmentId: string): Promise<string>;
  /** The caller's regions at a level (all of the caller's regions when no level is given). */
  regionsAt(level?: RegionLevel): Region[];
  /** A value the input could not turn into an answer (e.g. "12a" in a number field): a message key; null clears it. */
  setLocalError(key: AnswerKey, message: LocalError | null): void;
  /** Count uploads in flight (+1 when one starts, -1 when it ends) so submit can wait for them. */
  trackUpload(delta: 1 | -1): void;
  /** Mark a field as touched (its errors are shown from now on). */
  touch(key: AnswerKey): void;
  /** True when files should stay on the device for now (offline, or the record waits in the outbox). */
  readonly keepsLocally: boolean;
  /** Keep a file on the device until the outbox uploads it; returns the local id to use as the answer. */
  keepLocally(field: string, file: File): Promise<string>;
}

const KEY = Symbol('form-context');

export function setFormContext(ctx: FormContext): void {
  setContext(KEY, ctx);
}

export function formContext(): FormContext {
  return getContext<FormContext>(KEY);
}

/** Turn full-width digits and punctuation that Chinese input methods produce into ASCII. */
export function asciiDigits(s: string): string {
  return s
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[．。]/g, '.')
    .replace(/[－—]/g, '-')
    .replace(/[，]/g, ',');
}
