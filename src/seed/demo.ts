// Demo data: workspaces, tenants, operators, customer users and findings that every lifecycle rule (R1–R9) would change.
// Deterministic: a seeded PRNG and a fixed base time, so two fresh databases get byte-identical findings.
import { createHash } from 'node:crypto';
import { allCapabilities, capabilities, type Capability } from '../auth/capabilities.js';
import { hashPassword } from '../auth/passwords.js';
import { withTransaction, type Pool, type Queryable, type Tx } from '../db/pool.js';
import { PLATFORM_TENANT_EXTERNAL_ID } from '../tenants/tenants.repository.js';
import { createPrng, type Prng } from './prng.js';

export const DEMO_PASSWORD = 'atlas-demo-password';
/** Every demo timestamp is derived from this instant, never from now(). */
export const DEMO_BASE_TIME = new Date('2026-01-01T00:00:00Z');
export const DEMO_SEED = 20260101;
/** Serializes concurrent demo seeders (two processes starting at once on an empty database). */
const DEMO_SEED_LOCK_KEY = 0x61746c73; // "atls"

export type Plane = 'system' | 'admin';

export interface DemoLogin {
  email: string;
  plane: Plane;
  /** Customer workspace slug for `/admin` users; null for operators. */
  workspace: string | null;
  capabilities: readonly Capability[];
  isActive: boolean;
  /** One line for the README and the start-up banner. */
  canDo: string;
}

export const demoLogins: readonly DemoLogin[] = [
  {
    email: 'ops-admin@atlas.test',
    plane: 'system',
    workspace: null,
    capabilities: allCapabilities,
    isActive: true,
    canDo: 'every platform capability: view runs, view the catalog and preflight, start and cancel runs',
  },
  {
    email: 'ops-viewer@atlas.test',
    plane: 'system',
    workspace: null,
    capabilities: [capabilities.opsView, capabilities.runbooksView],
    isActive: true,
    canDo: 'view runs, the runbook catalog and preflights; cannot start or cancel',
  },
  {
    email: 'ops-nocaps@atlas.test',
    plane: 'system',
    workspace: null,
    capabilities: [],
    isActive: true,
    canDo: 'signs in, has no capability: every ops page answers 403',
  },
  {
    email: 'ops-inactive@atlas.test',
    plane: 'system',
    workspace: null,
    capabilities: [capabilities.opsView],
    isActive: false,
    canDo: 'deactivated operator: sign-in is refused',
  },
  {
    email: 'owner@acme.test',
    plane: 'admin',
    workspace: 'acme',
    capabilities: [],
    isActive: true,
    canDo: 'customer user of workspace acme: sees only acme tenants and findings',
  },
  {
    email: 'owner@globex.test',
    plane: 'admin',
    workspace: 'globex',
    capabilities: [],
    isActive: true,
    canDo: 'customer user of workspace globex: sees only globex tenants and findings',
  },
];

interface DemoWorkspace {
  slug: string;
  name: string;
  isPlatform: boolean;
  tenants: { externalId: string; name: string }[];
}

const demoWorkspaces: readonly DemoWorkspace[] = [
  { slug: 'platform', name: 'Atlas Platform', isPlatform: true, tenants: [{ externalId: PLATFORM_TENANT_EXTERNAL_ID, name: 'Platform' }] },
  {
    slug: 'acme',
    name: 'Acme Corporation',
    isPlatform: false,
    tenants: [
      { externalId: 'acme-prod', name: 'Acme Production' },
      { externalId: 'acme-staging', name: 'Acme Staging' },
      { externalId: 'acme-eu', name: 'Acme Europe' },
      { externalId: 'acme-us', name: 'Acme United States' },
      { externalId: 'acme-dev', name: 'Acme Development' },
    ],
  },
  {
    slug: 'globex',
    name: 'Globex',
    isPlatform: false,
    tenants: [
      { externalId: 'globex-prod', name: 'Globex Production' },
      { externalId: 'globex-staging', name: 'Globex Staging' },
      { externalId: 'globex-apac', name: 'Globex Asia Pacific' },
      { externalId: 'globex-labs', name: 'Globex Labs' },
    ],
  },
  {
    slug: 'initech',
    name: 'Initech',
    isPlatform: false,
    tenants: [
      { externalId: 'initech-main', name: 'Initech Main' },
      { externalId: 'initech-billing', name: 'Initech Billing' },
      { externalId: 'initech-sandbox', name: 'Initech Sandbox' },
    ],
  },
  {
    slug: 'umbrella',
    name: 'Umbrella',
    isPlatform: false,
    tenants: [
      { externalId: 'umbrella-research', name: 'Umbrella Research' },
      { externalId: 'umbrella-ops', name: 'Umbrella Operations' },
    ],
  },
];

