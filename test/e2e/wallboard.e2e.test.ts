/**
 * The wallboard in a real headless Chromium (Debian's /usr/bin/chromium via
 * playwright-core; never a downloaded browser): sign in, see the demo agents,
 * watch a row change status after an ingest, alerts, filter, sort.
 *
 * `UPDATE_SCREENSHOT=1 npx vitest run test/e2e/wallboard.e2e.test.ts`
 * refreshes docs/wallboard.png; otherwise the screenshot goes to a temp dir.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../../web/build.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const UPDATE = process.env.UPDATE_SCREENSHOT === '1';
const DEMO = '1000';
/** Waiting for the page to catch up (a guard, not a timing assertion). */
const POLL = { timeout: 20_000, interval: 100 };

if (!HAVE_CHROMIUM) {
  console.warn(`wallboard browser tests skipped: ${CHROMIUM} is not installed (apt-get install chromium; .ci/run installs it)`);
}

describe.skipIf(!HAVE_CHROMIUM)('wallboard in Chromium', () => {
  let s: TestServer;
  let ctx: BrowserContext;
  let page: Page;
  let userDir: string;
  const dataDir = tempDir();
  const env = {
    AGENTVIEW_DEMO: '1',
    AGENTVIEW_DEMO_ACCOUNT: DEMO,
    AGENTVIEW_DEMO_AGENTS: UPDATE ? '400' : '120',
  };
  const pageErrors: string[] = [];

  const ingest = async (events: unknown[]) => {
    const r = await s.call('POST', `/api/account/${DEMO}/events`, { events });
    expect(r.status).toBe(200);
  };
  const statusOf = (id: string) => page.locator(`[data-agent-id="${id}"] [data-col="status"]`);
  const visibleNames = async () => page.locator('[data-agent-id] .agent-name').allTextContents();

  beforeAll(async () => {
    await buildWeb();
    s = await startTestServer(env, { dataDir });
    userDir = mkdtempSync(join(tmpdir(), 'agentview-chromium-'));
    ctx = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1600, height: 1000 },
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.setDefaultTimeout(20_000);
  }, 120_000);

  afterAll(async () => {
    await ctx?.close();
    await s?.stop();
    if (userDir) rmSync(userDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the page with its bundle and a strict content security policy', async () => {
    const res = await fetch(s.url + '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    expect(html).toContain('/assets/app.js');
    expect(html).not.toMatch(/https?:\/\//);
    expect((await fetch(s.url + '/assets/app.js')).status).toBe(200);
    expect((await fetch(s.url + '/assets/..%2Fpackage.json')).status).toBe(404);
  });

  it('refuses a wrong token and a wrong password, then signs in as a user and shows the demo agents', async () => {
    const user = await s.call('POST', `/api/account/${DEMO}/admin/users`, { username: 'supervisor', password: 'wallboard password 1', roles: ['read'] });
    expect(user.status).toBe(201);
    await page.goto(s.url + '/');
    await page.getByRole('tab', { name: 'Access token' }).click();
    await page.fill('input[name=account]', DEMO);
    await page.fill('input[name=token]', 'not-the-right-token-at-all');
    await page.click('button[type=submit]');
    await expect(page.locator('.error').textContent()).resolves.toMatch(/not valid/);

    await page.getByRole('tab', { name: 'User' }).click();
    await page.fill('input[name=account]', DEMO);
    await page.fill('input[name=username]', 'supervisor');
    await page.fill('input[name=password]', 'not the password');
    await page.click('button[type=submit]');
    await expect(page.locator('.error').textContent()).resolves.toMatch(/Wrong account, user name or password/);
    await page.fill('input[name=password]', 'wallboard password 1');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-conn="live"]');
    await page.waitForSelector('[data-agent-id]');
    const online = Number(await page.locator('[data-tile="online"] .tile-value').textContent());
    expect(online).toBeGreaterThan(0);
    // Virtualised: far fewer rows in the DOM than agents listed.
    const shown = Number(await page.locator('[data-shown]').getAttribute('data-shown'));
    expect(shown).toBeGreaterThan(40);
    expect(await page.locator('[data-agent-id]').count()).toBeLessThan(shown);
    // The simulator's first agent (seeded, logged in at start), found by search.
    await page.fill('input[name=search]', 'maya levi');
    await page.waitForSelector('[data-agent-id="1001"]');
    expect(await page.locator('[data-agent-id="1001"] .agent-name').textContent()).toBe('Maya Levi');
    expect(await page.locator('[data-agent-id="1001"] [data-col="group"]').textContent()).toBe('Billing');
    await page.fill('input[name=search]', '');
  }, 60_000);

  it('updates a row when its agent changes status, and shows the alert it raises', async () => {
    const rule = await s.call('POST', `/api/account/${DEMO}/admin/alert-rules`, { kind: 'status-duration', status: 'AWAY', reasonId: 'e2e', minutes: 0 });
    expect(rule.status).toBe(201);
    await ingest([
      { type: 'agent.upserted', agentId: 'e2e-1', name: 'Aaron Watcher', groupId: 10, skillIds: ['1'], maxSlots: 4 },
      { type: 'agent.loggedIn', agentId: 'e2e-1' },
    ]);
    await page.fill('input[name=search]', 'Watcher');
    await page.waitForSelector('[data-agent-id="e2e-1"] [data-status="ONLINE"]');
    await ingest([{ type: 'agent.statusChanged', agentId: 'e2e-1', status: 'AWAY', reasonId: 'e2e' }]);
    await page.waitForSelector('[data-agent-id="e2e-1"] [data-status="AWAY"]');
    expect(await statusOf('e2e-1').textContent()).toContain('Away· e2e');
    await page.waitForSelector(`[data-alert="${rule.body.id}:e2e-1"]`);
    expect(await page.locator(`[data-alert="${rule.body.id}:e2e-1"]`).textContent()).toContain('Aaron Watcher is AWAY (reason e2e)');
    await ingest([{ type: 'conversation.assigned', agentId: 'e2e-1', conversationId: 'e2e-c1' }]);
    await expect.poll(() => page.locator('[data-agent-id="e2e-1"] .load-text').textContent(), POLL).toBe('25%');
  }, 60_000);

  it('filters by text, status and group', async () => {
    expect(await page.locator('[data-agent-id]').count()).toBe(1);
    await page.fill('input[name=search]', '');
    await page.click('[data-filter-status="AWAY"]');
    const statuses = () => page.locator('[data-col="status"]').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-status')))]);
    await expect.poll(statuses, POLL).toEqual(['AWAY']);
    await page.click('[data-filter-status="AWAY"]');
    await page.selectOption('select[name=group]', '20');
    await expect.poll(async () => [...new Set(await page.locator('[data-col="group"]').allTextContents())], POLL).toEqual(['Sales']);
    await page.selectOption('select[name=group]', '');
  });

  it('sorts by column, both ways', async () => {
    await page.click('[data-sort="name"]');
    await page.waitForSelector('[data-sort="name"][aria-pressed="true"]');
    const asc = await visibleNames();
    expect(asc.length).toBeGreaterThan(5);
    expect(asc[0]).toBe('Aaron Watcher');
    const lower = (xs: string[]) => xs.map((x) => x.toLowerCase());
    expect(lower(asc)).toEqual([...lower(asc)].sort());
    await page.click('[data-sort="name"]');
    await expect.poll(async () => (await visibleNames())[0], POLL).not.toBe('Aaron Watcher');
    const desc = await visibleNames();
    expect(lower(desc)).toEqual([...lower(desc)].sort().reverse());
    await page.click('[data-sort="load"]');
    await page.waitForSelector('[data-sort="load"][aria-pressed="true"]');
    const loads = (await page.locator('[data-agent-id] .load-text').allTextContents()).map((t) => Number(t.replace('%', '')));
    expect(loads).toEqual([...loads].sort((a, b) => b - a));
  });

  it('reconnects by itself when the server restarts', async () => {
    const port = new URL(s.url).port;
    await s.stop();
    await page.waitForSelector('[data-conn="reconnecting"]');
    s = await startTestServer({ ...env, PORT: port }, { dataDir });
    await page.waitForSelector('[data-conn="live"]');
    await page.fill('input[name=search]', 'Watcher');
    await ingest([{ type: 'agent.statusChanged', agentId: 'e2e-1', status: 'BACK_SOON' }]);
    await page.waitForSelector('[data-agent-id="e2e-1"] [data-status="BACK_SOON"]');
    await page.fill('input[name=search]', '');
  }, 60_000);

  it('extends its Login API session before it expires', async () => {
    type Storage = { sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } };
    const read = () => page.evaluate(() => (globalThis as unknown as Storage).sessionStorage.getItem('agentview.session'));
    const saved = JSON.parse((await read()) ?? '{}') as { expiresAt?: number; csrf?: string };
    expect(saved.csrf).toBeTypeOf('string');
    expect(saved.expiresAt).toBeGreaterThan(Date.now());
    // Pretend the session ends in 6 s; after a reload the page must refresh it.
    const soon = Date.now() + 6_000;
    await page.evaluate((at) => {
      const st = (globalThis as unknown as Storage).sessionStorage;
      st.setItem('agentview.session', JSON.stringify({ ...(JSON.parse(st.getItem('agentview.session') ?? '{}') as object), expiresAt: at }));
    }, soon);
    await page.reload();
    await page.waitForSelector('[data-conn="live"]');
    await expect.poll(async () => (JSON.parse((await read()) ?? '{}') as { expiresAt?: number }).expiresAt ?? 0, POLL).toBeGreaterThan(soon + 30_000);
  }, 60_000);

  it('signs out, revoking the session', async () => {
    const saved = await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('agentview.session'));
    const bearer = (JSON.parse(saved ?? '{}') as { token?: string }).token;
    expect(bearer).toMatch(/^[0-9a-f]{64}$/);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForSelector('input[name=username]');
    await expect
      .poll(async () => (await fetch(`${s.url}/api/account/${DEMO}/agent-view/alerts`, { headers: { authorization: `Bearer ${bearer}` } })).status, POLL)
      .toBe(401);
    // Back in for the screenshot.
    await page.fill('input[name=account]', DEMO);
    await page.fill('input[name=username]', 'supervisor');
    await page.fill('input[name=password]', 'wallboard password 1');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-conn="live"]');
  }, 60_000);

  it('takes a screenshot', async () => {
    if (UPDATE) {
      // For the docs: an active alert, and a few points on the chart.
      await ingest([{ type: 'agent.statusChanged', agentId: 'e2e-1', status: 'AWAY', reasonId: 'e2e' }]);
      await page.waitForTimeout(25_000);
    }
    const file = UPDATE ? fileURLToPath(new URL('../../docs/wallboard.png', import.meta.url)) : join(userDir, 'wallboard.png');
    await page.screenshot({ path: file });
    const png = readFileSync(file);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
