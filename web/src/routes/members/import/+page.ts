/** Import members (admin): the district's regions name the codes in the preview. */
import type { Region } from '$domain/regions';
import { ApiError } from '$lib/api';
import { config } from '$lib/config';
import { loadRegions } from '$lib/reference';
import type { PageLoad } from './$types';
import { currentMe } from '../members';

export interface ImportData {
  ready: boolean;
  forbidden: boolean;
  failure: string | null;
  regions: Region[];
  cognito: boolean;
}

export const load: PageLoad = async (): Promise<ImportData> => {
  const empty: ImportData = { ready: false, forbidden: false, failure: null, regions: [], cognito: false };
  try {
    const me = await currentMe();
    if (!me) return empty;
    if (me.role !== 'admin') return { ...empty, ready: true, forbidden: true };
    const [regions, cfg] = await Promise.all([loadRegions(), config()]);
    return { ...empty, ready: true, regions, cognito: cfg.authMode === 'cognito' };
  } catch (e) {
    return { ...empty, ready: true, failure: e instanceof ApiError && e.network ? 'offline' : String((e as Error).message) };
  }
};