export interface DemoSummary {
  /** False when demo data was already there and nothing was written. */
  seeded: boolean;
  workspaces: number;
  tenants: number;
  platformUsers: number;
  users: number;
  findings: number;
}

/** True when the database holds no workspace at all (a fresh install). */
export async function isDatabaseEmpty(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM workspaces) AS empty');
  return rows[0]?.empty ?? true;
}

// ---------------------------------------------------------------------------------------------------------------
// Findings generation (in memory, then one set-based INSERT … SELECT FROM unnest)

type Severity = 'low' | 'medium' | 'high' | 'critical';
const slaDaysBySeverity: Record<Severity, number> = { critical: 3, high: 7, medium: 14, low: 30 };
const severities: readonly Severity[] = ['low', 'low', 'medium', 'medium', 'medium', 'high', 'high', 'critical'];
const modernStatuses = ['new', 'new', 'new', 'triaged', 'triaged', 'in_progress', 'reopened', 'resolved', 'resolved', 'resolved', 'closed', 'closed', 'risk_accepted'] as const;
const legacyStatuses = ['open', 'open', 'open', 'acknowledged', 'acknowledged', 'fixed', 'fixed', 'ignored'] as const;
/** Open after R1 (open → new, acknowledged → triaged): what R9 groups. */
const openishStatuses = ['open', 'new', 'acknowledged', 'triaged', 'in_progress', 'reopened'] as const;
const findingTypes = [
  { type: 'public_bucket', subject: 'bucket' },
  { type: 'open_port', subject: 'host' },
  { type: 'weak_tls', subject: 'domain' },
  { type: 'mfa_disabled', subject: 'user' },
  { type: 'stale_access_key', subject: 'user' },
  { type: 'vulnerable_package', subject: 'repository' },
  { type: 'admin_without_review', subject: 'role' },
] as const;
const closedReasons = ['resolved', 'false_positive', 'obsolete', 'accepted'] as const;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface FindingRow {
  tenant: string;
  findingType: string;
  severity: Severity;
  fingerprint: string;
  recurrenceKey: string | null;
  status: string;
  subjectType: string;
  subjectExternalId: string;
  evidence: string;
  firstSeenAt: number | null;
  lastSeenAt: number | null;
  timesSeen: number | null;
  slaDays: number | null;
  dueAt: number | null;
  resolvedAt: number | null;
  closedAt: number | null;
  closedReason: string | null;
  createdAt: number;
  updatedAt: number;
}

function fingerprintOf(label: string): string {
  return createHash('sha256').update(`atlas-demo:${label}`).digest('hex').slice(0, 32);
}

/** A finding with a complete lifecycle: no rule R1–R9 changes it (unless it is later made legacy). */
function completeFinding(rng: Prng, tenant: string, serial: number): FindingRow {
  const kind = rng.pick(findingTypes);
  const severity = rng.pick(severities);
  const status: string = rng.pick(modernStatuses);
  const fingerprint = fingerprintOf(`${tenant}:${serial}`);
  const createdAt = DEMO_BASE_TIME.getTime() - rng.int(2, 200) * DAY - rng.int(0, 23) * HOUR;
  const firstSeenAt = createdAt;
  const lastSeenAt = Math.min(DEMO_BASE_TIME.getTime() - HOUR, firstSeenAt + rng.int(0, 60) * DAY + rng.int(0, 23) * HOUR);
  const slaDays = slaDaysBySeverity[severity];
  // Terminal times fall between the last sighting and the base time: no demo timestamp lies after it.
  const terminalAt = Math.min(DEMO_BASE_TIME.getTime(), lastSeenAt + rng.int(1, 48) * HOUR);
  const resolvedAt = status === 'resolved' ? terminalAt : null;
  const closedAt = status === 'closed' ? terminalAt : null;
  return {
    tenant,
    findingType: kind.type,
    severity,
    fingerprint,
    recurrenceKey: fingerprint,
    status,
    subjectType: kind.subject,
    subjectExternalId: `${kind.subject}-${rng.int(1, 400)}`,
    evidence: JSON.stringify({ scanner: rng.pick(['atlas-scan', 'cloud-audit', 'dep-check']), score: rng.int(1, 100) }),
    firstSeenAt,
    lastSeenAt,
    timesSeen: rng.int(1, 40),
    slaDays,
    dueAt: firstSeenAt + slaDays * DAY,
    resolvedAt,
    closedAt,
    closedReason: status === 'closed' ? rng.pick(closedReasons) : null,
    createdAt,
    updatedAt: Math.max(lastSeenAt, resolvedAt ?? 0, closedAt ?? 0),
  };
}

