// Workspace isolation in /admin (IDOR through every AdminJS path), operator-only notifications, the legacy flag,
// cross-origin refusal and bad input — all over real HTTP against the real app.
import { expect } from 'chai';
import type { RunbookService, StartRunInput } from '../../src/runbooks/runbook-service.js';
import type { OperationRun } from '../../src/runs/runs.repository.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { insertFinding } from '../helpers/fixtures.js';
import { HttpClient } from '../helpers/http-client.js';
import { seedPanelWorld, signedIn, type PanelWorld } from '../helpers/panel-world.js';
import { unusedRunbookService } from '../helpers/runbook-doubles.js';
import type { RunningApp } from '../helpers/web.js';

interface ListBody {
  meta: { total: number };
  records: { id: number; params: Record<string, unknown>; recordActions: { name: string }[] }[];
}

function json<T>(body: string): T {
  return JSON.parse(body) as T;
}

/** Our own service, recording what it was asked (the legacy action's only dependency). */
function recordingRunbookService(): RunbookService & { starts: StartRunInput[] } {
  const starts: StartRunInput[] = [];
  return {
    ...unusedRunbookService,
    starts,
    async startRun(input) {
      starts.push(input);
      const run = { id: 4242, status: 'queued', outcome: 'pending', source: input.source } as unknown as OperationRun;
      return { run, created: true };
    },
  };
}

function expectNoLeak(body: string): void {
  expect(body).to.not.match(/\bat .+\.(ts|js):\d+/);
  expect(body).to.not.match(/syntax error|SELECT |ECONN|stack/i);
}

