/**
 * CSV cells: formula neutralisation, RFC 4180 quoting and the BOM — the pure functions (domain/csv.ts) and the real
 * streaming export writer (app/spreadsheets.ts), read back with csv-parse; GB18030 input; the import report file.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseCsv } from 'csv-parse/sync';
import { BOM, csvRecord, neutraliseCell, quoteField, restoreCell, stripBom } from '../../functions/domain/csv';
import { defineForm } from '../../functions/domain/forms';
import type { Submission } from '../../functions/app/ports';
import { csvWriter, decodeCsv, readCsv, reportCsv } from '../../functions/app/spreadsheets';

describe('neutraliseCell / restoreCell', () => {
  it.each([
    ['=SUM(A1:A9)', "'=SUM(A1:A9)"],
    ['+86 138', "'+86 138"],
    ['-3', "'-3"],
    ['@cmd', "'@cmd"],
    ['\tindent', "'\tindent"],
    ['\rreturn', "'\rreturn"],
    ['＝1+1', "'＝1+1"],
    ['＋1', "'＋1"],
    ['－1', "'－1"],
    ['＠x', "'＠x"],
  ])('prefixes %j with an apostrophe', (cell, written) => {
    expect(neutraliseCell(cell)).toBe(written);
    expect(restoreCell(written)).toBe(cell);
  });

  it.each(['', 'plain', '1+1=2', 'a-b', "'quoted", "it's", '中文=名称', ' =leading space', '3.5', '420999001001'])('leaves %j alone', (cell) => {
    expect(neutraliseCell(cell)).toBe(cell);
    expect(restoreCell(cell)).toBe(cell);
  });

  it('restores only what it neutralised', () => {
    expect(restoreCell("'plain")).toBe("'plain");
    expect(restoreCell("''=x")).toBe("''=x");
  });
});

describe('quoteField / csvRecord (RFC 4180)', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'],
    ['carriage\rreturn', '"carriage\rreturn"'],
    ['crlf\r\nin', '"crlf\r\nin"'],
    ['中文，全角逗号', '中文，全角逗号'],
    ['', ''],
  ])('quotes %j as %j', (cell, quoted) => {
    expect(quoteField(cell)).toBe(quoted);
  });

  it('writes a record ending in CRLF, neutralised then quoted', () => {
    expect(csvRecord(['=1,2', 'ok', '-5'])).toBe(`"'=1,2",ok,'-5\r\n`);
    expect(csvRecord(['\rx'])).toBe(`"'\rx"\r\n`);
  });

  it('strips a BOM only at the start', () => {
    expect(stripBom(`${BOM}a${BOM}`)).toBe(`a${BOM}`);
    expect(stripBom('a')).toBe('a');
  });
});

const def = defineForm({
  id: 'test.csv-cells',
  version: 1,
  sector: 'emergency',
  part: 'facilities',
  title: { zh: '测试表', en: 'Test form' },
  unit: 'object',
  regionLevel: 'village',
  fields: [
    { name: 'name', label: { zh: '名称', en: 'Name' }, type: 'text', required: true },
    { name: 'count', label: { zh: '数量', en: 'Count' }, type: 'integer' },
    { name: 'kind', label: { zh: '类别', en: 'Kind' }, type: 'select_one', choices: [{ value: 'a', label: { zh: '甲', en: 'A' } }] },
  ],
});

function submission(i: number, data: Record<string, unknown>): Submission {
  return {
    id: `00000000-0000-4000-8000-00000000000${i}`,
    formId: def.id,
    formVersion: 1,
    sector: 'emergency',
    part: 'facilities',
    regionCode: '420999001001',
    status: 'approved',
    version: 2,
    data,
    attachments: [],
    createdBy: 'u',
    createdAt: '2021-11-29T00:00:00.000Z',
    updatedAt: '2021-11-29T01:00:00.000Z',
    contentHash: 'x',
  };
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}

describe('the CSV export writer', () => {
  const names = ['=HYPERLINK("http://x")', '+1', '-1', '@SUM(1)', '\tTab', '\rCR', 'a,b', 'say "hi"', 'two\nlines', 'cr\ronly', 'crlf\r\nend', '中文名称', ''];

  async function written(): Promise<Buffer> {
    const w = csvWriter(def);
    const out = collect(w.stream);
    await w.write(names.map((name, i) => submission(i, { name, count: i - 3, kind: 'a' })));
    await w.end();
    return out;
  }

  it('starts with the UTF-8 BOM and a header row of column codes', async () => {
    const bytes = await written();
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8');
    expect(text.slice(1).split('\r\n')[0]).toBe('_id,_region,_status,_form_version,_updated_at,name,count,kind');
  });

  it('writes records exactly as csvRecord does: neutralised, RFC 4180 quoted, CRLF-terminated', async () => {
    const text = (await written()).toString('utf8').slice(1);
    const expected = names
      .map((name, i) => {
        const s = submission(i, {});
        return csvRecord([s.id, s.regionCode, s.status, '1', s.updatedAt, name, String(i - 3), 'a']);
      })
      .join('');
    expect(text).toBe(`_id,_region,_status,_form_version,_updated_at,name,count,kind\r\n${expected}`);
  });

  it('reads back (csv-parse) to the neutralised cells, and restoreCell gives the original values', async () => {
    const rows = readCsv(await written()) as string[][];
    expect(rows).toHaveLength(names.length + 1);
    const nameCol = rows[0]!.indexOf('name');
    const countCol = rows[0]!.indexOf('count');
    rows.slice(1).forEach((r, i) => {
      expect(r[nameCol]).toBe(neutraliseCell(names[i]!));
      expect(restoreCell(r[nameCol]!)).toBe(names[i]);
      expect(Number(restoreCell(r[countCol]!))).toBe(i - 3);
    });
    // Negative numbers are neutralised too (the API's rule holds for every cell).
    expect(rows[1]![countCol]).toBe("'-3");
  });
});

describe('reading CSV files', () => {
  it('decodes UTF-8 with or without BOM, and GB18030 (Excel on Chinese Windows)', () => {
    expect(decodeCsv(new TextEncoder().encode(`${BOM}名称,代码`))).toBe('名称,代码');
    expect(decodeCsv(new TextEncoder().encode('名称,代码'))).toBe('名称,代码');
    // 名称,代码 in GBK
    expect(decodeCsv(new Uint8Array([0xc3, 0xfb, 0xb3, 0xc6, 0x2c, 0xb4, 0xfa, 0xc2, 0xeb]))).toBe('名称,代码');
  });

  it('keeps quoted line breaks inside a cell and tolerates ragged rows', () => {
    expect(readCsv(new TextEncoder().encode('a,b\r\n"x\ny",z\r\nonly\r\n'))).toEqual([['a', 'b'], ['x\ny', 'z'], ['only']]);
  });
});

describe('the import report file', () => {
  it('is a CSV with BOM, one line per problem, labels, zh and en, neutralised', () => {
    const bytes = reportCsv(
      [
        { row: 3, column: 'name', code: 'required', message: { zh: '此项为必填项', en: 'This field is required' } },
        { row: 4, column: null, code: 'conflict', message: { zh: '=冲突', en: 'conflict, kept' } },
      ],
      (c) => (c === 'name' ? { zh: '名称', en: 'Name' } : undefined),
    );
    const text = Buffer.from(bytes).toString('utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(parseCsv(text.slice(1))).toEqual([
      ['row', 'column', 'column_label', 'code', 'message_zh', 'message_en'],
      ['3', 'name', '名称', 'required', '此项为必填项', 'This field is required'],
      ['4', '', '', 'conflict', "'=冲突", 'conflict, kept'],
    ]);
  });
});
