// The access matrix: every actor × every /admin and /system surface → the status a real HTTP request gets.
import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import type { HttpClient } from '../helpers/http-client.js';
import { HttpClient as Client } from '../helpers/http-client.js';
import { seedPanelWorld, signedIn, type PanelWorld } from '../helpers/panel-world.js';
import type { RunningApp } from '../helpers/web.js';

type Actor = 'anonymous' | 'customerA' | 'customerB' | 'opsAdmin' | 'opsViewer' | 'opsNocaps' | 'deactivated';
const actors: readonly Actor[] = ['anonymous', 'customerA', 'customerB', 'opsAdmin', 'opsViewer', 'opsNocaps', 'deactivated'];

/** `login`: 302 to the plane's login page (401 for API calls); `ok`: 2xx, or a redirect elsewhere than login. */
type Expect = 'login' | 'ok' | 403 | 404;

interface Row {
  method: 'GET' | 'POST';
  path: (w: PanelWorld) => string;
  /** The AdminJS route template this row exercises ('custom' for our own routes). */
  template: string;
  expect: Record<Actor, Expect>;
}

const L = 'login' as const;
const OK = 'ok' as const;

// Columns: anonymous, customer A, customer B, ops-admin, ops-viewer, ops-nocaps, deactivated operator.
function e(...values: Expect[]): Record<Actor, Expect> {
  return Object.fromEntries(actors.map((actor, index) => [actor, values[index]])) as Record<Actor, Expect>;
}

const systemOpsView = e(L, 404, 404, OK, OK, 403, L);
const systemAnyOperator = e(L, 404, 404, OK, OK, OK, L);
const systemMissing = e(L, 404, 404, 404, 404, 404, L);
const adminCustomers = e(L, OK, OK, 404, 404, 404, L);
const adminMissing = e(L, 404, 404, 404, 404, 404, L);

