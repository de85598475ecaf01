// The guard rails of the operator screens in real Chromium, with runs held active (pg-boss without a worker, so a
// started run stays queued): the typed phrase, one run per double click, the lock conflict, server-side field
// errors, polling cadence and Cancel on the run detail, and what ops-viewer may not do.
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PASSWORD, seedDemoData } from '../../src/seed/demo.js';
import { launchBrowser, screenshot, signedInPage, type WatchedPage } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import type { TestEngine } from '../helpers/engine.js';
import type { RunningApp } from '../helpers/web.js';

const RUNBOOK = 'findings.lifecycle.backfill';
const PHRASE = 'BACKFILL ALL TENANTS';

async function preflightAllTenants(page: Page, baseUrl: string): Promise<void> {
  if (!page.url().endsWith('/system/ops/runbooks')) await page.goto(`${baseUrl}/system/ops/runbooks`);
  await page.check('[data-testid=scope-all_tenants]');
  await page.click('[data-testid=preflight]');
  await page.waitForSelector('[data-testid=preflight-result]');
}

async function runCount(db: TestDatabase): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM operation_runs');
  return rows[0]?.n ?? -1;
}

describe('run controls in Chromium (runs held queued: no worker)', function () {
  let db: TestDatabase;
  let engine: TestEngine;
  let app: RunningApp;
  let browser: Browser;
  let admin: WatchedPage;
  let firstRunId = 0;

  before(async () => {
    // Lazily, like the web app: the engine's runbook service must share the app's module instances (its typed
    // errors are mapped to HTTP statuses with instanceof).
    const { startWebApp } = await import('../helpers/web.js');
    const { startTestEngine } = await import('../helpers/engine.js');
    db = await createTestDatabase();
    await seedDemoData(db.pool);
    engine = await startTestEngine(db.url, db.pool, { worker: false });
    app = await startWebApp(db.pool, { runbooks: engine.runbooks });
    browser = await launchBrowser();
    admin = await signedInPage(browser, app.baseUrl, 'ops-admin@atlas.test', DEMO_PASSWORD);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await engine?.stop();
  });

  it('all tenants: the Run button stays disabled until the phrase matches exactly; a double click starts one run', async () => {
    const { page } = admin;
    await preflightAllTenants(page, app.baseUrl);
    const { rows: tenants } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM tenants WHERE external_id <> 'platform'");
    expect(Number(await page.locator('[data-testid=preflight-tenants] [data-value]').getAttribute('data-value'))).to.equal(tenants[0]?.n);
    const start = page.locator('[data-testid=start-run]');
    await page.fill('[data-testid=reason]', 'Quarterly lifecycle backfill, ticket OPS-7');
    expect(await start.isDisabled()).to.equal(true);
    for (const wrong of ['backfill all tenants', 'BACKFILL ALL TENANT', ' BACKFILL ALL TENANTS', 'BACKFILL  ALL TENANTS']) {
      await page.fill('[data-testid=confirmation]', wrong);
      expect(await start.isDisabled(), wrong).to.equal(true);
    }
    await page.fill('[data-testid=confirmation]', PHRASE);
    expect(await start.isEnabled()).to.equal(true);
    await screenshot(page, 'runbooks-all-tenants-confirm');
    await start.dblclick();
    await page.waitForSelector('[data-testid=run-toast]');
    expect(await runCount(db)).to.equal(1);
    const { rows } = await db.pool.query<{ id: number; scope: string; status: string }>('SELECT id, scope, status FROM operation_runs');
    firstRunId = rows[0]?.id ?? 0;
    expect(rows[0]).to.include({ scope: 'all_tenants', status: 'queued' });
    const audit = await db.pool.query("SELECT 1 FROM audit_logs WHERE action = 'run.started'");
    expect(audit.rowCount).to.equal(1);
    expect(await page.locator('[data-testid=run-toast]').innerText()).to.contain(`Run #${firstRunId} queued`);
  });

  it('a second start while the first is active shows the conflict naming the active run, with a link; nothing is created', async () => {
    const { page } = admin;
    await preflightAllTenants(page, app.baseUrl);
    await page.fill('[data-testid=reason]', 'Second attempt while the first is queued');
    await page.fill('[data-testid=confirmation]', PHRASE);
    await page.click('[data-testid=start-run]');
    const conflict = page.locator('[data-testid=run-conflict]');
    await conflict.waitFor();
    expect(await conflict.innerText()).to.contain(`#${firstRunId}`);
    expect(await page.locator('[data-testid=run-conflict-link]').getAttribute('href')).to.equal(`/system/ops/runs/${firstRunId}`);
    expect(await runCount(db)).to.equal(1);
    // The button is usable again (nothing is stuck in "Starting…").
    expect(await page.locator('[data-testid=start-run]').isEnabled()).to.equal(true);
    await screenshot(page, 'runbooks-conflict');
    await page.click('[data-testid=run-conflict-link]');
    await page.waitForURL(`${app.baseUrl}/system/ops/runs/${firstRunId}`);
    await page.waitForSelector(`[data-testid=run-detail][data-run-id="${firstRunId}"]`);
    expect(await page.locator('[data-testid=detail-status] [data-testid=run-status]').getAttribute('data-value')).to.equal('queued');
  });

  it('a field error from the server is shown next to that field, and nothing starts', async () => {
    const { page } = admin;
    await page.goto(`${app.baseUrl}/system/ops/runbooks`);
    await page.check('[data-testid=scope-single_tenant]');
    await page.fill('[data-testid=tenant-search]', 'umbrella-ops');
    await page.click('[data-testid=tenant-option][data-external-id="umbrella-ops"]');
    await page.click('[data-testid=preflight]');
    await page.waitForSelector('[data-testid=run-form]');
    await page.fill('[data-testid=reason]', 'A reason the browser accepts');
    // What a client that skips the browser checks would send: the server is the authority.
    await page.route('**/system/ops/api/runbooks/*/runs', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}') as Record<string, unknown>;
      await route.continue({ postData: JSON.stringify({ ...body, reason: '  abc  ' }) });
    });
    await page.click('[data-testid=start-run]');
    await page.waitForSelector('[data-testid=reason-error]');
    expect(await page.locator('[data-testid=reason-error]').innerText()).to.equal('The reason must be at least 5 characters long.');
    await page.unroute('**/system/ops/api/runbooks/*/runs');
    // umbrella-ops overlaps the queued all-tenants run; the point is that the 400 came first and created nothing.
    expect(await runCount(db)).to.equal(1);
  });

  it('run detail polls at most every 2 s while active, Cancel asks first, and polling stops once the run is terminal', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    // Frozen time: the page's timers fire only when the test moves the clock.
    const frozenAt = Date.now();
    await context.clock.install({ time: frozenAt });
    await context.clock.pauseAt(frozenAt + 1000);
    const page = await context.newPage();
    const polls: number[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith(`/system/ops/api/runs/${firstRunId}`)) polls.push(Date.now());
    });
    await page.goto(`${app.baseUrl}/system/login`);
    await page.fill('input[name=email]', 'ops-admin@atlas.test');
    await page.fill('input[name=password]', DEMO_PASSWORD);
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(`${app.baseUrl}/system`);
    await page.goto(`${app.baseUrl}/system/ops/runs/${firstRunId}`);
    await page.waitForSelector('[data-testid=run-detail][data-polls="1"]');
    expect(polls).to.have.length(1);
    await context.clock.runFor(1999);
    expect(polls).to.have.length(1);
    await context.clock.runFor(1);
    await page.waitForSelector('[data-testid=run-detail][data-polls="2"]');
    await context.clock.runFor(2000);
    await page.waitForSelector('[data-testid=run-detail][data-polls="3"]');
    expect(polls).to.have.length(3);

    await page.click('[data-testid=cancel-run]');
    await page.waitForSelector('[data-testid=confirm-cancel]');
    await screenshot(page, 'run-detail-cancel-confirm', false);
    await page.click('[data-testid=keep-running]');
    expect(await page.locator('[data-testid=confirm-cancel]').count()).to.equal(0);
    const stillActive = await db.pool.query<{ cancel_requested_at: Date | null }>('SELECT cancel_requested_at FROM operation_runs WHERE id = $1', [firstRunId]);
    expect(stillActive.rows[0]?.cancel_requested_at).to.equal(null);

    await page.click('[data-testid=cancel-run]');
    await page.click('[data-testid=confirm-cancel]');
    await page.waitForSelector('[data-testid=detail-status] [data-testid=run-outcome][data-value=cancelled]');
    const { rows } = await db.pool.query<{ status: string; outcome: string; cancelled_by: string }>('SELECT status, outcome, cancelled_by FROM operation_runs WHERE id = $1', [firstRunId]);
    expect(rows[0]).to.deep.equal({ status: 'completed', outcome: 'cancelled', cancelled_by: 'ops-admin@atlas.test' });
    expect(await page.locator('[data-testid=cancel-run]').count()).to.equal(0);
    const actions = await page.locator('[data-testid=audit-row]').evaluateAll((elements) => elements.map((element) => element.getAttribute('data-action')));
    expect(actions).to.include('run.cancel_requested');
    await screenshot(page, 'run-detail-cancelled');
    const settled = polls.length;
    await context.clock.runFor(20_000);
    expect(polls.length).to.equal(settled);
    await context.close();
  });

  it('ops-viewer sees runbooks and preflight but no Run button nor Cancel, and the start endpoint answers 403', async () => {
    const viewer = await signedInPage(browser, app.baseUrl, 'ops-viewer@atlas.test', DEMO_PASSWORD);
    const { page } = viewer;
    await preflightAllTenants(page, app.baseUrl);
    await page.waitForSelector('[data-testid=run-not-allowed]');
    expect(await page.locator('[data-testid=run-form]').count()).to.equal(0);
    expect(await page.locator('[data-testid=start-run]').count()).to.equal(0);
    await screenshot(page, 'runbooks-viewer');
    const answer = await page.evaluate(async (key) => {
      const response = await fetch(`/system/ops/api/runbooks/${key}/runs`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ scope: 'all_tenants', reason: 'viewer tries anyway', confirmation: 'BACKFILL ALL TENANTS', idempotencyKey: 'viewer-try-1' }),
      });
      return { status: response.status, body: (await response.json()) as { error?: { status?: number } } };
    }, RUNBOOK);
    expect(answer.status).to.equal(403);
    expect(answer.body.error?.status).to.equal(403);
    expect(await runCount(db)).to.equal(1);
    await page.goto(`${app.baseUrl}/system/ops/runs/${firstRunId}`);
    await page.waitForSelector(`[data-testid=run-detail][data-run-id="${firstRunId}"]`);
    expect(await page.locator('[data-testid=cancel-run]').count()).to.equal(0);
    expect(viewer.external).to.deep.equal([]);
    await viewer.context.close();
  });

  it('offline: no page made a request outside the app, and no page error happened', async () => {
    expect(admin.external).to.deep.equal([]);
    // The conflict (409) and the forced 400 are logged by Chromium as failed resources; nothing else may be.
    expect(admin.problems.filter((problem) => !/status of (409|400)/.test(problem))).to.deep.equal([]);
  });
});
