// The allowed tenant universe: every tenant but the platform tenant. All tenant look-ups by surfaces go through here.
import type { Queryable } from '../db/pool.js';

export const PLATFORM_TENANT_EXTERNAL_ID = 'platform';

export interface Tenant {
  id: number;
  workspaceId: number;
  externalId: string;
  name: string;
  workspaceName: string;
}

interface TenantRow {
  id: number;
  workspace_id: number;
  external_id: string;
  name: string;
  workspace_name: string;
}

function toTenant(row: TenantRow): Tenant {
  return { id: row.id, workspaceId: row.workspace_id, externalId: row.external_id, name: row.name, workspaceName: row.workspace_name };
}

const selectTenant = `
  SELECT t.id, t.workspace_id, t.external_id, t.name, w.name AS workspace_name
    FROM tenants t JOIN workspaces w ON w.id = t.workspace_id`;

/** The SQL predicate of the allowed universe, for queries that join tenants as `t`. */
export const allowedTenantPredicate = `t.external_id <> '${PLATFORM_TENANT_EXTERNAL_ID}'`;

export async function findAllowedTenantByExternalId(db: Queryable, externalId: string): Promise<Tenant | null> {
  const { rows } = await db.query<TenantRow>(`${selectTenant} WHERE t.external_id = $1::text AND ${allowedTenantPredicate}`, [externalId]);
  return rows[0] ? toTenant(rows[0]) : null;
}

export async function findAllowedTenantById(db: Queryable, id: number): Promise<Tenant | null> {
  const { rows } = await db.query<TenantRow>(`${selectTenant} WHERE t.id = $1::bigint AND ${allowedTenantPredicate}`, [id]);
  return rows[0] ? toTenant(rows[0]) : null;
}

export async function listAllowedTenantIds(db: Queryable): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(`SELECT t.id FROM tenants t WHERE ${allowedTenantPredicate} ORDER BY t.id`);
  return rows.map((row) => row.id);
}

/** Search by name or external id (case-insensitive substring), allowed universe only, name order. */
export async function searchAllowedTenants(db: Queryable, query: string, limit = 20): Promise<Tenant[]> {
  const pattern = `%${query.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  const { rows } = await db.query<TenantRow>(
    `${selectTenant}
      WHERE ${allowedTenantPredicate}
        AND ($1::text = '%%' OR t.name ILIKE $1::text OR t.external_id ILIKE $1::text)
      ORDER BY lower(t.name), t.id
      LIMIT $2::int`,
    [pattern, limit],
  );
  return rows.map(toTenant);
}

export async function findPlatformWorkspaceId(db: Queryable): Promise<number | null> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM workspaces WHERE is_platform LIMIT 1');
  return rows[0]?.id ?? null;
}