const systemRows: Row[] = [
  { method: 'GET', path: () => '/system', template: '', expect: systemAnyOperator },
  { method: 'GET', path: () => '/system/api/dashboard', template: '/api/dashboard', expect: systemAnyOperator },
  // The operator screens as AdminJS pages (the sidebar links their /system/ops/… URLs); unknown pages do not exist.
  { method: 'GET', path: () => '/system/pages/runbooks', template: '/pages/{pageName}', expect: systemOpsView },
  { method: 'GET', path: () => '/system/api/pages/runbooks', template: '/api/pages/{pageName}', expect: systemOpsView },
  { method: 'POST', path: () => '/system/api/pages/runbooks', template: '/api/pages/{pageName}', expect: systemOpsView },
  { method: 'GET', path: () => '/system/pages/runs', template: '/pages/{pageName}', expect: systemOpsView },
  { method: 'GET', path: () => '/system/pages/notifications', template: '/pages/{pageName}', expect: systemAnyOperator },
  { method: 'GET', path: () => '/system/pages/maintenance', template: '/pages/{pageName}', expect: systemMissing },
  { method: 'GET', path: () => '/system/api/pages/maintenance', template: '/api/pages/{pageName}', expect: systemMissing },
  { method: 'GET', path: () => '/system/resources/operation_runs', template: '/resources/{resourceId}', expect: systemOpsView },
  { method: 'GET', path: () => '/system/resources/operation_runs/actions/list', template: '/resources/{resourceId}/actions/{action}', expect: systemOpsView },
  { method: 'GET', path: () => '/system/api/resources/operation_runs/actions/list', template: '/api/resources/{resourceId}/actions/{action}', expect: systemOpsView },
  { method: 'GET', path: () => '/system/api/resources/operation_runs/actions/search/find', template: '/api/resources/{resourceId}/actions/{action}/{query}', expect: systemOpsView },
  { method: 'GET', path: () => '/system/api/resources/operation_runs/search/find', template: '/api/resources/{resourceId}/search/{query}', expect: systemOpsView },
  { method: 'GET', path: () => '/system/api/resources/operation_runs/search', template: '/api/resources/{resourceId}/search', expect: systemOpsView },
  { method: 'GET', path: (w) => `/system/resources/operation_runs/records/${w.runId}/show`, template: '/resources/{resourceId}/records/{recordId}/{action}', expect: systemOpsView },
  { method: 'GET', path: (w) => `/system/api/resources/operation_runs/records/${w.runId}/show`, template: '/api/resources/{resourceId}/records/{recordId}/{action}', expect: systemOpsView },
  { method: 'GET', path: (w) => `/system/api/resources/operation_run_items/records/${w.runItemId}/show`, template: '/api/resources/{resourceId}/records/{recordId}/{action}', expect: systemOpsView },
  { method: 'GET', path: () => '/system/api/resources/operation_run_items/actions/list', template: '/api/resources/{resourceId}/actions/{action}', expect: systemOpsView },
  { method: 'GET', path: () => '/system/api/resources/audit_logs/actions/list', template: '/api/resources/{resourceId}/actions/{action}', expect: systemOpsView },
  { method: 'GET', path: () => '/system/api/resources/notifications/actions/list', template: '/api/resources/{resourceId}/actions/{action}', expect: systemAnyOperator },
  // Only the owner sees a notification.
  { method: 'GET', path: (w) => `/system/api/resources/notifications/records/${w.notifications.admin}/show`, template: '/api/resources/{resourceId}/records/{recordId}/{action}', expect: e(L, 404, 404, OK, 404, 404, L) },
  { method: 'GET', path: (w) => `/system/api/resources/notifications/records/${w.notifications.viewer}/markRead`, template: '/api/resources/{resourceId}/records/{recordId}/{action}', expect: e(L, 404, 404, 404, OK, 404, L) },
  // Read-only: the built-in write actions do not exist here.
  { method: 'POST', path: () => '/system/api/resources/operation_runs/actions/new', template: '/api/resources/{resourceId}/actions/{action}', expect: systemMissing },
  { method: 'POST', path: (w) => `/system/api/resources/operation_runs/records/${w.runId}/edit`, template: '/api/resources/{resourceId}/records/{recordId}/{action}', expect: systemMissing },
  { method: 'POST', path: (w) => `/system/api/resources/operation_runs/records/${w.runId}/delete`, template: '/api/resources/{resourceId}/records/{recordId}/{action}', expect: systemMissing },
  { method: 'POST', path: () => '/system/api/resources/audit_logs/records/1/delete', template: '/api/resources/{resourceId}/records/{recordId}/{action}', expect: systemMissing },
  { method: 'GET', path: (w) => `/system/resources/operation_runs/bulk/bulkDelete?recordIds=${w.runId}`, template: '/resources/{resourceId}/bulk/{action}', expect: systemMissing },
  { method: 'GET', path: (w) => `/system/api/resources/operation_runs/bulk/bulkDelete?recordIds=${w.runId}`, template: '/api/resources/{resourceId}/bulk/{action}', expect: systemMissing },
  { method: 'POST', path: (w) => `/system/api/resources/operation_runs/bulk/bulkDelete?recordIds=${w.runId}`, template: '/api/resources/{resourceId}/bulk/{action}', expect: systemMissing },
  // Not exposed in /system at all.
  { method: 'GET', path: () => '/system/api/resources/platform_users/actions/list', template: '/api/resources/{resourceId}/actions/{action}', expect: systemMissing },
  { method: 'GET', path: () => '/system/api/resources/findings/actions/list', template: '/api/resources/{resourceId}/actions/{action}', expect: systemMissing },
  { method: 'GET', path: () => '/system/no/such/page', template: 'custom', expect: systemMissing },
  { method: 'POST', path: () => '/system/refresh-token', template: 'custom', expect: systemMissing },
  // The operator screens.
  { method: 'GET', path: () => '/system/ops/runbooks', template: 'custom', expect: systemOpsView },
  { method: 'GET', path: () => '/system/ops/notifications', template: 'custom', expect: systemAnyOperator },
  { method: 'GET', path: () => '/system/ops/runs', template: 'custom', expect: systemOpsView },
  { method: 'GET', path: (w) => `/system/ops/runs/${w.runId}`, template: 'custom', expect: systemOpsView },
  { method: 'GET', path: () => '/system/ops/runs/abc', template: 'custom', expect: systemMissing },
  // The operator JSON API (src/http/ops-api.ts) behind the same guard.
  { method: 'GET', path: () => '/system/ops/api/runs', template: 'custom', expect: systemOpsView },
  { method: 'GET', path: (w) => `/system/ops/api/runs/${w.runId}`, template: 'custom', expect: systemOpsView },
  { method: 'GET', path: () => '/system/ops/api/notifications', template: 'custom', expect: systemAnyOperator },
  { method: 'POST', path: (w) => `/system/ops/api/notifications/${w.notifications.viewer}/read`, template: 'custom', expect: e(L, 404, 404, 404, OK, 404, L) },
  { method: 'GET', path: () => '/system/ops/api/nope', template: 'custom', expect: systemMissing },
  // The login page and the public assets the login page needs.
  { method: 'GET', path: () => '/system/frontend/assets/components.bundle.js', template: '/frontend/assets/components.bundle.js', expect: e(OK, OK, OK, OK, OK, OK, OK) },
  { method: 'GET', path: () => '/system/frontend/assets/app.bundle.js', template: 'asset', expect: e(OK, OK, OK, OK, OK, OK, OK) },
];

