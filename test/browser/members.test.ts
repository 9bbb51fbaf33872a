/**
 * Members in a real browser, from the first day of a new staff member to their departure: the admin adds a housing
 * staff member for one village on /members (the form stops an empty submit with a focused summary) and reads the
 * temporary password off the page; the member signs in with it in another browser, must choose a new password (a
 * too-short one is refused with the server's words, in Chinese, at the field), lands in the app signed in and files a
 * rural-house record in that village. Their API sees that village only; another township's progress is refused. The
 * admin disables the member on the member's page (a confirmation says what happens), and the member's next request
 * is refused with 401 — the app then sends them to the sign-in page. Then a bulk import with its preview and the
 * credential slips (served once), and a reviewer's read-only list and password change on My account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axeViolations, screenshot, signIn, startAdminSession, type AdminSession } from './support';
import { Client, login } from '../support/stack';
import { DEMO_PASSWORD } from '../../infra/local/demo-district';

/** 柳河村, in 柳河镇 — not the township of the demo housing staff. */
const VILLAGE = '420999002001';
const OTHER_TOWNSHIP = '420999001000';
const USERNAME = 'liu.xiaomei';
const NEW_PASSWORD = 'rapeseed flowers bloom along the river in march';

let s: AdminSession;
beforeAll(async () => {
  s = await startAdminSession({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
});
afterAll(async () => {
  await s?.close();
});

/** A call with the token the web app stored for this page's session. */
function apiFromPage(page: Page, path: string): Promise<{ status: number; body: any }> {
  return page.evaluate(async (p) => {
    const token = JSON.parse(localStorage.getItem('risk-census.session') ?? '{}').token as string;
    const r = await fetch(p, { headers: { authorization: `Bearer ${token}` } });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  }, path);
}

describe('members', () => {
  it('adds a staff member who chooses a password, files a record in their village only, and is disabled', async () => {
    const { stack, browser, page: admin } = s;
    const regions = (await s.admin.get('/api/regions')).body as { code: string; level: string; name: { zh: string } }[];
    const village = regions.find((r) => r.code === VILLAGE);
    expect(village?.level).toBe('village');

    // ── The admin adds the member.
    await admin.goto(`${stack.url}/members`);
    await admin.getByRole('heading', { level: 1, name: '成员管理' }).waitFor();
    // Members with role, sector and region names.
    const staffRow = admin.locator('tr[data-user="staff-housing"]');
    await staffRow.getByText('住建填报员').waitFor();
    await staffRow.getByText('填报员', { exact: true }).waitFor();
    await staffRow.getByText('住房和城乡建设').waitFor();
    await staffRow.getByText('青山街道').waitFor();
    await staffRow.getByText('在用').waitFor();
    await admin.getByRole('link', { name: '添加成员' }).click();
    await admin.waitForURL(/\/members\/new$/);

    // An empty submit: a summary of the problems, focused, each linked to its field.
    await admin.getByRole('button', { name: '添加成员' }).click();
    const summary = admin.getByRole('group', { name: /请修改以下 \d+ 处问题/ });
    await summary.waitFor();
    await expect.poll(() => admin.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('group');
    await summary.getByRole('link', { name: /^姓名：请填写姓名/ }).click();
    await expect.poll(() => admin.evaluate(() => document.activeElement?.id)).toBe('f-displayName');

    await admin.getByLabel('姓名', { exact: true }).fill('刘晓梅');
    await admin.getByLabel('用户名', { exact: true }).fill(USERNAME);
    // Administrators and viewers have no sector: the field appears for staff only.
    expect(await admin.getByLabel('所属行业/部门').count()).toBe(0);
    await admin.getByLabel('角色', { exact: true }).selectOption('staff');
    await admin.getByLabel('所属行业/部门').selectOption('housing');
    // The region tree: open the township, tick one village.
    await admin.getByRole('button', { name: '展开柳河镇' }).click();
    await admin.getByLabel(village!.name.zh, { exact: true }).check();
    await admin.getByText(`已选 1 项：${village!.name.zh}`).waitFor();
    expect(await axeViolations(admin), 'add member').toEqual([]);
    await admin.getByRole('button', { name: '添加成员' }).click();

    const temp = admin.getByTestId('temporary-password');
    await temp.waitFor();
    await admin.getByText('仅显示一次').first().waitFor();
    await admin.getByRole('button', { name: '复制临时密码' }).waitFor();
    await admin.getByRole('button', { name: '打印登录单' }).waitFor();
    const temporaryPassword = (await temp.innerText()).trim();
    expect(temporaryPassword.length).toBeGreaterThanOrEqual(8);
    await screenshot(admin, 'member-created');

    const listed = ((await s.admin.get('/api/members')).body as { userId: string; username: string; regions: string[]; sector: string }[]).find((m) => m.username === USERNAME);
    expect(listed).toMatchObject({ sector: 'housing', regions: [VILLAGE] });

    // ── The member signs in with the temporary password and must choose a new one.
    const ctx = await browser.newContext({ locale: 'zh-CN' });
    const member = await ctx.newPage();
    await member.goto(`${stack.url}/login`);
    await member.getByLabel('用户名').fill(USERNAME);
    await member.getByLabel('密码').fill(temporaryPassword);
    await member.getByRole('button', { name: '登录' }).click();
    await member.getByRole('heading', { level: 1, name: '设置新密码' }).waitFor();
    await member.getByText('至少 15 个字符', { exact: false }).first().waitFor();

    const next = member.getByLabel('新密码', { exact: true });
    await next.fill('short');
    await member.getByLabel('再次输入新密码').fill('short');
    await member.getByRole('button', { name: '设置新密码' }).click();
    const error = member.locator('#pw-new-error');
    await error.waitFor();
    expect(await error.innerText()).toContain('密码至少 15 个字符');
    expect(await next.getAttribute('aria-invalid')).toBe('true');
    expect(await next.getAttribute('aria-describedby')).toContain('pw-new-error');
    expect(new URL(member.url()).pathname).toBe('/login');
    expect(await axeViolations(member), 'choose a new password').toEqual([]);

    await next.fill(NEW_PASSWORD);
    await member.getByLabel('再次输入新密码').fill(NEW_PASSWORD);
    await member.getByRole('button', { name: '设置新密码' }).click();
    await member.waitForURL(/\/tasks$/, { timeout: 20_000 });
    await member.getByRole('button', { name: '退出' }).waitFor();
    expect((await apiFromPage(member, '/api/me')).body).toMatchObject({ username: USERNAME, role: 'staff', sector: 'housing', regions: [VILLAGE] });

    // ── A rural-house record in the village, from My tasks.
    const card = member.getByRole('article', { name: '农村住宅建筑调查表' });
    await card.waitFor();
    const regionChoice = card.getByLabel('新建记录的区划');
    expect(await regionChoice.locator('option').allInnerTexts()).toEqual([village!.name.zh]);
    await card.getByRole('button', { name: /新建/ }).click();
    await member.waitForURL(new RegExp(`/fill/housing\\.rural-house\\?region=${VILLAGE}&id=[0-9a-f-]{36}$`));
    const recordId = new URL(member.url()).searchParams.get('id')!;
    await member.getByRole('heading', { level: 1, name: '农村住宅建筑调查表' }).waitFor();
    await member.getByLabel('户主姓名').fill('王德顺');
    await member.getByLabel(/^层数/).fill('2');
    await member.getByLabel(/^建成时间/).fill('2006');
    await member.getByLabel(/^建筑面积/).fill('186.4');
    await member.getByLabel(/^结构类型/).selectOption('masonry');
    await member.getByRole('group', { name: /是否进行过抗震加固/ }).getByLabel('否').check();
    await member.getByLabel('纬度').fill('30.5928');
    await member.getByLabel('经度').fill('114.3055');
    await member.getByRole('button', { name: '提交', exact: true }).click();
    await member.getByText('已提交，等待审核。').waitFor();

    // ── What the member's token reaches: the village's records only; another township's progress is refused.
    const mine = await apiFromPage(member, '/api/submissions');
    expect(mine.status).toBe(200);
    const items = mine.body.items as { id: string; regionCode: string; status: string }[];
    expect(items.map((i) => i.id)).toContain(recordId);
    expect(new Set(items.map((i) => i.regionCode))).toEqual(new Set([VILLAGE]));
    const elsewhere = await apiFromPage(member, `/api/progress?region=${OTHER_TOWNSHIP}`);
    expect([403, 404], JSON.stringify(elsewhere.body)).toContain(elsewhere.status);
    expect((await apiFromPage(member, `/api/submissions?regionCode=${OTHER_TOWNSHIP}`)).body.items ?? []).toEqual([]);
    expect((await apiFromPage(member, '/api/members')).status).toBe(403);

    // ── The admin disables the member on the member's page.
    await admin.goto(`${stack.url}/members?sector=housing`);
    await admin.getByRole('link', { name: '刘晓梅' }).click();
    await admin.waitForURL(new RegExp(`/members/${listed!.userId}$`));
    await admin.getByRole('heading', { level: 1, name: /成员：刘晓梅/ }).waitFor();
    await admin.getByRole('button', { name: '停用', exact: true }).click();
    const dialog = admin.getByRole('dialog', { name: '停用 刘晓梅？' });
    await dialog.waitFor();
    await dialog.getByText('立即无法登录', { exact: false }).waitFor();
    await dialog.getByText('已填报的数据保留', { exact: false }).waitFor();
    expect(await admin.evaluate(() => document.activeElement?.textContent?.trim())).toBe('取消');
    expect(await axeViolations(admin), 'member page with the disable dialog').toEqual([]);
    await dialog.getByRole('button', { name: '停用', exact: true }).click();
    await admin.getByText('已停用 刘晓梅。').waitFor();
    await admin.getByRole('heading', { level: 1 }).getByText('已停用').waitFor();
    await admin.getByRole('button', { name: '启用', exact: true }).waitFor();
    // The history, oldest first, names who did it.
    const history = admin.getByRole('region', { name: '变更记录' });
    const rows = history.locator('tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(3);
    const actions = await rows.locator('td:nth-child(3)').allInnerTexts();
    expect(actions[0]).toBe('创建');
    expect(actions).toContain('修改密码');
    expect(actions.at(-1)).toBe('停用');
    expect(await rows.first().locator('td:nth-child(2)').innerText()).toBe('普查办管理员');
    expect(await rows.first().innerText()).toContain(village!.name.zh);
    await screenshot(admin, 'member-disabled');

    // ── The member's next call is refused, and the app sends them to the sign-in page.
    expect((await apiFromPage(member, '/api/me')).status).toBe(401);
    await member.goto(`${stack.url}/submissions`);
    await member.waitForURL(/\/login/);
    // The record they filed is kept.
    expect((await s.admin.get(`/api/submissions/${recordId}`)).body.status).toBe('submitted');
    await ctx.close();
  }, 180_000);

  it('imports members from a spreadsheet: preview with row errors and actions, commit, credential slips shown once', async () => {
    const { stack, page } = s;
    const csv = [
      'username,displayName,role,sector,regions,email,phone',
      'wang.fang,王芳,staff,forestry,420999003001;420999003002,,',
      'zhao.lei,赵磊,reviewer,forestry,420999003000,zhao.lei@example.cn,',
      'Bad User,,staff,,999,,',
      'staff-housing,住建填报员,staff,housing,420999001000,,',
    ].join('\n');
    await page.goto(`${stack.url}/members`);
    await page.getByRole('link', { name: '批量导入' }).click();
    await page.waitForURL(/\/members\/import$/);
    await page.getByLabel('选择人员表（CSV 或 XLSX）').setInputFiles({ name: '人员表.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
    await page.getByRole('button', { name: '上传并检查' }).click();
    await page.getByText('共 4 行：3 行可以导入，1 行有错误。').waitFor();

    // The bad row's problems, by row and column, in Chinese; the others with what will happen to them.
    const errors = page.getByRole('table', { name: '有错误的行（这些行不会导入）' });
    expect(await errors.innerText()).toContain('用户名为 3–64 位小写字母');
    expect(await errors.locator('tbody tr').first().locator('td').first().innerText()).toBe('4');
    const preview = page.getByRole('table', { name: '导入预览' });
    expect(await preview.locator('tr', { hasText: 'wang.fang' }).innerText()).toContain('新建');
    expect(await preview.locator('tr', { hasText: 'wang.fang' }).innerText()).toContain('石桥村');
    expect(await preview.locator('tr', { hasText: 'staff-housing' }).innerText()).toContain('已存在，不变');
    expect(await axeViolations(page), 'import preview').toEqual([]);

    await page.getByRole('button', { name: '确认导入 2 名成员' }).click();
    await page.getByText('导入完成：新建 2 名，未变 1 名，冲突 0 名，失败 0 名。').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: '显示并打印登录单' }).click();
    await page.getByRole('heading', { name: '登录单（共 2 张，仅显示一次）' }).waitFor();
    const slip = page.getByRole('region', { name: /风险普查系统登录单：王芳/ });
    expect(await slip.innerText()).toContain(stack.url);
    expect(await slip.innerText()).toContain('wang.fang');
    expect(await slip.innerText()).toContain('首次登录须修改密码');
    await page.getByRole('button', { name: '打印登录单' }).waitFor();
    await screenshot(page, 'member-import-slips');

    // Served once.
    const id = new URL(page.url()).searchParams.get('import')!;
    expect((await s.admin.get(`/api/members/import/${id}/slips`)).status).toBe(410);
    const created = ((await s.admin.get('/api/members')).body as { username: string; role: string; sector: string }[]).filter((m) => ['wang.fang', 'zhao.lei'].includes(m.username));
    expect(created.map((m) => `${m.username}:${m.role}:${m.sector}`).sort()).toEqual(['wang.fang:staff:forestry', 'zhao.lei:reviewer:forestry']);
  }, 90_000);

  it('shows a reviewer their sector read only, and lets them change their password on My account', async () => {
    const { stack, browser } = s;
    const ctx = await browser.newContext({ locale: 'zh-CN' });
    const page = await signIn(ctx, stack.url, 'reviewer-agriculture');
    await page.goto(`${stack.url}/members`);
    await page.getByRole('heading', { level: 1, name: '本行业成员' }).waitFor();
    await page.locator('tr[data-user="staff-agriculture"]').waitFor();
    expect(await page.locator('tr[data-user="staff-housing"]').count()).toBe(0);
    expect(await page.getByRole('link', { name: '添加成员' }).count()).toBe(0);
    expect(await page.locator('tr[data-user="staff-agriculture"]').getByRole('link').count()).toBe(0);

    await page.getByRole('link', { name: '我的账号' }).click();
    await page.waitForURL(/\/account$/);
    await page.getByRole('heading', { level: 1, name: '我的账号' }).waitFor();
    expect(await page.getByRole('region', { name: '基本信息' }).innerText()).toContain('农业农村·水旱');

    const password = 'the wheat fields turn gold after the summer rain';
    await page.getByLabel('当前密码').fill('not my password');
    await page.getByLabel('新密码', { exact: true }).fill(password);
    await page.getByLabel('再次输入新密码').fill(password);
    await page.getByRole('button', { name: '修改密码' }).click();
    await page.locator('#pw-current-error').getByText('当前密码不正确').waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('group');

    await page.getByLabel('当前密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '修改密码' }).click();
    await page.getByText('密码已修改，其他设备上的登录已退出。').waitFor({ timeout: 20_000 });
    // Signed in again with the new password: the stored token works, the old password does not.
    expect(new URL(page.url()).pathname).toBe('/account');
    expect((await apiFromPage(page, '/api/me')).status).toBe(200);
    expect((await new Client(stack.url).post('/api/auth/login', { username: 'reviewer-agriculture', password: DEMO_PASSWORD })).status).toBe(401);
    await login(stack.url, 'reviewer-agriculture', password);
    await ctx.close();
  }, 90_000);
});