describe('panel isolation, legacy flag and bad input (real HTTP)', function () {
  let db: TestDatabase;
  let app: RunningApp;
  let world: PanelWorld;
  let customerA: HttpClient;
  let startWebApp: typeof import('../helpers/web.js').startWebApp;

  before(async () => {
    ({ startWebApp } = await import('../helpers/web.js'));
    db = await createTestDatabase();
    world = await seedPanelWorld(db.pool);
    // More rows on both sides, so a missing scope would show in counts.
    for (let index = 0; index < 3; index++) {
      await insertFinding(db.pool, { tenant_id: world.a.tenantId, severity: 'low', status: 'new' });
      await insertFinding(db.pool, { tenant_id: world.b.tenantId, severity: 'low', status: 'new', finding_type: 'globex.secret' });
    }
    app = await startWebApp(db.pool);
    customerA = await signedIn(app.baseUrl, 'admin', world.a.email);
  });

  after(async () => {
    await app?.close();
  });

  describe('IDOR: customer of A asking for B', () => {
    it('findings list shows only A’s findings (4), never B’s or the platform tenant’s', async () => {
      const body = json<ListBody>((await customerA.get('/admin/api/resources/findings/actions/list?perPage=100')).body);
      expect(body.meta.total).to.equal(4);
      expect(body.records.map((record) => record.params.tenant_id)).to.deep.equal(Array(4).fill(world.a.tenantId));
    });

    it('show, edit and delete of B’s finding answer 404 (HTML and API)', async () => {
      for (const path of [
        `/admin/resources/findings/records/${world.b.findingId}/show`,
        `/admin/api/resources/findings/records/${world.b.findingId}/show`,
        `/admin/api/resources/findings/records/${world.platformFindingId}/show`,
      ]) {
        const response = await customerA.get(path);
        expect(response.status, path).to.equal(404);
        expect(response.body).to.not.include('globex');
      }
      for (const action of ['edit', 'delete']) {
        const response = await customerA.post(`/admin/api/resources/findings/records/${world.b.findingId}/${action}`, { status: 'closed' });
        expect(response.status, action).to.equal(404);
      }
      const { rows } = await db.pool.query('SELECT status FROM findings WHERE id = $1', [world.b.findingId]);
      expect(rows[0]).to.deep.equal({ status: 'open' });
    });

    it('search and filters never reach B: by title, by B’s tenant id, by B’s finding type', async () => {
      const search = json<{ records: unknown[] }>((await customerA.get('/admin/api/resources/findings/search/globex')).body);
      expect(search.records).to.deep.equal([]);
      const byTenant = json<ListBody>((await customerA.get(`/admin/api/resources/findings/actions/list?filters.tenant_id=${world.b.tenantId}`)).body);
      expect(byTenant.meta.total).to.equal(0);
      const byType = json<ListBody>((await customerA.get('/admin/api/resources/findings/actions/list?filters.finding_type=globex')).body);
      expect(byType.meta.total).to.equal(0);
      const byId = json<ListBody>((await customerA.get(`/admin/api/resources/findings/actions/list?filters.id=${world.b.findingId}`)).body);
      expect(byId.meta.total).to.equal(0);
    });

    it('reference look-ups (the tenant picker) list only A’s tenants, never B’s or the platform tenant', async () => {
      const all = json<{ records: { id: number }[] }>((await customerA.get('/admin/api/resources/tenants/search/')).body);
      expect(all.records.map((record) => record.id)).to.deep.equal([world.a.tenantId]);
      for (const query of ['globex', 'platform', 'Platform tenant']) {
        const found = json<{ records: unknown[] }>((await customerA.get(`/admin/api/resources/tenants/search/${encodeURIComponent(query)}`)).body);
        expect(found.records, query).to.deep.equal([]);
      }
      const tenants = json<ListBody>((await customerA.get('/admin/api/resources/tenants/actions/list')).body);
      expect(tenants.records.map((record) => record.id)).to.deep.equal([world.a.tenantId]);
    });

    it('bulk routes with B’s ids answer 404 and change nothing', async () => {
      const response = await customerA.post(`/admin/api/resources/findings/bulk/bulkDelete?recordIds=${world.b.findingId}`, {});
      expect(response.status).to.equal(404);
      expect((await db.pool.query('SELECT 1 FROM findings WHERE id = $1', [world.b.findingId])).rowCount).to.equal(1);
    });

    it('an operator sees only their own notifications', async () => {
      const viewer = await signedIn(app.baseUrl, 'system', world.operatorEmails.viewer);
      const list = json<ListBody>((await viewer.get('/system/api/resources/notifications/actions/list')).body);
      expect(list.records.map((record) => record.id)).to.deep.equal([world.notifications.viewer]);
      expect((await viewer.post(`/system/api/resources/notifications/records/${world.notifications.admin}/markRead`, {})).status).to.equal(404);
      const { rows } = await db.pool.query('SELECT read_at FROM notifications WHERE id = $1', [world.notifications.admin]);
      expect(rows[0]).to.deep.equal({ read_at: null });
    });

    it('markRead: GET changes nothing, POST marks the operator’s own notification read', async () => {
      const viewer = await signedIn(app.baseUrl, 'system', world.operatorEmails.viewer);
      const path = `/system/api/resources/notifications/records/${world.notifications.viewer}/markRead`;
      expect((await viewer.get(path)).status).to.equal(200);
      expect((await db.pool.query('SELECT read_at FROM notifications WHERE id = $1', [world.notifications.viewer])).rows[0]).to.deep.equal({ read_at: null });
      const posted = await viewer.post(path, {});
      expect(posted.status).to.equal(200);
      const { rows } = await db.pool.query<{ read_at: Date | null }>('SELECT read_at FROM notifications WHERE id = $1', [world.notifications.viewer]);
      expect(rows[0]?.read_at).to.be.instanceOf(Date);
    });
  });

  describe('legacy maintenance flag', () => {
    it('ADMIN_MAINTENANCE_ACTIONS off (default): no action on tenant records, and its endpoint answers 404', async () => {
      const tenants = json<ListBody>((await customerA.get('/admin/api/resources/tenants/actions/list')).body);
      const actions = tenants.records.flatMap((record) => record.recordActions.map((action) => action.name));
      expect(actions).to.deep.equal(['show']);
      const page = await customerA.get('/admin');
      expect(page.body).to.not.match(/rebuildFindingsLifecycle|backfill/i);
      const response = await customerA.post(`/admin/api/resources/tenants/records/${world.a.tenantId}/rebuildFindingsLifecycle`, { reason: 'legacy trigger' });
      expect(response.status).to.equal(404);
    });

    it('ADMIN_MAINTENANCE_ACTIONS on: the tenant action calls the runbook service once, source admin_legacy, own tenant only', async () => {
      const runbooks = recordingRunbookService();
      const legacy = await startWebApp(db.pool, { env: { ADMIN_MAINTENANCE_ACTIONS: 'true' }, runbooks });
      try {
        const client = await signedIn(legacy.baseUrl, 'admin', world.a.email);
        const path = `/admin/api/resources/tenants/records/${world.a.tenantId}/rebuildFindingsLifecycle`;
        // Opening the action page (GET) starts nothing.
        expect((await client.get(path)).status).to.equal(200);
        expect(runbooks.starts).to.have.length(0);
        const response = await client.post(path, { reason: 'customer asked for a rebuild' });
        expect(response.status).to.equal(200);
        expect(json<{ notice: { message: string } }>(response.body).notice.message).to.equal('Run #4242 queued.');
        expect(runbooks.starts).to.have.length(1);
        expect(runbooks.starts[0]).to.deep.include({
          runbookKey: 'findings.lifecycle.backfill',
          scope: { scope: 'single_tenant', tenantId: world.a.tenantId },
          initiator: { type: 'cli', label: `admin:${world.a.email}` },
          source: 'admin_legacy',
          reason: 'customer asked for a rebuild',
        });
        // Another workspace's tenant, or the platform tenant: 404, no call.
        for (const tenantId of [world.b.tenantId, world.platformTenantId]) {
          const refused = await client.post(`/admin/api/resources/tenants/records/${tenantId}/rebuildFindingsLifecycle`, { reason: 'not my tenant' });
          expect(refused.status).to.equal(404);
        }
        // No reason: 400, no call.
        expect((await client.post(path, {})).status).to.equal(400);
        expect(runbooks.starts).to.have.length(1);
      } finally {
        await legacy.close();
      }
    });
  });

  describe('cross-origin requests', () => {
    it('refuses state-changing requests from another origin or site with 403, on both planes, and audits them', async () => {
      const viewer = await signedIn(app.baseUrl, 'system', world.operatorEmails.viewer);
      const path = `/system/api/resources/notifications/records/${world.notifications.viewer}/markRead`;
      expect((await viewer.post(path, {}, { origin: 'http://evil.test' })).status).to.equal(403);
      expect((await viewer.post(path, {}, { 'sec-fetch-site': 'cross-site' })).status).to.equal(403);
      expect((await viewer.post(path, {}, { origin: 'null' })).status).to.equal(403);
      expect((await customerA.post('/admin/api/resources/findings/actions/list', {}, { origin: 'http://evil.test' })).status).to.equal(403);
      expect((await new HttpClient(app.baseUrl).post('/system/login', { email: 'x@y.z', password: 'p' }, { 'sec-fetch-site': 'same-site' })).status).to.equal(403);
      // Same origin passes.
      expect((await viewer.post(path, {}, { origin: app.baseUrl, 'sec-fetch-site': 'same-origin' })).status).to.equal(200);
      const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_logs WHERE action = 'auth.access_denied' AND metadata ->> 'reason' = 'cross_site_request'`);
      expect(rows[0]?.n).to.equal(5);
    });

    it('GET from another site still works (links into the panel), and security headers are set', async () => {
      const response = await customerA.get('/admin', { 'sec-fetch-site': 'cross-site' });
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-security-policy')).to.include("default-src 'self'");
      expect(response.headers.get('content-security-policy')).to.include("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(response.headers.get('x-powered-by')).to.equal(null);
      expect(response.body).to.not.include('fonts.googleapis.com');
    });
  });

  describe('bad input', () => {
    it('malformed, empty, oversized and non-form login bodies get 4xx, never 500', async () => {
      const client = new HttpClient(app.baseUrl);
      const cases: { body: string; type: string; status: number }[] = [
        { body: '', type: 'application/x-www-form-urlencoded', status: 400 },
        { body: 'email=&password=', type: 'application/x-www-form-urlencoded', status: 400 },
        { body: '{"email": "a@b.c", "password": ', type: 'application/json', status: 400 },
        { body: `email=${'a'.repeat(400)}@x.test&password=p`, type: 'application/x-www-form-urlencoded', status: 400 },
        { body: `email=a@b.c&password=${'p'.repeat(20_000)}`, type: 'application/x-www-form-urlencoded', status: 413 },
        { body: 'email[]=a&email[]=b&password=p', type: 'application/x-www-form-urlencoded', status: 400 },
        { body: '%E0%A4%A', type: 'application/x-www-form-urlencoded', status: 400 },
      ];
      for (const testCase of cases) {
        const response = await client.request('/system/login', { method: 'POST', body: testCase.body, headers: { 'content-type': testCase.type } });
        expect(response.status, testCase.body.slice(0, 40)).to.equal(testCase.status);
        expectNoLeak(response.body);
      }
    });

    it('unknown resources and actions, non-numeric and huge ids answer 404', async () => {
      for (const path of [
        '/admin/api/resources/nope/actions/list',
        '/admin/resources/nope',
        '/admin/api/resources/findings/actions/nope',
        '/admin/api/resources/findings/records/abc/show',
        '/admin/api/resources/findings/records/-1/show',
        '/admin/api/resources/findings/records/99999999999999999999999/show',
        "/admin/api/resources/findings/records/1%20OR%201=1/show",
      ]) {
        const response = await customerA.get(path);
        expect(response.status, path).to.equal(404);
        expectNoLeak(response.body);
      }
    });

    it('SQL-looking filters and sorts are taken literally or refused with 400, never a 500', async () => {
      const injection = encodeURIComponent("' OR 1=1 --");
      const literal = await customerA.get(`/admin/api/resources/findings/actions/list?filters.finding_type=${injection}`);
      expect(literal.status).to.equal(200);
      expect(json<ListBody>(literal.body).meta.total).to.equal(0);
      const search = await customerA.get(`/admin/api/resources/findings/search/${injection}`);
      expect(search.status).to.equal(200);
      for (const query of [
        `filters.severity=${injection}`,
        `filters.tenant_id=${injection}`,
        'filters.nope=1',
        'filters.evidence=1',
        'filters.due_at~~from=yesterday',
        'filters.due_at=2024-01-01',
        `sortBy=${encodeURIComponent('id; DROP TABLE findings')}`,
        'sortBy=evidence',
        'perPage=abc',
        'page=-3',
        `filters.finding_type=${'x'.repeat(300)}`,
      ]) {
        const response = await customerA.get(`/admin/api/resources/findings/actions/list?${query}`);
        expect(response.status, query).to.equal(400);
        expect(json<{ error: { message: string } }>(response.body).error.message).to.be.a('string').and.not.equal('');
        expectNoLeak(response.body);
      }
      const range = await customerA.get('/admin/api/resources/findings/actions/list?filters.due_at~~from=2020-01-01&filters.severity=high');
      expect(range.status).to.equal(200);
      expect((await db.pool.query('SELECT 1 FROM findings')).rowCount).to.equal(9);
    });

    it('malformed URL encoding answers 400 and oversized bodies 413', async () => {
      const bad = await customerA.get('/admin/api/resources/%E0%A4%A/actions/list');
      expect(bad.status).to.equal(400);
      const huge = await customerA.request('/admin/api/resources/findings/actions/list', {
        method: 'POST',
        body: 'x='.concat('y'.repeat(2 * 1024 * 1024)),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(huge.status).to.equal(413);
    });
  });
});
