/** Upload an XLSForm (admin): the regions, so region fields preview with the district's names. */
import type { Region } from '$domain/regions';
import { ApiError } from '$lib/api';
import { loadRegions } from '$lib/reference';
import type { PageLoad } from './$types';
import { currentMe } from '../forms-admin';

export interface UploadData {
  ready: boolean;
  forbidden: boolean;
  failure: string | null;
  regions: Region[];
}

export const load: PageLoad = async (): Promise<UploadData> => {
  const empty: UploadData = { ready: false, forbidden: false, failure: null, regions: [] };
  try {
    const me = await currentMe();
    if (!me) return empty;
    if (me.role !== 'admin') return { ...empty, ready: true, forbidden: true };
    return { ...empty, ready: true, regions: await loadRegions() };
  } catch (e) {
    return { ...empty, ready: true, failure: e instanceof ApiError && e.network ? 'offline' : String((e as Error).message) };
  }
};