/** Strips a complete finding back to what rows from before the lifecycle model look like, defect by defect. */
function legacyFinding(rng: Prng, tenant: string, serial: number): FindingRow {
  const row = completeFinding(rng, tenant, serial);
  if (rng.chance(0.6)) row.status = rng.pick(legacyStatuses);
  if (rng.chance(0.5)) row.firstSeenAt = null;
  const lastSeenRoll = rng.next();
  if (lastSeenRoll < 0.35) row.lastSeenAt = null;
  else if (lastSeenRoll < 0.5) row.lastSeenAt = (row.firstSeenAt ?? row.createdAt) - rng.int(1, 72) * HOUR;
  const timesSeenRoll = rng.next();
  if (timesSeenRoll < 0.25) row.timesSeen = null;
  else if (timesSeenRoll < 0.4) row.timesSeen = 0;
  if (rng.chance(0.55)) row.recurrenceKey = null;
  if (rng.chance(0.55)) row.slaDays = null;
  if (rng.chance(0.5)) row.dueAt = null;
  const isResolved = row.status === 'resolved' || row.status === 'fixed';
  row.resolvedAt = isResolved && rng.chance(0.5) ? row.updatedAt : null;
  row.closedAt = row.status === 'closed' && rng.chance(0.5) ? row.updatedAt : null;
  if (row.status !== 'closed') row.closedReason = null;
  return row;
}

/**
 * Open findings of one tenant sharing a fingerprint (R9 merges them). `withTie` gives two members the same first
 * seen, so the lowest id must win; some members lack a recurrence key (R5 supplies it) or a first seen (R2).
 */
function duplicateGroup(rng: Prng, tenant: string, label: string, size: number, withTie: boolean): FindingRow[] {
  const fingerprint = fingerprintOf(`${tenant}:dup:${label}`);
  const kind = rng.pick(findingTypes);
  const severity = rng.pick(severities);
  const subjectExternalId = `${kind.subject}-${rng.int(1, 400)}`;
  const tieAt = DEMO_BASE_TIME.getTime() - rng.int(20, 90) * DAY;
  const rows: FindingRow[] = [];
  for (let member = 0; member < size; member++) {
    const createdAt = withTie && member < 2 ? tieAt : DEMO_BASE_TIME.getTime() - rng.int(3, 120) * DAY - rng.int(0, 23) * HOUR;
    const firstSeenAt = member === 2 && rng.chance(0.5) ? null : createdAt;
    const lastSeenAt = rng.chance(0.3) ? null : Math.min(DEMO_BASE_TIME.getTime(), createdAt + rng.int(0, 10) * DAY);
    rows.push({
      tenant,
      findingType: kind.type,
      severity,
      fingerprint,
      recurrenceKey: rng.chance(0.5) ? null : fingerprint,
      status: rng.pick(openishStatuses),
      subjectType: kind.subject,
      subjectExternalId,
      evidence: JSON.stringify({ scanner: 'atlas-scan', duplicateOf: label }),
      firstSeenAt,
      lastSeenAt,
      timesSeen: rng.chance(0.2) ? null : rng.int(1, 9),
      slaDays: rng.chance(0.5) ? null : slaDaysBySeverity[severity],
      dueAt: null,
      resolvedAt: null,
      closedAt: null,
      closedReason: null,
      createdAt,
      updatedAt: Math.min(DEMO_BASE_TIME.getTime(), createdAt + rng.int(0, 5) * DAY),
    });
  }
  return rows;
}

