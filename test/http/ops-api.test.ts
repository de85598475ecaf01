// The operator JSON API over real HTTP: every endpoint, success and error answers, each validated against
// docs/openapi.yaml, and the document itself validated as OpenAPI 3.1.
import { expect } from 'chai';
import { Validator } from '@seriousme/openapi-schema-validator';
import { capabilities } from '../../src/auth/capabilities.js';
import { orchestrateRun, runTenantJob } from '../../src/runs/run-executor.js';
import { listItems } from '../../src/runs/runs.repository.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { insertOperator, insertPlatform, startTestEngine, type TestEngine } from '../helpers/engine.js';
import { insertFinding, insertTenant, insertUser, insertWorkspace, TEST_PASSWORD } from '../helpers/fixtures.js';
import type { ClientResponse, HttpClient } from '../helpers/http-client.js';
import { loadOpenApi, ResponseValidator } from '../helpers/openapi.js';

const KEY = 'findings.lifecycle.backfill';

describe('operator JSON API and its OpenAPI document', function () {
  this.timeout(60_000);
  const doc = loadOpenApi();
  const validator = new ResponseValidator(doc);
  let db: TestDatabase;
  let engine: TestEngine;
  let app: { baseUrl: string; close(): Promise<void> };
  let admin: HttpClient;
  let viewer: HttpClient;
  let nocaps: HttpClient;
  let anonymous: HttpClient;
  let customer: HttpClient;
  let alphaId: number;
  let adminId: number;

  /** Sends, then checks the answer against the document (template path given separately). */
  async function call(
    client: HttpClient,
    method: 'GET' | 'POST',
    template: string,
    path: string,
    json?: unknown,
    headers: Record<string, string> = {},
    formBody?: string,
  ) {
    const response: ClientResponse = await client.request(`/system${path}`, {
      method,
      body: formBody ?? (json === undefined ? undefined : typeof json === 'string' ? json : JSON.stringify(json)),
      headers: formBody
        ? { 'content-type': 'application/x-www-form-urlencoded', ...headers }
        : json === undefined
          ? headers
          : { 'content-type': 'application/json', ...headers },
    });
    validator.check(method, template, response.status, response.headers.get('content-type'), response.body);
    const body: unknown = response.headers.get('content-type')?.includes('json') ? JSON.parse(response.body) : response.body;
    return { status: response.status, body: body as Record<string, any>, headers: response.headers }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  async function runRows(): Promise<number> {
    return (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM operation_runs')).rows[0]!.n;
  }

  before(async () => {
    db = await createTestDatabase();
    await insertPlatform(db.pool);
    const ws = await insertWorkspace(db.pool, { slug: 'acme-api', name: 'Acme' });
    alphaId = await insertTenant(db.pool, { workspace_id: ws, external_id: 'alpha-1', name: 'Alpha Tenant' });
    await insertTenant(db.pool, { workspace_id: ws, external_id: 'beta-1', name: 'Beta Tenant' });
    for (let i = 0; i < 5; i++) await insertFinding(db.pool, { tenant_id: alphaId, status: 'open', recurrence_key: i < 2 ? 'dup' : null });
    const adminOp = await insertOperator(db.pool);
    adminId = adminOp.platformUserId;
    const viewerOp = await insertOperator(db.pool, [capabilities.opsView, capabilities.runbooksView]);
    const nocapsOp = await insertOperator(db.pool, []);
    const customerEmail = 'api-customer@customer.test';
    await insertUser(db.pool, { workspace_id: ws, email: customerEmail });
    // No worker: started runs stay queued, so conflicts and cancels are observable.
    engine = await startTestEngine(db.url, db.pool, { worker: false });
    const { startWebApp } = await import('../helpers/web.js');
    const { signedIn } = await import('../helpers/panel-world.js');
    const { HttpClient: Client } = await import('../helpers/http-client.js');
    app = await startWebApp(db.pool, { runbooks: engine.runbooks });
    admin = await signedIn(app.baseUrl, 'system', adminOp.label, TEST_PASSWORD);
    viewer = await signedIn(app.baseUrl, 'system', viewerOp.label, TEST_PASSWORD);
    nocaps = await signedIn(app.baseUrl, 'system', nocapsOp.label, TEST_PASSWORD);
    customer = await signedIn(app.baseUrl, 'admin', customerEmail, TEST_PASSWORD);
    anonymous = new Client(app.baseUrl);
  });
  after(async () => {
    await app?.close();
    await engine?.stop();
  });

  it('docs/openapi.yaml is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? [], JSON.stringify(result.errors)).to.deep.equal([]);
    expect(result.valid).to.equal(true);
    expect(doc.openapi).to.match(/^3\.1\./);
  });

  it('GET runbooks: the catalog for viewers; 403 without capability; 401 when anonymous', async () => {
    const ok = await call(viewer, 'GET', '/ops/api/runbooks', '/ops/api/runbooks');
    expect(ok.status).to.equal(200);
    expect(ok.body.runbooks.map((r: { key: string }) => r.key)).to.deep.equal([KEY]);
    expect((await call(nocaps, 'GET', '/ops/api/runbooks', '/ops/api/runbooks')).status).to.equal(403);
    expect((await call(anonymous, 'GET', '/ops/api/runbooks', '/ops/api/runbooks')).status).to.equal(401);
    // A page the operator may not open: a real page saying what to do, with a way back and out.
    const page = await nocaps.request('/system/ops/runbooks', { headers: { accept: 'text/html' } });
    expect(page.status).to.equal(403);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    expect(page.body).to.contain('You do not have permission to open this page').and.to.contain('/system/logout');
  });

  it('GET tenants: server-side search by name or external id, never the platform tenant; bad limit 400', async () => {
    const byName = await call(admin, 'GET', '/ops/api/tenants', '/ops/api/tenants?q=alpha');
    expect(byName.body.tenants.map((t: { externalId: string }) => t.externalId)).to.deep.equal(['alpha-1']);
    const byExternal = await call(admin, 'GET', '/ops/api/tenants', '/ops/api/tenants?q=beta-');
    expect(byExternal.body.tenants.map((t: { name: string }) => t.name)).to.deep.equal(['Beta Tenant']);
    const all = await call(admin, 'GET', '/ops/api/tenants', '/ops/api/tenants');
    expect(all.body.tenants.map((t: { externalId: string }) => t.externalId)).to.deep.equal(['alpha-1', 'beta-1']);
    expect((await call(admin, 'GET', '/ops/api/tenants', '/ops/api/tenants?q=platform')).body.tenants).to.deep.equal([]);
    const bad = await call(admin, 'GET', '/ops/api/tenants', '/ops/api/tenants?limit=0');
    expect(bad.status).to.equal(400);
    expect(bad.body.error.field).to.equal('limit');
    expect((await call(admin, 'GET', '/ops/api/tenants', '/ops/api/tenants?q=a&q=b')).body.error.field).to.equal('q');
    const nul = await call(admin, 'GET', '/ops/api/tenants', '/ops/api/tenants?q=al%00pha');
    expect(nul.status).to.equal(400);
  });

  it('POST preflight: counts for a tenant; 400 bad scope; 404 unknown runbook; 403 without capability', async () => {
    const ok = await call(viewer, 'POST', '/ops/api/runbooks/{key}/preflight', `/ops/api/runbooks/${KEY}/preflight`, { scope: 'single_tenant', tenantId: alphaId });
    expect(ok.status).to.equal(200);
    expect(ok.body.preflight).to.include({ tenantsInScope: 1, findingsTotal: 5, findingsWouldChange: 5, duplicateGroups: 1 });
    expect(ok.body.preflight.rules.r9_duplicates).to.equal(1);
    const badScope = await call(viewer, 'POST', '/ops/api/runbooks/{key}/preflight', `/ops/api/runbooks/${KEY}/preflight`, { scope: 'everything' });
    expect(badScope.status).to.equal(400);
    expect(badScope.body.error.field).to.equal('scope');
    const unknown = await call(viewer, 'POST', '/ops/api/runbooks/{key}/preflight', '/ops/api/runbooks/nope/preflight', { scope: 'all_tenants' });
    expect(unknown.status).to.equal(404);
    expect((await call(nocaps, 'POST', '/ops/api/runbooks/{key}/preflight', `/ops/api/runbooks/${KEY}/preflight`, { scope: 'all_tenants' })).status).to.equal(403);
  });

  it('POST runs: 403 for a viewer, 400 with the field for bad input, nothing created', async () => {
    const path = `/ops/api/runbooks/${KEY}/runs`;
    const template = '/ops/api/runbooks/{key}/runs';
    const forbidden = await call(viewer, 'POST', template, path, { scope: 'single_tenant', tenantId: alphaId, reason: 'viewer tries' });
    expect(forbidden.status).to.equal(403);
    const short = await call(admin, 'POST', template, path, { scope: 'single_tenant', tenantId: alphaId, reason: ' abc ' });
    expect(short.status).to.equal(400);
    expect(short.body.error).to.include({ field: 'reason', code: 'validation' });
    const phrase = await call(admin, 'POST', template, path, { scope: 'all_tenants', reason: 'all tenants', confirmation: 'backfill all tenants' });
    expect(phrase.body.error.field).to.equal('confirmation');
    const malformed = await call(admin, 'POST', template, path, '{"scope": ');
    expect(malformed.status).to.equal(400);
    const notObject = await call(admin, 'POST', template, path, '[1,2]');
    expect(notObject.status).to.equal(400);
    const form = await call(admin, 'POST', template, path, undefined, {}, 'scope=all_tenants&reason=form+post');
    expect(form.status).to.equal(415);
    const nul = await call(admin, 'POST', template, path, { scope: 'single_tenant', tenantId: alphaId, reason: 'bad\u0000reason' });
    expect(nul.body.error.field).to.equal('reason');
    expect(await runRows()).to.equal(0);
  });

  it('POST runs: 202 once, 200 with the same run for a repeated idempotency key, 409 naming the active run', async () => {
    const path = `/ops/api/runbooks/${KEY}/runs`;
    const template = '/ops/api/runbooks/{key}/runs';
    const request = { scope: 'single_tenant', tenantId: alphaId, reason: 'API test run', idempotencyKey: 'form-open-1' };
    const [first, second] = await Promise.all([call(admin, 'POST', template, path, request), call(admin, 'POST', template, path, request)]);
    const statuses = [first.status, second.status].sort();
    expect(statuses).to.deep.equal([200, 202]);
    expect(first.body.run.id).to.equal(second.body.run.id);
    const created = first.status === 202 ? first : second;
    const repeated = first.status === 202 ? second : first;
    expect(created.body.message).to.equal(`Run #${first.body.run.id} queued`);
    expect(repeated.body.message).to.equal(`Run #${first.body.run.id} was already started with this request (queued)`);
    expect(created.body.run).to.include({ tenantName: 'Alpha Tenant', tenantExternalId: 'alpha-1' });
    expect(first.body.run.url).to.equal(`/system/ops/runs/${first.body.run.id}`);
    const conflict = await call(admin, 'POST', template, path, { scope: 'all_tenants', reason: 'overlaps', confirmation: 'BACKFILL ALL TENANTS' });
    expect(conflict.status).to.equal(409);
    expect(conflict.body.error).to.include({ code: 'lock_conflict', activeRunId: first.body.run.id, activeRunUrl: `/system/ops/runs/${first.body.run.id}` });
    expect(await runRows()).to.equal(1);
  });

  it('GET runs and GET runs/{id}: list with filters and paging, detail with progress; 400 and 404', async () => {
    const list = await call(viewer, 'GET', '/ops/api/runs', '/ops/api/runs?limit=1');
    expect(list.body.total).to.equal(1);
    expect(list.body.runs[0]).to.include({ tenantName: 'Alpha Tenant', status: 'queued', source: 'system_ui' });
    expect(list.body.nextBeforeId).to.equal(list.body.runs[0].id);
    const next = await call(viewer, 'GET', '/ops/api/runs', `/ops/api/runs?limit=1&beforeId=${list.body.nextBeforeId}`);
    expect(next.body.runs).to.deep.equal([]);
    expect((await call(viewer, 'GET', '/ops/api/runs', '/ops/api/runs?status=completed')).body.total).to.equal(0);
    const bad = await call(viewer, 'GET', '/ops/api/runs', '/ops/api/runs?status=bogus');
    expect(bad.status).to.equal(400);
    expect(bad.body.error.field).to.equal('status');
    expect((await call(viewer, 'GET', '/ops/api/runs', '/ops/api/runs?since=yesterday-ish')).status).to.equal(400);
    const oldest = await call(viewer, 'GET', '/ops/api/runs', '/ops/api/runs?sort=oldest&limit=1');
    expect(oldest.body).to.include({ nextBeforeId: null, nextAfterId: list.body.runs[0].id });
    expect((await call(viewer, 'GET', '/ops/api/runs', '/ops/api/runs?sort=sideways')).body.error.field).to.equal('sort');
    expect((await call(viewer, 'GET', '/ops/api/runs', '/ops/api/runs?status=queued&status=running')).body.error.field).to.equal('status');
    expect((await call(viewer, 'GET', '/ops/api/runs', '/ops/api/runs?beforeId=99999999999999999999')).body.error.field).to.equal('beforeId');
    expect((await call(viewer, 'GET', '/ops/api/runs', '/ops/api/runs?sort=oldest&beforeId=5')).body.error.field).to.equal('beforeId');
    expect((await call(viewer, 'GET', '/ops/api/runs', '/ops/api/runs?afterId=5')).body.error.field).to.equal('afterId');

    const id = list.body.runs[0].id as number;
    const queued = await call(viewer, 'GET', '/ops/api/runs/{id}', `/ops/api/runs/${id}`);
    expect(queued.body.run.progress).to.include({ tenantsDone: 0, tenantsTotal: 0, fraction: 0, etaSeconds: null });
    expect(queued.body.run.auditTrail.map((entry: { action: string }) => entry.action)).to.deep.equal(['run.started']);
    await orchestrateRun(engine.executor, id);
    const [item] = await listItems(db.pool, id);
    await runTenantJob(engine.executor, { runId: id, itemId: item!.id });
    const done = await call(viewer, 'GET', '/ops/api/runs/{id}', `/ops/api/runs/${id}`);
    expect(done.body.run).to.include({ status: 'completed', outcome: 'succeeded' });
    expect(done.body.run.progress).to.include({ tenantsDone: 1, tenantsTotal: 1, fraction: 1, etaSeconds: 0, findingsProcessed: 5, findingsExpected: 5 });
    expect(done.body.run.counts.findings_changed).to.equal(5);
    expect((await call(viewer, 'GET', '/ops/api/runs/{id}', '/ops/api/runs/abc')).status).to.equal(400);
    expect((await call(viewer, 'GET', '/ops/api/runs/{id}', '/ops/api/runs/999999')).status).to.equal(404);
    expect((await call(nocaps, 'GET', '/ops/api/runs/{id}', `/ops/api/runs/${id}`)).status).to.equal(403);
  });

  it('POST runs/{id}/cancel: 200 for a queued run, 409 when already completed, 403 for a viewer', async () => {
    const started = await call(admin, 'POST', '/ops/api/runbooks/{key}/runs', `/ops/api/runbooks/${KEY}/runs`, {
      scope: 'all_tenants',
      reason: 'to be cancelled',
      confirmation: 'BACKFILL ALL TENANTS',
    });
    expect(started.status).to.equal(202);
    const id = started.body.run.id as number;
    expect((await call(viewer, 'POST', '/ops/api/runs/{id}/cancel', `/ops/api/runs/${id}/cancel`)).status).to.equal(403);
    const cancelled = await call(admin, 'POST', '/ops/api/runs/{id}/cancel', `/ops/api/runs/${id}/cancel`);
    expect(cancelled.status).to.equal(200);
    expect(cancelled.body.run).to.include({ status: 'completed', outcome: 'cancelled', cancelRequested: true });
    const again = await call(admin, 'POST', '/ops/api/runs/{id}/cancel', `/ops/api/runs/${id}/cancel`);
    expect(again.status).to.equal(409);
    expect(again.body.error.code).to.equal('illegal_transition');
    expect((await call(admin, 'POST', '/ops/api/runs/{id}/cancel', '/ops/api/runs/0/cancel')).status).to.equal(400);
    expect((await call(admin, 'POST', '/ops/api/runs/{id}/cancel', '/ops/api/runs/424242/cancel')).status).to.equal(404);
  });

  it('GET notifications and POST read: own notifications only; another operator gets 404', async () => {
    const mine = await call(admin, 'GET', '/ops/api/notifications', '/ops/api/notifications');
    // Two runs by this operator ended (one succeeded, one cancelled): one notice each.
    expect(mine.body.unread).to.equal(2);
    const ids = mine.body.notifications.map((n: { id: number }) => n.id) as number[];
    expect((await call(viewer, 'GET', '/ops/api/notifications', '/ops/api/notifications')).body).to.deep.equal({ unread: 0, notifications: [] });
    expect((await call(viewer, 'POST', '/ops/api/notifications/{id}/read', `/ops/api/notifications/${ids[0]}/read`)).status).to.equal(404);
    const read = await call(admin, 'POST', '/ops/api/notifications/{id}/read', `/ops/api/notifications/${ids[0]}/read`);
    expect(read.body).to.deep.equal({ id: ids[0], read: true });
    expect((await call(admin, 'GET', '/ops/api/notifications', '/ops/api/notifications?unread=true')).body.unread).to.equal(1);
    expect((await call(admin, 'GET', '/ops/api/notifications', '/ops/api/notifications?unread=bogus')).body.error.field).to.equal('unread');
    const rows = await db.pool.query('SELECT platform_user_id FROM notifications');
    expect(rows.rows.every((row) => row.platform_user_id === adminId)).to.equal(true);
  });

  it('cross-plane and cross-site: a customer session gets 404; a POST from another site gets 403 and starts nothing', async () => {
    const crossPlane = await call(customer, 'GET', '/ops/api/runs', '/ops/api/runs');
    expect(crossPlane.status).to.equal(404);
    const before = await runRows();
    const crossSite = await call(
      admin,
      'POST',
      '/ops/api/runbooks/{key}/runs',
      `/ops/api/runbooks/${KEY}/runs`,
      { scope: 'single_tenant', tenantId: alphaId, reason: 'from evil site' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).to.equal(403);
    expect(await runRows()).to.equal(before);
  });

  it('POST /login: 401 for a wrong password, 429 with Retry-After after 10 attempts', async () => {
    const { HttpClient: Client } = await import('../helpers/http-client.js');
    const client = new Client(app.baseUrl);
    let last: ClientResponse | null = null;
    for (let attempt = 1; attempt <= 11; attempt++) {
      last = await client.post('/system/login', { email: 'nobody@atlas.test', password: 'wrong password' });
      validator.check('POST', '/login', last.status, last.headers.get('content-type'), last.body);
      expect(last.status, `attempt ${attempt}`).to.equal(attempt <= 10 ? 401 : 429);
    }
    expect(Number(last!.headers.get('retry-after'))).to.be.greaterThan(0);
  });

  it('every operation in the document was exercised, and every error status it lists for the API appeared', () => {
    const paths = doc.paths as Record<string, Record<string, unknown>>;
    const operations = Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    const exercised = new Set([...validator.checked].map((entry) => entry.split(' ').slice(0, 2).join(' ')));
    expect(operations.filter((operation) => !exercised.has(operation))).to.deep.equal([]);
    const statuses = new Set([...validator.checked].map((entry) => entry.split(' ')[2]));
    for (const status of ['200', '202', '400', '401', '403', '404', '409', '415', '429']) expect(statuses.has(status), status).to.equal(true);
  });
});
