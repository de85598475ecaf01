// A small world for the panel tests: two customer workspaces, the platform tenant, operators of every kind,
// a run with an item, a notification per operator, and one signed-in client per actor.
import { capabilities } from '../../src/auth/capabilities.js';
import type { Queryable } from '../../src/db/pool.js';
import {
  insertFinding,
  insertNotification,
  insertPlatformUser,
  insertRun,
  insertTenant,
  insertUser,
  insertWorkspace,
  TEST_PASSWORD,
} from './fixtures.js';
import { HttpClient } from './http-client.js';

export interface PanelWorld {
  platformWorkspaceId: number;
  platformTenantId: number;
  platformFindingId: number;
  a: { workspaceId: number; tenantId: number; findingId: number; email: string };
  b: { workspaceId: number; tenantId: number; findingId: number; email: string };
  operators: { admin: number; viewer: number; nocaps: number; deactivated: number };
  operatorEmails: { admin: string; viewer: string; nocaps: string; deactivated: string };
  runId: number;
  runItemId: number;
  notifications: { admin: number; viewer: number };
}

export async function seedPanelWorld(db: Queryable): Promise<PanelWorld> {
  const platformWorkspaceId = await insertWorkspace(db, { slug: 'platform', name: 'Platform', is_platform: true });
  const platformTenantId = await insertTenant(db, { workspace_id: platformWorkspaceId, external_id: 'platform', name: 'Platform tenant' });
  const platformFindingId = await insertFinding(db, { tenant_id: platformTenantId, finding_type: 'platform.secret' });
  const side = async (slug: string) => {
    const workspaceId = await insertWorkspace(db, { slug, name: slug.toUpperCase() });
    const tenantId = await insertTenant(db, { workspace_id: workspaceId, external_id: `${slug}-prod`, name: `${slug} production` });
    const findingId = await insertFinding(db, { tenant_id: tenantId, finding_type: `${slug}.only`, severity: 'high', status: 'open' });
    const email = `owner@${slug}.test`;
    await insertUser(db, { workspace_id: workspaceId, email });
    return { workspaceId, tenantId, findingId, email };
  };
  const a = await side('acme');
  const b = await side('globex');
  const operatorEmails = {
    admin: 'ops-admin@atlas.test',
    viewer: 'ops-viewer@atlas.test',
    nocaps: 'ops-nocaps@atlas.test',
    deactivated: 'ops-gone@atlas.test',
  };
  const operators = {
    admin: await insertPlatformUser(db, { email: operatorEmails.admin, capabilities: Object.values(capabilities) }),
    viewer: await insertPlatformUser(db, { email: operatorEmails.viewer, capabilities: [capabilities.opsView, capabilities.runbooksView] }),
    nocaps: await insertPlatformUser(db, { email: operatorEmails.nocaps }),
    deactivated: await insertPlatformUser(db, { email: operatorEmails.deactivated, capabilities: Object.values(capabilities) }),
  };
  const runId = await insertRun(db, { workspace_id: a.workspaceId, tenant_id: a.tenantId, initiator_type: 'platform_user', initiator_platform_user_id: operators.admin, initiator_name: operatorEmails.admin, source: 'system_ui' });
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO operation_run_items (run_id, tenant_id, status, phase, completed_at) VALUES ($1, $2, 'succeeded', 'done', now()) RETURNING id`,
    [runId, a.tenantId],
  );
  const runItemId = rows[0]?.id ?? 0;
  const notifications = {
    admin: await insertNotification(db, { platform_user_id: operators.admin, run_id: runId }),
    viewer: await insertNotification(db, { platform_user_id: operators.viewer, run_id: runId }),
  };
  return { platformWorkspaceId, platformTenantId, platformFindingId, a, b, operators, operatorEmails, runId, runItemId, notifications };
}

/** A client signed in to one plane (asserts the login redirect). */
export async function signedIn(baseUrl: string, plane: 'admin' | 'system', email: string, password = TEST_PASSWORD): Promise<HttpClient> {
  const client = new HttpClient(baseUrl);
  const response = await client.post(`/${plane}/login`, { email, password });
  if (response.status !== 302 || response.headers.get('location') !== `/${plane}`) {
    throw new Error(`login of ${email} to /${plane} failed: ${response.status}`);
  }
  return client;
}
