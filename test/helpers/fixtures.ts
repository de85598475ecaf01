// Small row factories for tests: each inserts one row from defaults plus overrides and returns its id.
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../src/auth/passwords.js';
import type { Queryable } from '../../src/db/pool.js';

function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

async function insertRow(db: Queryable, table: string, row: Record<string, unknown>): Promise<number> {
  const columns = Object.keys(row);
  const values = Object.values(row).map((value) =>
    value !== null && typeof value === 'object' && !(value instanceof Date) && !Array.isArray(value) ? JSON.stringify(value) : value,
  );
  const placeholders = columns.map((_, index) => `$${index + 1}`);
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING id`,
    values,
  );
  const id = rows[0]?.id;
  if (id === undefined) throw new Error(`insert into ${table} returned no id`);
  return id;
}

export const TEST_PASSWORD = 'correct horse battery staple';

export async function insertWorkspace(db: Queryable, overrides: Record<string, unknown> = {}): Promise<number> {
  const slug = unique('ws');
  return insertRow(db, 'workspaces', { slug, name: `Workspace ${slug}`, is_platform: false, ...overrides });
}

export async function insertTenant(db: Queryable, overrides: Record<string, unknown> & { workspace_id: number }): Promise<number> {
  const externalId = unique('tenant');
  return insertRow(db, 'tenants', { external_id: externalId, name: `Tenant ${externalId}`, ...overrides });
}

/** A customer user; `password` (default TEST_PASSWORD) is hashed. */
export async function insertUser(
  db: Queryable,
  overrides: Record<string, unknown> & { workspace_id: number; password?: string },
): Promise<number> {
  const { password = TEST_PASSWORD, ...rest } = overrides;
  return insertRow(db, 'users', {
    email: `${unique('user')}@customer.test`,
    name: 'Customer User',
    password_hash: await hashPassword(password),
    ...rest,
  });
}

/** A platform operator; `password` (default TEST_PASSWORD) is hashed. */
export async function insertPlatformUser(
  db: Queryable,
  overrides: Record<string, unknown> & { password?: string; capabilities?: readonly string[] } = {},
): Promise<number> {
  const { password = TEST_PASSWORD, capabilities = [], ...rest } = overrides;
  return insertRow(db, 'platform_users', {
    email: `${unique('operator')}@atlas.test`,
    name: 'Operator',
    password_hash: await hashPassword(password),
    capabilities: [...capabilities],
    ...rest,
  });
}

export async function insertFinding(db: Queryable, overrides: Record<string, unknown> & { tenant_id: number }): Promise<number> {
  return insertRow(db, 'findings', {
    finding_type: 'drift.config',
    severity: 'medium',
    fingerprint: unique('fp'),
    status: 'new',
    ...overrides,
  });
}

/** A completed single-tenant run by default. */
export async function insertRun(
  db: Queryable,
  overrides: Record<string, unknown> & { workspace_id: number; tenant_id: number | null },
): Promise<number> {
  const completed = (overrides.status ?? 'completed') === 'completed';
  return insertRow(db, 'operation_runs', {
    type: 'findings.lifecycle.backfill',
    scope: overrides.tenant_id === null ? 'all_tenants' : 'single_tenant',
    status: 'completed',
    outcome: completed ? 'succeeded' : 'pending',
    completed_at: completed ? new Date() : null,
    initiator_type: 'cli',
    initiator_name: 'test',
    source: 'cli',
    reason: 'test fixture run',
    ...overrides,
  });
}

export async function insertNotification(
  db: Queryable,
  overrides: Record<string, unknown> & { platform_user_id: number; run_id: number },
): Promise<number> {
  return insertRow(db, 'notifications', { type: 'OperationRunCompleted', data: {}, ...overrides });
}
