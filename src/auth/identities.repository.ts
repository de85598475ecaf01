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

// ---------------------------------------------------------------- operator administration (CLI)

export interface PlatformUserInput {
  email: string;
  name: string;
  capabilities: readonly string[];
  passwordHash: string;
}

/** Creates the operator, or updates name, capabilities and password of an existing one (re-activating it). */
export async function upsertPlatformUser(db: Queryable, input: PlatformUserInput): Promise<{ identity: PlatformIdentity; created: boolean }> {
  const { rows } = await db.query<PlatformRow & { created: boolean }>(
    `INSERT INTO platform_users (email, name, capabilities, password_hash)
     VALUES ($1::text, $2::text, $3::text[], $4::text)
     ON CONFLICT (email) DO UPDATE
       SET name = EXCLUDED.name, capabilities = EXCLUDED.capabilities, password_hash = EXCLUDED.password_hash,
           is_active = true, updated_at = now()
     RETURNING id, email, name, capabilities, is_active, (xmax = 0) AS created`,
    [input.email, input.name, [...input.capabilities], input.passwordHash],
  );
  const row = rows[0]!;
  return { identity: toPlatformIdentity(row), created: row.created };
}

/** Activates or deactivates an operator (a deactivated one loses its open sessions at its next request). */
export async function setPlatformUserActive(db: Queryable, email: string, isActive: boolean): Promise<PlatformIdentity | null> {
  const { rows } = await db.query<PlatformRow>(
    `UPDATE platform_users SET is_active = $2::boolean, updated_at = now() WHERE email = $1::text
     RETURNING id, email, name, capabilities, is_active`,
    [email, isActive],
  );
  return rows[0] ? toPlatformIdentity(rows[0]) : null;
}

export async function listPlatformUsers(db: Queryable): Promise<PlatformIdentity[]> {
  const { rows } = await db.query<PlatformRow>(`${selectPlatform} ORDER BY email`);
  return rows.map(toPlatformIdentity);
}
