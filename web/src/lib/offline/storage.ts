/**
 * Storage the browser gives this site: ask for it to be persistent (not cleared under storage pressure — the loss
 * Enketo users complain about) and measure what is used. Chrome grants persistence without asking the user when the
 * site is installed or much used; Firefox asks; Safari decides by itself.
 */

export type Persistence = 'granted' | 'denied' | 'unsupported';

export async function persisted(): Promise<Persistence> {
  if (!navigator.storage?.persisted) return 'unsupported';
  try {
    return (await navigator.storage.persisted()) ? 'granted' : 'denied';
  } catch {
    return 'unsupported';
  }
}

/** Ask for persistent storage (once granted it stays granted); the answer is what the browser decided. */
export async function askPersistence(): Promise<Persistence> {
  if (!navigator.storage?.persist) return 'unsupported';
  try {
    if (await navigator.storage.persisted()) return 'granted';
    return (await navigator.storage.persist()) ? 'granted' : 'denied';
  } catch {
    return 'unsupported';
  }
}

export interface Usage {
  usage: number;
  quota: number;
}

export async function usage(): Promise<Usage | null> {
  if (!navigator.storage?.estimate) return null;
  try {
    const e = await navigator.storage.estimate();
    return { usage: e.usage ?? 0, quota: e.quota ?? 0 };
  } catch {
    return null;
  }
}
