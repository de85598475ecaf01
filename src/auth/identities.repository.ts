// SQL for the two kinds of people who sign in: platform operators (/system) and customer users (/admin).
import type { Queryable } from '../db/pool.js';

export interface PlatformIdentity {
  id: number;
  email: string;
  name: string;
  capabilities: string[];
  isActive: boolean;
}

export interface CustomerIdentity {
  id: number;
  email: string;
  name: string;
  workspaceId: number;
  workspaceName: string;
  isActive: boolean;
}

interface PlatformRow {
  id: number;
  email: string;
  name: string;
  capabilities: string[];
  is_active: boolean;
}

interface CustomerRow {
  id: number;
  email: string;
  name: string;
  workspace_id: number;
  workspace_name: string;
  is_active: boolean;
}

function toPlatformIdentity(row: PlatformRow): PlatformIdentity {
  return { id: row.id, email: row.email, name: row.name, capabilities: row.capabilities, isActive: row.is_active };
}

function toCustomerIdentity(row: CustomerRow): CustomerIdentity {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    workspaceId: row.workspace_id,
    workspaceName: row.workspace_name,
    isActive: row.is_active,
  };
}

const selectPlatform = 'SELECT id, email, name, capabilities, is_active FROM platform_users';

/** The operator and its password hash, for login only. */
export async function findPlatformCredentials(
  db: Queryable,
  email: string,
): Promise<{ identity: PlatformIdentity; passwordHash: string } | null> {
  const { rows } = await db.query<PlatformRow & { password_hash: string }>(
    'SELECT id, email, name, capabilities, is_active, password_hash FROM platform_users WHERE email = $1::text',
    [email],
  );
  const row = rows[0];
  return row ? { identity: toPlatformIdentity(row), passwordHash: row.password_hash } : null;
}

export async function findPlatformIdentity(db: Queryable, id: number): Promise<PlatformIdentity | null> {
  const { rows } = await db.query<PlatformRow>(`${selectPlatform} WHERE id = $1::bigint`, [id]);
  return rows[0] ? toPlatformIdentity(rows[0]) : null;
}

// Customer users of the platform workspace do not exist as customers: the join keeps them out.
const selectCustomer = `
  SELECT u.id, u.email, u.name, u.workspace_id, w.name AS workspace_name, u.is_active
    FROM users u JOIN workspaces w ON w.id = u.workspace_id AND NOT w.is_platform`;

export async function findCustomerCredentials(
  db: Queryable,
  email: string,
): Promise<{ identity: CustomerIdentity; passwordHash: string } | null> {
  const { rows } = await db.query<CustomerRow & { password_hash: string }>(
    `SELECT u.id, u.email, u.name, u.workspace_id, w.name AS workspace_name, u.is_active, u.password_hash
       FROM users u JOIN workspaces w ON w.id = u.workspace_id AND NOT w.is_platform
      WHERE u.email = $1::text`,
    [email],
  );
  const row = rows[0];
  return row ? { identity: toCustomerIdentity(row), passwordHash: row.password_hash } : null;
}

export async function findCustomerIdentity(db: Queryable, id: number): Promise<CustomerIdentity | null> {
  const { rows } = await db.query<CustomerRow>(`${selectCustomer} WHERE u.id = $1::bigint`, [id]);
  return rows[0] ? toCustomerIdentity(rows[0]) : null;
}
