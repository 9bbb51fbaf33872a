/** Target editing shared by the inline table and the paste box: number parsing, spreadsheet lines, saving. */
import type { Region } from '$domain/regions';
import { api, ApiError } from '$lib/api';
import { addMessages, loc, t } from '$lib/i18n.svelte';
import { admin } from '$lib/messages/admin';

addMessages(admin);

export interface TargetChange {
  formId: string;
  regionCode: string;
  target: number;
}

export type SaveResult = { ok: true; updated: number } | { ok: false; byIndex: Map<number, string>; message: string };

export const MAX_TARGET = 1_000_000;

/** A target as typed: a whole number 0–1,000,000 (digits only), else null. */
export function parseTarget(raw: string): number | null {
  const s = raw.trim();
  if (!/^\d{1,7}$/.test(s)) return null;
  const n = Number(s);
  return n <= MAX_TARGET ? n : null;
}

/** PUT /api/targets; a 422 is mapped back to the index of each change it names (`targets[i].…`). */
export async function saveTargets(changes: TargetChange[]): Promise<SaveResult> {
  try {
    const r = await api.put<{ updated: number }>('/api/targets', { targets: changes });
    return { ok: true, updated: r.body.updated };
  } catch (e) {
    if (e instanceof ApiError && e.status === 422 && e.errors.length) {
      const byIndex = new Map<number, string>();
      for (const err of e.errors) {
        const m = /^targets\[(\d+)\]/.exec(err.path);
        if (!m) continue;
        const i = Number(m[1]);
        byIndex.set(i, [byIndex.get(i), loc(err.message)].filter(Boolean).join('；'));
      }
      return { ok: false, byIndex, message: t('admin.saveFailed', { n: byIndex.size || e.errors.length }) };
    }
    const detail = e instanceof ApiError ? (e.network ? t('common.offline') : e.detail) : String(e);
    return { ok: false, byIndex: new Map(), message: t('admin.saveError', { detail }) };
  }
}

export interface PastedLine {
  line: number;
  region: Region;
  target: number;
}

export interface PasteResult {
  lines: PastedLine[];
  errors: { line: number; message: string }[];
}

/**
 * Lines pasted from a spreadsheet: `region<TAB>target` or `region,target` (a full-width comma too), the region by
 * code or by its Chinese or English name among the regions at the form's level. Blank lines are skipped.
 */
export function parsePaste(text: string, candidates: Region[], levelName: string): PasteResult {
  const lines: PastedLine[] = [];
  const errors: PasteResult['errors'] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    const cols = (raw.includes('\t') ? raw.split('\t') : raw.split(/[,，]/)).map((c) => c.trim());
    while (cols.length > 2 && cols[cols.length - 1] === '') cols.pop();
    if (cols.length !== 2 || !cols[0] || !cols[1]) return void errors.push({ line, message: t('admin.paste.err.columns') });
    const [key, value] = cols as [string, string];
    const byCode = candidates.find((r) => r.code === key);
    const byName = byCode ? [byCode] : candidates.filter((r) => r.name.zh === key || r.name.en.toLowerCase() === key.toLowerCase());
    if (byName.length === 0) return void errors.push({ line, message: t('admin.paste.err.region', { value: key, level: levelName }) });
    if (byName.length > 1) return void errors.push({ line, message: t('admin.paste.err.ambiguous', { value: key }) });
    const region = byName[0]!;
    const target = parseTarget(value);
    if (target === null) return void errors.push({ line, message: t('admin.paste.err.target', { value }) });
    const first = seen.get(region.code);
    if (first !== undefined) return void errors.push({ line, message: t('admin.paste.err.duplicate', { first }) });
    seen.set(region.code, line);
    lines.push({ line, region, target });
  });
  return { lines, errors };
}
