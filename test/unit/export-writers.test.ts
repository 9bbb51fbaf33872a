/**
 * The export writers (spreadsheets.ts) keep memory flat when rows come faster than the file is produced: 10,000 rows
 * pushed at full speed into each writer, its output drained by a fast consumer, and the live heap (after forced GCs)
 * read at every page boundary. Without back-pressure inside exceljs' streaming writer the XLSX writer kept every row
 * not yet deflated — ~20 MB at 10,000 rows of this form (39 MB at 20,000); with it, well under a megabyte. The bound is
 * coarse on purpose (this runs in the test runner's own process); export-scale.test.ts measures whole exports in a
 * process of their own.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Submission } from '../../functions/app/ports';
import { writerFor, type ExportFormat } from '../../functions/app/spreadsheets';
import { CATALOG, catalogForm } from '../../functions/domain/catalog/index';
import type { FormDefinition } from '../../functions/domain/forms';
import { generateSample } from '../../functions/domain/samples';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** Live heap + Buffers, after two full GCs (the second lets the first's sweep of dead Buffers finish). */
function live(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

const FORM = 'housing.rural-house';
const def = catalogForm(FORM) as FormDefinition;
const entry = CATALOG.find((e) => e.definition.id === FORM)!;
const answers = generateSample(def, entry.sample, { regionCode: '420999001001' }) as Record<string, unknown>;
delete answers.photos;

function page(p: number): Submission[] {
  const at = new Date().toISOString();
  return Array.from({ length: 500 }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(p * 500 + i).padStart(12, '0')}`,
    formId: FORM,
    formVersion: def.version,
    sector: def.sector,
    part: def.part,
    regionCode: '420999001001',
    status: 'approved',
    version: 1,
    data: { ...answers, householder: `户主${p * 500 + i}` },
    attachments: [],
    createdBy: 'u',
    createdAt: at,
    updatedAt: at,
    contentHash: 'x',
  }));
}

const MB = 1024 * 1024;

describe('export writers under a fast producer', () => {
  for (const format of ['csv', 'xlsx', 'geojson'] as ExportFormat[]) {
    it(`${format}: 10,000 rows written at full speed hold no more memory than a few pages`, async () => {
      const pages = Array.from({ length: 4 }, (_, p) => page(p));
      let bytes = 0;
      const writer = writerFor(format, def);
      const consumed = pipeline(writer.stream, new Writable({ write: (chunk: Buffer, _e, done) => ((bytes += chunk.length), done()) }));
      const base = live();
      let peak = 0;
      for (let p = 0; p < 20; p++) {
        await writer.write(pages[p % pages.length]!);
        peak = Math.max(peak, live() - base);
      }
      await writer.end();
      await consumed;
      expect(bytes).toBeGreaterThan(1 * MB);
      expect(peak, `${(peak / MB).toFixed(1)} MB held after a page`).toBeLessThan(4 * MB);
    }, 60_000);
  }
});
