// The operator's whole journey in real Chromium, as ops-admin on the demo data with a real worker: runbooks →
// single tenant → search and pick → preflight (= the database) → run with a reason → toast → run detail until
// completed → run history → notification read. Screenshots of each screen go to test-artifacts/ui/.
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import type { Pool } from '../../src/db/pool.js';
import { DEMO_PASSWORD, seedDemoData } from '../../src/seed/demo.js';
import { launchBrowser, screenshot, signedInPage, type WatchedPage } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitUntil, type TestEngine } from '../helpers/engine.js';
import { insertTenant } from '../helpers/fixtures.js';
import { duplicateGroupsSql, ruleConditions } from '../helpers/fixtures-seed-rules.js';
import type { RunningApp } from '../helpers/web.js';

const ADMIN = 'ops-admin@atlas.test';
const TENANT = 'globex-labs';
const XSS_REASON = 'Ticket OPS-42 <img src=x onerror="window.__xss=1"><script>window.__xss=2</script> rebuild';

/** What the preflight should show for one tenant, computed from the spec's rule conditions, not the runbook's SQL. */
async function expectedCounts(pool: Pool, tenantId: number): Promise<Record<string, number>> {
  const expected: Record<string, number> = {};
  for (const [rule, condition] of Object.entries(ruleConditions)) {
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM findings f WHERE f.tenant_id = $1 AND (${condition})`, [tenantId]);
    expected[rule.toLowerCase()] = rows[0]?.n ?? -1;
  }
  const groups = await pool.query<{ size: number }>(duplicateGroupsSql(`f.tenant_id = ${Number(tenantId)}`));
  expected.r9 = groups.rows.reduce((sum, row) => sum + row.size - 1, 0);
  expected.groups = groups.rowCount ?? 0;
  const total = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM findings WHERE tenant_id = $1', [tenantId]);
  expected.total = total.rows[0]?.n ?? -1;
  return expected;
}

async function dataValue(page: Page, selector: string): Promise<number> {
  return Number(await page.locator(selector).getAttribute('data-value'));
}

describe('operator journey in Chromium (ops-admin, real worker)', function () {
  let db: TestDatabase;
  let engine: TestEngine;
  let app: RunningApp;
  let browser: Browser;
  let admin: WatchedPage;
  let tenantId: number;
  let preflightShown: Record<string, number> = {};
  let runId = 0;

  before(async () => {
    // Lazily, like the web app: the engine's runbook service must share the app's module instances (its typed
    // errors are mapped to HTTP statuses with instanceof).
    const { startWebApp } = await import('../helpers/web.js');
    const { startTestEngine } = await import('../helpers/engine.js');
    db = await createTestDatabase();
    await seedDemoData(db.pool);
    const { rows } = await db.pool.query<{ id: number; workspace_id: number }>('SELECT id, workspace_id FROM tenants WHERE external_id = $1', [TENANT]);
    tenantId = rows[0]?.id ?? 0;
    // A tenant whose name is markup: the picker must show it as text.
    await insertTenant(db.pool, { workspace_id: rows[0]?.workspace_id ?? 0, external_id: 'globex-markup', name: '<b onmouseover="window.__xss=3">Globex Markup</b>' });
    // Slow every UPDATE statement on findings a little, so the run detail page sees the run before it completes.
    await db.pool.query(`CREATE FUNCTION ui_test_slow_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END $$`);
    await db.pool.query('CREATE TRIGGER ui_test_slow_update AFTER UPDATE ON findings FOR EACH STATEMENT EXECUTE FUNCTION ui_test_slow_update()');
    engine = await startTestEngine(db.url, db.pool, { batchSize: 50 });
    app = await startWebApp(db.pool, { runbooks: engine.runbooks });
    browser = await launchBrowser();
    admin = await signedInPage(browser, app.baseUrl, ADMIN, DEMO_PASSWORD);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await engine?.stop();
  });

  it('home: links to the three screens and the unread count (none yet)', async () => {
    const { page } = admin;
    await page.waitForSelector('[data-testid=home-unread][data-unread="0"]');
    expect(await page.locator('[data-testid=home-runbooks] a').getAttribute('href')).to.equal('/system/ops/runbooks');
    expect(await page.locator('[data-testid=home-runs] a').getAttribute('href')).to.equal('/system/ops/runs');
    await screenshot(page, 'home');
  });

  it('runbooks: choosing single tenant reveals the picker at once; search by name and by external id, never the platform tenant', async () => {
    const { page } = admin;
    const loaded = Date.now();
    await page.goto(`${app.baseUrl}/system/ops/runbooks`);
    await page.waitForSelector('[data-testid=runbook-card][data-runbook="findings.lifecycle.backfill"]');
    console.log(`      runbooks screen ready in ${Date.now() - loaded} ms`);
    expect(await page.locator('[data-testid=last-run]').innerText()).to.contain('never');
    expect(await page.locator('[data-testid=tenant-picker]').count()).to.equal(0);
    expect(await page.locator('[data-testid=preflight]').isDisabled()).to.equal(true);
    await page.check('[data-testid=scope-single_tenant]');
    await page.waitForSelector('[data-testid=tenant-picker]');

    await page.fill('[data-testid=tenant-search]', 'Europe');
    await page.waitForSelector('[data-testid=tenant-option][data-external-id="acme-eu"]');
    expect(await page.locator('[data-testid=tenant-option]').count()).to.equal(1);

    await page.fill('[data-testid=tenant-search]', 'platform');
    await page.waitForSelector('[data-testid=tenant-results] >> text=No tenant matches');
    expect(await page.locator('[data-testid=tenant-option]').count()).to.equal(0);

    await page.fill('[data-testid=tenant-search]', 'markup');
    await page.waitForSelector('[data-testid=tenant-option][data-external-id="globex-markup"]');
    expect(await page.locator('[data-testid=tenant-option]').innerText()).to.contain('<b onmouseover="window.__xss=3">Globex Markup</b>');
    await page.hover('[data-testid=tenant-option]');

    await page.fill('[data-testid=tenant-search]', 'lobex-lab');
    await page.waitForSelector(`[data-testid=tenant-option][data-external-id="${TENANT}"]`);
    await screenshot(page, 'runbooks-tenant-picker');
    await page.click(`[data-testid=tenant-option][data-external-id="${TENANT}"]`);
    expect(await page.locator('[data-testid=tenant-selected]').innerText()).to.contain('Globex Labs');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss ?? null)).to.equal(null);
  });

  it('preflight: per-rule counts, tenants and findings in scope equal the database; no Run before it', async () => {
    const { page } = admin;
    expect(await page.locator('[data-testid=run-form]').count()).to.equal(0);
    await page.click('[data-testid=preflight]');
    await page.waitForSelector('[data-testid=preflight-result]');
    const expected = await expectedCounts(db.pool, tenantId);
    expect(await dataValue(page, '[data-testid=preflight-tenants] [data-value]')).to.equal(1);
    expect(await dataValue(page, '[data-testid=preflight-findings-total] [data-value]')).to.equal(expected.total);
    expect(await dataValue(page, '[data-testid=preflight-duplicate-groups] [data-value]')).to.equal(expected.groups);
    const rows = await page.locator('[data-testid=preflight-rule]').evaluateAll((elements) =>
      elements.map((element) => [element.getAttribute('data-rule') ?? '', Number(element.getAttribute('data-count'))] as const),
    );
    expect(rows.map(([key]) => key.split('_')[0])).to.deep.equal(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9']);
    const shown = Object.fromEntries(rows.map(([key, count]) => [key.split('_')[0] ?? key, count]));
    for (const rule of ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9']) expect(shown[rule], rule).to.equal(expected[rule]);
    expect(Object.values(shown).some((count) => count > 0)).to.equal(true);
    preflightShown = { ...shown, total: expected.total ?? -1, changed: await dataValue(page, '[data-testid=preflight-findings-changed] [data-value]') };
    // Preflight is read-only: nothing queued.
    const runs = await db.pool.query('SELECT 1 FROM operation_runs');
    expect(runs.rowCount).to.equal(0);
    await page.waitForSelector('[data-testid=run-form]');
    await screenshot(page, 'runbooks-preflight');
  });

  it('run form: the reason rule shows live; a valid reason starts one run; the toast says "Run #N queued" and links to it', async () => {
    const { page } = admin;
    const start = page.locator('[data-testid=start-run]');
    expect(await start.isDisabled()).to.equal(true);
    await page.fill('[data-testid=reason]', '  abc  ');
    expect(await page.locator('[data-testid=reason-rule]').innerText()).to.equal('At least 5 characters (3 so far).');
    expect(await start.isDisabled()).to.equal(true);
    await page.fill('[data-testid=reason]', 'x'.repeat(501));
    expect(await page.locator('[data-testid=reason-rule]').innerText()).to.equal('At most 500 characters (501 now).');
    expect(await start.isDisabled()).to.equal(true);
    await page.fill('[data-testid=reason]', XSS_REASON);
    expect(await start.isEnabled()).to.equal(true);
    await screenshot(page, 'runbooks-run-form');
    await start.click();
    const toast = page.locator('[data-testid=run-toast]');
    await toast.waitFor();
    const { rows } = await db.pool.query<{ id: number; reason: string; source: string; scope: string; tenant_id: number; idempotency_key: string }>(
      'SELECT id, reason, source, scope, tenant_id, idempotency_key FROM operation_runs',
    );
    expect(rows).to.have.length(1);
    runId = rows[0]?.id ?? 0;
    expect(rows[0]).to.include({ reason: XSS_REASON, source: 'system_ui', scope: 'single_tenant', tenant_id: tenantId });
    expect(rows[0]?.idempotency_key).to.match(/^ui-[0-9a-f]{32}$/);
    expect(await toast.innerText()).to.contain(`Run #${runId} queued`);
    expect(await page.locator('[data-testid=run-toast-link]').getAttribute('href')).to.equal(`/system/ops/runs/${runId}`);
    // The form closed with the run: the next run needs a new preflight.
    expect(await page.locator('[data-testid=run-form]').count()).to.equal(0);
    await screenshot(page, 'runbooks-toast', false);
  });

  it('run detail: the toast link opens it; progress reaches 100% without a reload, outcome succeeded, counts = preflight', async () => {
    const { page } = admin;
    await page.evaluate(() => {
      (window as unknown as { __sameDocument?: boolean }).__sameDocument = true;
    });
    await page.click('[data-testid=run-toast-link]');
    await page.waitForURL(`${app.baseUrl}/system/ops/runs/${runId}`);
    await page.waitForSelector(`[data-testid=run-detail][data-run-id="${runId}"]`);
    // First seen while active: partial progress and an ETA that is not negative.
    expect(await page.locator('[data-testid=detail-status] [data-testid=run-status]').getAttribute('data-value')).to.be.oneOf(['queued', 'running']);
    expect(await dataValue(page, '[data-testid=progress-findings]')).to.be.within(0, 99);
    const timing = await page.locator('[data-testid=progress-timing]').innerText();
    expect(timing).to.match(/refreshing every 2 s/);
    expect(timing).to.not.contain('-');
    await screenshot(page, 'run-detail-running');
    await page.waitForSelector('[data-testid=detail-status] [data-testid=run-status][data-value=completed]', { timeout: 30_000 });
    expect(Number(await page.locator('[data-testid=run-detail]').getAttribute('data-polls'))).to.be.greaterThan(1);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).to.equal(true);
    expect(await page.locator('[data-testid=detail-status] [data-testid=run-outcome]').getAttribute('data-value')).to.equal('succeeded');
    expect(await dataValue(page, '[data-testid=progress-tenants]')).to.equal(100);
    expect(await dataValue(page, '[data-testid=progress-findings]')).to.equal(100);
    expect(await page.locator('[data-testid=progress-timing]').innerText()).to.contain('finished');
    const counts = await page.locator('[data-testid=count-row]').evaluateAll((elements) =>
      Object.fromEntries(elements.map((element) => [element.getAttribute('data-key') ?? '', Number(element.getAttribute('data-count'))])),
    );
    for (const rule of ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9']) {
      const key = Object.keys(counts).find((candidate) => candidate.startsWith(`${rule}_`)) ?? rule;
      expect(counts[key], rule).to.equal(preflightShown[rule]);
    }
    expect(counts.findings_total).to.equal(preflightShown.total);
    expect(counts.findings_changed).to.equal(preflightShown.changed);
    expect(await page.locator('[data-testid=detail-scope]').innerText()).to.contain(`Globex Labs (${TENANT})`);
    expect(await page.locator('[data-testid=detail-initiator]').innerText()).to.contain(ADMIN);
    // The reason's markup is text: visible as typed, and none of it ran.
    expect(await page.locator('[data-testid=run-reason]').innerText()).to.equal(XSS_REASON);
    expect(await page.locator('[data-testid=run-reason] img, [data-testid=run-reason] script').count()).to.equal(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss ?? null)).to.equal(null);
    const actions = await page.locator('[data-testid=audit-row]').evaluateAll((elements) => elements.map((element) => element.getAttribute('data-action')));
    expect(actions[0]).to.equal('run.started');
    expect(actions).to.include('run.completed');
    // Nothing left for the row rules to do on that tenant.
    for (const [rule, condition] of Object.entries(ruleConditions)) {
      const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM findings f WHERE f.tenant_id = $1 AND (${condition})`, [tenantId]);
      expect(rows[0]?.n, rule).to.equal(0);
    }
    await page.click('[data-testid=run-context] summary');
    expect(await page.locator('[data-testid=run-context] pre').innerText()).to.contain('"preflight"');
    await screenshot(page, 'run-detail-completed');
  });

  it('run history: the run is listed with its badges, tenant name, initiator and source; filters narrow the list', async () => {
    const { page } = admin;
    const loaded = Date.now();
    await page.goto(`${app.baseUrl}/system/ops/runs`);
    await page.waitForSelector(`[data-testid=run-row][data-run-id="${runId}"]`);
    console.log(`      run history ready in ${Date.now() - loaded} ms`);
    const row = page.locator(`[data-testid=run-row][data-run-id="${runId}"]`);
    expect(await row.locator('[data-testid=run-status]').getAttribute('data-value')).to.equal('completed');
    expect(await row.locator('[data-testid=run-outcome]').getAttribute('data-value')).to.equal('succeeded');
    const text = await row.innerText();
    for (const part of ['Rebuild Findings Lifecycle', 'Globex Labs (globex-labs)', ADMIN, 'System panel']) expect(text).to.contain(part);
    const colours = await page.evaluate(() =>
      ['completed', 'succeeded'].map((value) => getComputedStyle(document.querySelector(`[data-value="${value}"]`) as Element).backgroundColor),
    );
    expect(colours[0]).to.not.equal(colours[1]);
    await screenshot(page, 'run-history');
    await page.selectOption('[data-testid=filter-outcome]', 'failed');
    await page.waitForSelector('[data-testid=runs-total][data-total="0"]');
    await page.selectOption('[data-testid=filter-outcome]', 'succeeded');
    await page.fill('[data-testid=filter-initiator]', 'ops-admin');
    await page.waitForSelector(`[data-testid=runs-total][data-total="1"]`);
    expect(await page.locator('[data-testid=run-row]').count()).to.equal(1);
    // The filters live in the address: it can be shared and reloaded.
    await page.waitForURL((url) => url.searchParams.get('outcome') === 'succeeded' && url.searchParams.get('initiator') === 'ops-admin');
    await page.goto(`${app.baseUrl}/system/ops/runs?outcome=failed`);
    await page.waitForSelector('[data-testid=runs-total][data-total="0"]');
    expect(await page.locator('[data-testid=filter-outcome]').inputValue()).to.equal('failed');
    // An address with a filter that makes no sense says so instead of silently showing everything as if filtered.
    await page.goto(`${app.baseUrl}/system/ops/runs?status=bogus`);
    expect(await page.locator('[data-testid=ignored-filters]').innerText()).to.contain('status=bogus');
  });

  it('notifications: the unread count shows in the sidebar and on the home page; opening one marks it read and shows the run', async () => {
    const { page } = admin;
    const { rows } = await db.pool.query<{ id: number; read_at: Date | null }>('SELECT id, read_at FROM notifications WHERE run_id = $1', [runId]);
    expect(rows).to.have.length(1);
    expect(rows[0]?.read_at).to.equal(null);
    await page.goto(`${app.baseUrl}/system`);
    await page.waitForSelector('[data-testid=home-unread][data-unread="1"]');
    await page.waitForSelector('text=Notifications (1 unread)');
    await page.click('text=Notifications (1 unread)');
    await page.waitForURL(`${app.baseUrl}/system/ops/notifications`);
    await page.waitForSelector('[data-testid=notifications-unread][data-unread="1"]');
    const notification = page.locator(`[data-testid=notification-row][data-notification-id="${rows[0]?.id}"]`);
    expect(await notification.getAttribute('data-read')).to.equal('false');
    expect(await notification.locator('[data-testid=run-outcome]').getAttribute('data-value')).to.equal('succeeded');
    await screenshot(page, 'notifications');
    await notification.locator('[data-testid=notification-open]').click();
    await page.waitForURL(`${app.baseUrl}/system/ops/runs/${runId}`);
    await waitUntil(async () => {
      const { rows: now } = await db.pool.query<{ read_at: Date | null }>('SELECT read_at FROM notifications WHERE id = $1', [rows[0]?.id]);
      return now[0]?.read_at ?? null;
    }, 5000, 'notification read');
    await page.waitForFunction(() => !document.body.innerText.includes('Notifications (1 unread)'));
  });

  it('/admin shares the components bundle but shows no operator section and calls no operator API', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const calls: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => calls.push(new URL(request.url()).pathname));
    page.on('pageerror', (error) => problems.push(String(error)));
    await page.goto(`${app.baseUrl}/admin/login`);
    await page.fill('input[name=email]', 'owner@acme.test');
    await page.fill('input[name=password]', DEMO_PASSWORD);
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(`${app.baseUrl}/admin`);
    // The customer's own start page, not AdminJS's welcome board.
    await page.waitForSelector('[data-testid=admin-home]');
    expect(await page.locator('text="Your workspace"').count()).to.equal(1);
    expect(await page.locator('text=AdminJS').count()).to.equal(0);
    await page.goto(`${app.baseUrl}/admin/resources/findings`);
    await page.waitForSelector('[data-css="findings-table"], table');
    expect(await page.locator('text=Run history').count()).to.equal(0);
    expect(calls.filter((path) => path.startsWith('/system'))).to.deep.equal([]);
    expect(problems).to.deep.equal([]);
    await context.close();
  });

  it('offline: no page made a request outside the app, and no page error happened', async () => {
    expect(admin.external).to.deep.equal([]);
    expect(admin.problems).to.deep.equal([]);
  });
});
