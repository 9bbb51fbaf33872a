/** Files in the browser for the data page: reading an upload as base64, saving a returned file, and job polling. */

/** The bytes of a file as base64 (for the JSON body of small imports). */
export async function fileToBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let bin = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(bin);
}

/** Save base64 content as a download with the given name. */
export function saveBase64(content: string, fileName: string, contentType: string): void {
  const bin = atob(content);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: contentType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Follow a (presigned) link to download it. */
export function openDownload(url: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Largest file sent inside the JSON body (the API takes 256 KB bodies; base64 grows by a third). */
export const INLINE_LIMIT = 180 * 1024;
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;

export interface RowError {
  row: number;
  column: string | null;
  code: string;
  message: { zh: string; en: string };
}