const adminRows: Row[] = [
  { method: 'GET', path: () => '/admin', template: '', expect: adminCustomers },
  { method: 'GET', path: () => '/admin/api/dashboard', template: '/api/dashboard', expect: adminCustomers },
  { method: 'GET', path: () => '/admin/pages/maintenance', template: '/pages/{pageName}', expect: adminMissing },
  { method: 'GET', path: () => '/admin/api/pages/maintenance', template: '/api/pages/{pageName}', expect: adminMissing },
  { method: 'POST', path: () => '/admin/api/pages/maintenance', template: '/api/pages/{pageName}', expect: adminMissing },
  { method: 'GET', path: () => '/admin/resources/findings', template: '/resources/{resourceId}', expect: adminCustomers },
  { method: 'GET', path: () => '/admin/resources/findings/actions/list', template: '/resources/{resourceId}/actions/{action}', expect: adminCustomers },
  { method: 'GET', path: () => '/admin/api/resources/findings/actions/list', template: '/api/resources/{resourceId}/actions/{action}', expect: adminCustomers },
  { method: 'GET', path: () => '/admin/api/resources/tenants/actions/list', template: '/api/resources/{resourceId}/actions/{action}', expect: adminCustomers },
  { method: 'GET', path: () => '/admin/api/resources/findings/actions/search/x', template: '/api/resources/{resourceId}/actions/{action}/{query}', expect: adminCustomers },
  { method: 'GET', path: () => '/admin/api/resources/tenants/search/prod', template: '/api/resources/{resourceId}/search/{query}', expect: adminCustomers },
  { method: 'GET', path: () => '/admin/api/resources/tenants/search', template: '/api/resources/{resourceId}/search', expect: adminCustomers },
  // Own records only: B's customer gets 404 for A's finding and tenant.
  { method: 'GET', path: (w) => `/admin/resources/findings/records/${w.a.findingId}/show`, template: '/resources/{resourceId}/records/{recordId}/{action}', expect: e(L, OK, 404, 404, 404, 404, L) },
  { method: 'GET', path: (w) => `/admin/api/resources/findings/records/${w.a.findingId}/show`, template: '/api/resources/{resourceId}/records/{recordId}/{action}', expect: e(L, OK, 404, 404, 404, 404, L) },
  { method: 'GET', path: (w) => `/admin/api/resources/tenants/records/${w.a.tenantId}/show`, template: '/api/resources/{resourceId}/records/{recordId}/{action}', expect: e(L, OK, 404, 404, 404, 404, L) },
  { method: 'GET', path: (w) => `/admin/api/resources/tenants/records/${w.platformTenantId}/show`, template: '/api/resources/{resourceId}/records/{recordId}/{action}', expect: adminMissing },
  // Read-only, and no maintenance trigger with the flag off.
  { method: 'POST', path: () => '/admin/api/resources/findings/actions/new', template: '/api/resources/{resourceId}/actions/{action}', expect: adminMissing },
  { method: 'POST', path: (w) => `/admin/api/resources/findings/records/${w.a.findingId}/edit`, template: '/api/resources/{resourceId}/records/{recordId}/{action}', expect: adminMissing },
  { method: 'POST', path: (w) => `/admin/api/resources/findings/records/${w.a.findingId}/delete`, template: '/api/resources/{resourceId}/records/{recordId}/{action}', expect: adminMissing },
  { method: 'GET', path: (w) => `/admin/resources/findings/bulk/bulkDelete?recordIds=${w.a.findingId}`, template: '/resources/{resourceId}/bulk/{action}', expect: adminMissing },
  { method: 'GET', path: (w) => `/admin/api/resources/findings/bulk/bulkDelete?recordIds=${w.a.findingId}`, template: '/api/resources/{resourceId}/bulk/{action}', expect: adminMissing },
  { method: 'POST', path: (w) => `/admin/api/resources/findings/bulk/bulkDelete?recordIds=${w.a.findingId}`, template: '/api/resources/{resourceId}/bulk/{action}', expect: adminMissing },
  { method: 'GET', path: (w) => `/admin/api/resources/tenants/records/${w.a.tenantId}/rebuildFindingsLifecycle`, template: '/api/resources/{resourceId}/records/{recordId}/{action}', expect: adminMissing },
  { method: 'POST', path: (w) => `/admin/api/resources/tenants/records/${w.a.tenantId}/rebuildFindingsLifecycle`, template: '/api/resources/{resourceId}/records/{recordId}/{action}', expect: adminMissing },
  // The operator resources do not exist in /admin.
  { method: 'GET', path: () => '/admin/api/resources/operation_runs/actions/list', template: '/api/resources/{resourceId}/actions/{action}', expect: adminMissing },
  { method: 'GET', path: () => '/admin/api/resources/users/actions/list', template: '/api/resources/{resourceId}/actions/{action}', expect: adminMissing },
  { method: 'GET', path: () => '/admin/ops/runs', template: 'custom', expect: adminMissing },
  { method: 'GET', path: () => '/admin/frontend/assets/components.bundle.js', template: '/frontend/assets/components.bundle.js', expect: e(OK, OK, OK, OK, OK, OK, OK) },
];