/** All demo findings, in insertion (id) order. */
function buildDemoFindings(seed = DEMO_SEED): FindingRow[] {
  const rng = createPrng(seed);
  const rows: FindingRow[] = [];
  let serial = 0;
  for (const workspace of demoWorkspaces) {
    for (const tenant of workspace.tenants) {
      const isPlatform = workspace.isPlatform;
      const count = isPlatform ? 60 : rng.int(150, 260);
      const tenantRows: FindingRow[] = [];
      for (let n = 0; n < count; n++) {
        serial++;
        tenantRows.push(rng.chance(0.45) ? legacyFinding(rng, tenant.externalId, serial) : completeFinding(rng, tenant.externalId, serial));
      }
      const groups = isPlatform ? 1 : workspace.slug === 'acme' || workspace.slug === 'globex' ? 3 : 2;
      for (let group = 0; group < groups; group++) {
        const members = duplicateGroup(rng, tenant.externalId, `g${group}`, rng.int(2, 4), group === 0);
        // Spread the members through the tenant's rows, so ids within a group are not consecutive.
        for (const member of members) tenantRows.splice(rng.int(0, tenantRows.length), 0, member);
      }
      // A resolved finding sharing a group's fingerprint: not open, so R9 must leave it out of the group.
      const outsider = completeFinding(rng, tenant.externalId, ++serial);
      outsider.fingerprint = fingerprintOf(`${tenant.externalId}:dup:g0`);
      outsider.recurrenceKey = outsider.fingerprint;
      outsider.status = 'resolved';
      outsider.resolvedAt = outsider.updatedAt;
      outsider.closedAt = null;
      outsider.closedReason = null;
      tenantRows.splice(rng.int(0, tenantRows.length), 0, outsider);
      rows.push(...tenantRows);
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Inserts

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

async function insertFindings(tx: Tx, rows: FindingRow[]): Promise<number> {
  const column = <K extends keyof FindingRow>(key: K) => rows.map((row) => row[key]);
  const result = await tx.query(
    `INSERT INTO findings (tenant_id, finding_type, severity, fingerprint, recurrence_key, status, subject_type,
                           subject_external_id, evidence, first_seen_at, last_seen_at, times_seen, sla_days, due_at,
                           resolved_at, closed_at, closed_reason, created_at, updated_at)
     SELECT t.id, r.finding_type, r.severity, r.fingerprint, r.recurrence_key, r.status, r.subject_type,
            r.subject_external_id, r.evidence, r.first_seen_at, r.last_seen_at, r.times_seen, r.sla_days, r.due_at,
            r.resolved_at, r.closed_at, r.closed_reason, r.created_at, r.updated_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                   $9::jsonb[], $10::timestamptz[], $11::timestamptz[], $12::int[], $13::int[], $14::timestamptz[],
                   $15::timestamptz[], $16::timestamptz[], $17::text[], $18::timestamptz[], $19::timestamptz[])
            WITH ORDINALITY AS r(tenant, finding_type, severity, fingerprint, recurrence_key, status, subject_type,
                                 subject_external_id, evidence, first_seen_at, last_seen_at, times_seen, sla_days, due_at,
                                 resolved_at, closed_at, closed_reason, created_at, updated_at, ord)
       JOIN tenants t ON t.external_id = r.tenant
      ORDER BY r.ord`,
    [
      column('tenant'),
      column('findingType'),
      column('severity'),
      column('fingerprint'),
      column('recurrenceKey'),
      column('status'),
      column('subjectType'),
      column('subjectExternalId'),
      column('evidence'),
      rows.map((row) => iso(row.firstSeenAt)),
      rows.map((row) => iso(row.lastSeenAt)),
      column('timesSeen'),
      column('slaDays'),
      rows.map((row) => iso(row.dueAt)),
      rows.map((row) => iso(row.resolvedAt)),
      rows.map((row) => iso(row.closedAt)),
      column('closedReason'),
      rows.map((row) => iso(row.createdAt)),
      rows.map((row) => iso(row.updatedAt)),
    ],
  );
  return result.rowCount ?? 0;
}

async function insertWorkspacesAndTenants(tx: Tx): Promise<{ workspaces: number; tenants: number }> {
  const base = DEMO_BASE_TIME.getTime();
  const workspaces = await tx.query(
    `INSERT INTO workspaces (slug, name, is_platform, created_at)
     SELECT w.slug, w.name, w.is_platform, w.created_at
       FROM unnest($1::text[], $2::text[], $3::boolean[], $4::timestamptz[]) WITH ORDINALITY AS w(slug, name, is_platform, created_at, ord)
      ORDER BY w.ord`,
    [
      demoWorkspaces.map((w) => w.slug),
      demoWorkspaces.map((w) => w.name),
      demoWorkspaces.map((w) => w.isPlatform),
      demoWorkspaces.map((_w, index) => iso(base - (400 - index) * DAY)),
    ],
  );
  const tenants = demoWorkspaces.flatMap((w) => w.tenants.map((t) => ({ ...t, workspace: w.slug })));
  const inserted = await tx.query(
    `INSERT INTO tenants (workspace_id, external_id, name, created_at)
     SELECT w.id, t.external_id, t.name, t.created_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS t(workspace, external_id, name, created_at, ord)
       JOIN workspaces w ON w.slug = t.workspace
      ORDER BY t.ord`,
    [
      tenants.map((t) => t.workspace),
      tenants.map((t) => t.externalId),
      tenants.map((t) => t.name),
      tenants.map((_t, index) => iso(base - (365 - index) * DAY)),
    ],
  );
  return { workspaces: workspaces.rowCount ?? 0, tenants: inserted.rowCount ?? 0 };
}

function displayNameOf(email: string): string {
  const local = email.split('@')[0] ?? email;
  return local
    .split(/[-.]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join(' ');
}

async function insertUsers(tx: Tx, passwordHash: string): Promise<{ platformUsers: number; users: number }> {
  const createdAt = iso(DEMO_BASE_TIME.getTime() - 300 * DAY);
  const operators = demoLogins.filter((login) => login.plane === 'system');
  const customers = demoLogins.filter((login) => login.plane === 'admin');
  const platformUsers = await tx.query(
    `INSERT INTO platform_users (email, name, password_hash, capabilities, is_active, created_at, updated_at)
     SELECT u.email, u.name, $3::text, string_to_array(u.capabilities, ',')::text[], u.is_active, $5::timestamptz, $5::timestamptz
       FROM unnest($1::text[], $2::text[], $4::text[], $6::boolean[]) WITH ORDINALITY AS u(email, name, capabilities, is_active, ord)
      ORDER BY u.ord`,
    [
      operators.map((login) => login.email),
      operators.map((login) => displayNameOf(login.email)),
      passwordHash,
      operators.map((login) => login.capabilities.join(',')),
      createdAt,
      operators.map((login) => login.isActive),
    ],
  );
  const users = await tx.query(
    `INSERT INTO users (workspace_id, email, name, password_hash, is_active, created_at)
     SELECT w.id, u.email, u.name, $4::text, u.is_active, $5::timestamptz
       FROM unnest($1::text[], $2::text[], $3::text[], $6::boolean[]) WITH ORDINALITY AS u(workspace, email, name, is_active, ord)
       JOIN workspaces w ON w.slug = u.workspace
      ORDER BY u.ord`,
    [
      customers.map((login) => login.workspace ?? ''),
      customers.map((login) => login.email),
      customers.map((login) => displayNameOf(login.email)),
      passwordHash,
      createdAt,
      customers.map((login) => login.isActive),
    ],
  );
  return { platformUsers: platformUsers.rowCount ?? 0, users: users.rowCount ?? 0 };
}

/** Demo data is present (or in the way) when any demo workspace, the platform tenant or a demo login exists. */
async function hasDemoData(tx: Tx): Promise<boolean> {
  const { rows } = await tx.query<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM workspaces WHERE slug = ANY($1::text[]) OR is_platform)
         OR EXISTS (SELECT 1 FROM tenants WHERE external_id = $2::text)
         OR EXISTS (SELECT 1 FROM platform_users WHERE email = ANY($3::text[]))
         OR EXISTS (SELECT 1 FROM users WHERE email = ANY($3::text[])) AS present`,
    [demoWorkspaces.map((w) => w.slug), PLATFORM_TENANT_EXTERNAL_ID, demoLogins.map((login) => login.email)],
  );
  return rows[0]?.present ?? false;
}

async function countAll(db: Queryable): Promise<Omit<DemoSummary, 'seeded'>> {
  const { rows } = await db.query<Omit<DemoSummary, 'seeded'>>(
    `SELECT (SELECT count(*)::int FROM workspaces) AS workspaces, (SELECT count(*)::int FROM tenants) AS tenants,
            (SELECT count(*)::int FROM platform_users) AS "platformUsers", (SELECT count(*)::int FROM users) AS users,
            (SELECT count(*)::int FROM findings) AS findings`,
  );
  const counts = rows[0];
  if (!counts) throw new Error('count query returned no row');
  return counts;
}

/**
 * Writes the demo data in one transaction. Idempotent: when demo data is already there it writes nothing and
 * returns `seeded: false` with the database's current counts.
 */
export async function seedDemoData(pool: Pool): Promise<DemoSummary> {
  // One slow hash reused by every demo login: seeding stays fast at the production bcrypt cost.
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const findings = buildDemoFindings();
  return withTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [DEMO_SEED_LOCK_KEY]);
    if (await hasDemoData(tx)) return { seeded: false, ...(await countAll(tx)) };
    const { workspaces, tenants } = await insertWorkspacesAndTenants(tx);
    const { platformUsers, users } = await insertUsers(tx, passwordHash);
    const inserted = await insertFindings(tx, findings);
    return { seeded: true, workspaces, tenants, platformUsers, users, findings: inserted };
  });
}
