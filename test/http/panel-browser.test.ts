// /system in real headless Chromium: the CSP lets AdminJS work, nothing leaves the machine, badges and mark-read work.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { TEST_PASSWORD } from '../helpers/fixtures.js';
import { seedPanelWorld, type PanelWorld } from '../helpers/panel-world.js';
import type { RunningApp } from '../helpers/web.js';

describe('panels in Chromium', function () {
  let db: TestDatabase;
  let app: RunningApp;
  let world: PanelWorld;
  let browser: Browser;

  before(async () => {
    const { startWebApp } = await import('../helpers/web.js');
    db = await createTestDatabase();
    world = await seedPanelWorld(db.pool);
    app = await startWebApp(db.pool);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('system panel: login, run list and detail badges, mark a notification read — no page errors, no external requests', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const external: string[] = [];
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      // Chromium asks for /favicon.ico on its own; AdminJS has none.
      if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) problems.push(message.text());
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(app.baseUrl)) external.push(request.url());
    });
    await page.goto(`${app.baseUrl}/system/login`);
    // Our words on the login page, not AdminJS's advertisement.
    expect(await page.locator('text=Atlas Ops · System').count()).to.be.greaterThan(0);
    expect(await page.locator('text=AdminJS').count()).to.equal(0);
    await page.fill('input[name=email]', world.operatorEmails.admin);
    await page.fill('input[name=password]', TEST_PASSWORD);
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(`${app.baseUrl}/system`);
    await page.goto(`${app.baseUrl}/system/resources/operation_runs`);
    await page.waitForSelector('[data-testid="badge-status"]');
    expect(await page.locator('[data-testid="badge-outcome"]').first().innerText()).to.equal('succeeded');
    await page.goto(`${app.baseUrl}/system/resources/operation_runs/records/${world.runId}/show`);
    await page.waitForSelector('[data-testid="badge-outcome"]');
    await page.goto(`${app.baseUrl}/system/resources/notifications/records/${world.notifications.admin}/markRead`);
    await page.click('[data-testid="mark-read"]');
    await page.waitForSelector('text=This notification is read.');
    const { rows } = await db.pool.query<{ read_at: Date | null }>('SELECT read_at FROM notifications WHERE id = $1', [world.notifications.admin]);
    expect(rows[0]?.read_at).to.be.instanceOf(Date);
    expect(problems.filter((problem) => !problem.includes('404 (Not Found)'))).to.deep.equal([]);
    expect(external).to.deep.equal([]);
    await page.close();
  });
});
