/** Opaque pagination cursors shared by both adapter sets: base64url JSON of a position, never interpreted by clients. */
export function encodeCursor(pos: unknown): string {
  return Buffer.from(JSON.stringify(pos), 'utf8').toString('base64url');
}

/** The position, or undefined when the cursor is absent or unreadable (the store then refuses it as InvalidCursor). */
export function decodeCursor<T>(cursor: string | undefined): T | undefined {
  if (!cursor) return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