describe('panel access matrix (real HTTP)', function () {
  let db: TestDatabase;
  let app: RunningApp;
  let world: PanelWorld;
  const clients = new Map<Actor, HttpClient>();

  before(async function () {
    const { startWebApp } = await import('../helpers/web.js');
    db = await createTestDatabase();
    world = await seedPanelWorld(db.pool);
    app = await startWebApp(db.pool);
    clients.set('anonymous', new Client(app.baseUrl));
    clients.set('customerA', await signedIn(app.baseUrl, 'admin', world.a.email));
    clients.set('customerB', await signedIn(app.baseUrl, 'admin', world.b.email));
    clients.set('opsAdmin', await signedIn(app.baseUrl, 'system', world.operatorEmails.admin));
    clients.set('opsViewer', await signedIn(app.baseUrl, 'system', world.operatorEmails.viewer));
    clients.set('opsNocaps', await signedIn(app.baseUrl, 'system', world.operatorEmails.nocaps));
    // Signed in, then deactivated: the open session must stop working at once.
    clients.set('deactivated', await signedIn(app.baseUrl, 'system', world.operatorEmails.deactivated));
    await db.pool.query('UPDATE platform_users SET is_active = false WHERE id = $1', [world.operators.deactivated]);
  });

  after(async () => {
    await app?.close();
  });

  async function check(row: Row, actor: Actor): Promise<void> {
    const client = clients.get(actor);
    if (!client) throw new Error(`no client for ${actor}`);
    const path = row.path(world);
    const response = await client.request(path, { method: row.method, ...(row.method === 'POST' ? { form: {} } : {}) });
    const expected = row.expect[actor];
    const plane = path.startsWith('/system') ? '/system' : '/admin';
    const label = `${actor} ${row.method} ${path} → ${response.status} ${response.headers.get('location') ?? ''}`;
    if (expected === 'login') {
      if (path.includes('/api/') || row.method === 'POST') expect(response.status, label).to.equal(401);
      else {
        expect(response.status, label).to.equal(302);
        expect(response.headers.get('location'), label).to.equal(`${plane}/login`);
      }
    } else if (expected === 'ok') {
      expect(response.status === 200 || response.status === 302, label).to.equal(true);
      if (response.status === 302) expect(response.headers.get('location'), label).to.not.equal(`${plane}/login`);
      if (path.includes('/api/') && response.status === 200) {
        const body = JSON.parse(response.body) as { notice?: { type?: string } };
        // AdminJS's 200-with-error-notice must never pass for "ok".
        expect(body.notice?.type, label).to.not.equal('error');
      }
    } else {
      expect(response.status, label).to.equal(expected);
    }
  }

  for (const [plane, rows] of [['system', systemRows], ['admin', adminRows]] as const) {
    for (const actor of actors) {
      it(`guard of /${plane} answers ${actor} as the matrix says on ${rows.length} routes`, async () => {
        for (const row of rows) await check(row, actor);
      });
    }
  }

  it('guard matrix covers every AdminJS route in both planes (a new route without a row fails here)', async () => {
    const { Router } = await import('adminjs');
    for (const rows of [systemRows, adminRows]) {
      const covered = new Set(rows.map((row) => `${row.method} ${row.template}`));
      for (const route of Router.routes) {
        expect(covered.has(`${route.method} ${route.path}`), `no matrix row for ${route.method} ${route.path}`).to.equal(true);
      }
    }
  });

  it('guard writes an access_denied audit row for a 403', async () => {
    const client = clients.get('opsNocaps');
    if (!client) throw new Error('no client');
    await client.get('/system/api/resources/audit_logs/actions/list');
    const { rows } = await db.pool.query<{ actor_id: number; metadata: { path: string } }>(
      `SELECT actor_id, metadata FROM audit_logs WHERE action = 'auth.access_denied' AND actor_id = $1 ORDER BY id DESC LIMIT 1`,
      [world.operators.nocaps],
    );
    expect(rows[0]?.metadata.path).to.equal('/system/api/resources/audit_logs/actions/list');
  });
});
