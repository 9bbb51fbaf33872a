/**
 * The largest census table, filled in with the keyboard only: Tab moves between fields, typing fills text and numbers,
 * Space and the arrow keys choose options, Enter presses buttons. No mouse clicks; the photo file is set on the focused
 * file input (the file chooser itself is the operating system's). The record must then exist, submitted, via the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot, signIn, startWebStack } from './support';
import { login, type TestStack } from '../support/stack';
import { CATALOG } from '../../functions/domain/catalog/index';
import { allFields, type Field, type FormDefinition } from '../../functions/domain/forms';
import { generateSample } from '../../functions/domain/samples';
import { validate } from '../../functions/domain/validate';

let stack: TestStack;
let browser: Browser;
beforeAll(async () => {
  [stack, browser] = await Promise.all([startWebStack(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** The catalog table with the most fields (repeat sub-fields included). */
const entry = [...CATALOG].sort((a, b) => allFields(b.definition).length - allFields(a.definition).length)[0]!;
const def: FormDefinition = entry.definition;

/** Element id the form gives a field's input (see web/src/lib/form/model.ts). */
const inputId = (key: string) => 'f-' + key.replace(/[[\].]+/g, '-').replace(/-$/, '');

/** What the focused element should be: an element id, a button whose aria-label includes text, or a button's text. */
type Target = { id: string } | { labelIncludes: string } | { buttonText: string };

/** Press Tab until the focused element is `target`, failing after `max` presses. */
async function tabTo(page: Page, target: Target, max = 300): Promise<void> {
  for (let i = 0; i < max; i++) {
    const ok = await page.evaluate((t) => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return false;
      if ('id' in t) return el.id === t.id;
      if ('labelIncludes' in t) return (el.getAttribute('aria-label') ?? '').includes(t.labelIncludes);
      return el.tagName === 'BUTTON' && el.textContent?.trim() === t.buttonText;
    }, target);
    if (ok) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${JSON.stringify(target)}`);
}

const tabToId = (page: Page, id: string) => tabTo(page, { id });

/** Fields in the order the form shows them: sections in definition order. */
function shownOrder(d: FormDefinition): Field[] {
  const sectionIds = d.sections.map((s) => s.id);
  const loose = d.fields.filter((f) => !f.section || !sectionIds.includes(f.section));
  return [...loose, ...sectionIds.flatMap((s) => d.fields.filter((f) => f.section === s))];
}

async function typeDate(page: Page, id: string, iso: string) {
  const [y, m, d] = iso.split('-') as [string, string, string];
  // Chromium orders the segments by its locale: try month/day/year, then year/month/day.
  for (const order of [[m, d, y], [y, m, d]]) {
    await page.keyboard.type(order.join(''));
    if ((await page.locator(`#${id}`).inputValue()) === iso) return;
    // Clear the three segments (focus is on the last one) and go back to the first.
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('Backspace');
      if (i < 2) await page.keyboard.press('Shift+Tab');
    }
  }
  throw new Error(`could not type the date ${iso} into #${id}`);
}

describe(`the largest table (${def.id}, ${allFields(def).length} fields) with the keyboard only`, () => {
  it('is filled in and submitted without the mouse', async () => {
    const answers = validate(def, generateSample(def, entry.sample), { mode: 'submit' }).data;
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, stack.url, `staff-${def.sector}`);
    await page.waitForURL(/\/tasks$/);

    // From My tasks: Tab to the form's "new" button (its region list defaults to the first region) and press Enter.
    const title = def.title.zh;
    await page.getByRole('article', { name: title }).waitFor();
    await tabTo(page, { labelIncludes: title });
    const started = Date.now();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/fill/${def.id.replace('.', '\\.')}\\?region=\\d{12}&id=`));
    const id = new URL(page.url()).searchParams.get('id')!;
    await page.locator(`#${inputId(shownOrder(def).find((f) => f.type !== 'calculate')!.name)}`).waitFor();
    console.log(`${def.id}: interactive ${Date.now() - started} ms after Enter`);

    const filled: string[] = [];
    for (const f of shownOrder(def)) {
      const v = answers[f.name];
      if (v === undefined || f.type === 'calculate' || f.type === 'repeat') continue;
      const id0 = inputId(f.name);
      await tabToId(page, id0);
      switch (f.type) {
        case 'text':
        case 'integer':
        case 'decimal':
        case 'year':
          await page.keyboard.type(String(v));
          break;
        case 'date':
          await typeDate(page, id0, v as string);
          break;
        case 'select_one': {
          const k = f.choices.findIndex((c) => c.value === v);
          if (f.choices.length <= 5) {
            // An unchecked radio group: Space checks the first; an arrow key moves to and checks the next.
            if (k === 0) await page.keyboard.press('Space');
            for (let i = 0; i < k; i++) await page.keyboard.press('ArrowRight');
          } else {
            for (let i = 0; i <= k; i++) await page.keyboard.press('ArrowDown');
          }
          break;
        }
        case 'select_multiple':
          for (const [i, c] of f.choices.entries()) {
            if (!(v as string[]).includes(c.value)) continue;
            await tabToId(page, i === 0 ? id0 : `${id0}-${i}`);
            await page.keyboard.press('Space');
          }
          break;
        case 'boolean':
          if (v === true) await page.keyboard.press('Space');
          else await page.keyboard.press('ArrowRight');
          break;
        case 'geopoint': {
          const p = v as { lat: number; lng: number };
          await page.keyboard.type(String(p.lat));
          await page.keyboard.press('Tab');
          await page.keyboard.type(String(p.lng));
          break;
        }
        case 'geoshape': {
          const ring = (v as { coordinates: number[][][] }).coordinates[0]!;
          await page.keyboard.type(ring.slice(0, -1).map((p) => `${p[0]},${p[1]}`).join('\n'));
          break;
        }
        case 'photo':
        case 'file': {
          const count = Array.isArray(v) ? v.length : 1;
          for (let i = 0; i < count; i++) {
            await tabToId(page, id0);
            await page.locator(':focus').setInputFiles({ name: `photo-${i + 1}.png`, mimeType: 'image/png', buffer: PNG });
            await page.getByRole('img', { name: `照片 ${i + 1}` }).first().waitFor();
          }
          break;
        }
        case 'region':
          await page.keyboard.type(String(v));
          break;
      }
      filled.push(f.name);
    }
    expect(filled.length).toBeGreaterThan(30);
    await screenshot(page, `keyboard-${def.id}`);

    // Submit: Tab to the button and press Enter.
    await tabTo(page, { buttonText: '提交' });
    await page.keyboard.press('Enter');
    try {
      await page.getByText('已提交，等待审核。').waitFor({ timeout: 15_000 });
    } catch (e) {
      throw new Error(`not submitted: ${await page.locator('main').innerText()}`.slice(0, 3000), { cause: e });
    }

    const staff = await login(stack.url, `staff-${def.sector}`);
    const r = await staff.get(`/api/submissions/${id}`);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('submitted');
    expect(r.body.formId).toBe(def.id);
    // Every typed answer arrived as typed (attachments are new uploads, so only their count is compared).
    for (const name of filled) {
      const field = def.fields.find((f) => f.name === name)!;
      if (field.type === 'photo' || field.type === 'file') expect(r.body.data[name]).toHaveLength((answers[name] as unknown[]).length);
      else expect(r.body.data[name], name).toEqual(answers[name]);
    }
    await context.close();
  }, 60_000);
});
