// Large legacy-shaped datasets for benchmarks: N tenants × M findings with set-based SQL (generate_series).
// Every value derives from the row number and the seed with integer hashing (no random()), so a seed always
// yields the same data; about 5% of each tenant's findings fall into open duplicate groups, so R1–R9 all fire.
import { ValidationError } from '../errors.js';
import { withTransaction, type Pool, type Tx } from '../db/pool.js';

export interface LargeDatasetOptions {
  tenants: number;
  findingsPerTenant: number;
  seed: number;
}

export interface LargeDatasetResult {
  /** Prefix of every tenant external id created (`bench-<seed>-`). */
  prefix: string;
  workspaces: number;
  tenants: number;
  findings: number;
  ms: number;
}

export const largeDatasetLimits = {
  maxTenants: 100_000,
  maxFindingsPerTenant: 1_000_000,
  maxFindings: 50_000_000,
  maxSeed: 2_147_483_647,
} as const;

const TENANTS_PER_WORKSPACE = 250;
/** Base time of every generated timestamp: data does not depend on when it was generated. */
const BASE_TIME = '2026-01-01T00:00:00Z';

function wholeNumber(value: number, name: string, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError(`${name} must be a whole number between ${min} and ${max}, got ${String(value)}.`, name);
  }
}

export function validateLargeDatasetOptions(options: LargeDatasetOptions): void {
  wholeNumber(options.tenants, 'tenants', 1, largeDatasetLimits.maxTenants);
  wholeNumber(options.findingsPerTenant, 'findingsPerTenant', 1, largeDatasetLimits.maxFindingsPerTenant);
  wholeNumber(options.seed, 'seed', 0, largeDatasetLimits.maxSeed);
  if (options.tenants * options.findingsPerTenant > largeDatasetLimits.maxFindings) {
    throw new ValidationError(`tenants × findingsPerTenant must stay at or below ${largeDatasetLimits.maxFindings}.`, 'findingsPerTenant');
  }
}

/**
 * A well-mixed 16-bit value for row `i` and stream `k`: Knuth's multiplicative hash, high bits kept.
 * The modulo before multiplying keeps the product inside bigint.
 */
function hash(k: number): string {
  return `((((n.i + ${k * 1_000_003} + $4::bigint * 7919) % 2147483648) * 2654435761) % 4294967296 / 65536)`;
}

const STATUSES = `(ARRAY['open','open','acknowledged','fixed','ignored','new','triaged','in_progress','reopened','resolved','closed','risk_accepted'])`;
const OPENISH_STATUSES = `(ARRAY['open','new','acknowledged','triaged','in_progress','reopened'])`;
const SEVERITIES = `(ARRAY['low','medium','high','critical'])`;
const SLA_DAYS = `(ARRAY[30,14,7,3])`;
const FINDING_TYPES = `(ARRAY['public_bucket','open_port','weak_tls','mfa_disabled','stale_access_key','vulnerable_package'])`;
const SUBJECT_TYPES = `(ARRAY['bucket','host','domain','user','user','repository'])`;

/**
 * One INSERT … SELECT over generate_series. Parameters: $1 tenant ids (in tenant order), $2 findings per tenant,
 * $3 total rows, $4 seed, $5 base time. A row is a duplicate-group member when (j % 20) = 7 (5%), in one of
 * max(1, M / 100) groups per tenant; in every other group the first two members share their first seen
 * (a tie R9 breaks by lowest id).
 */
const insertFindingsSql = `
INSERT INTO findings (tenant_id, finding_type, severity, fingerprint, recurrence_key, status, subject_type, subject_external_id,
                      evidence, first_seen_at, last_seen_at, times_seen, sla_days, due_at, resolved_at, closed_at, closed_reason,
                      created_at, updated_at)
SELECT ($1::bigint[])[d.t + 1], ${FINDING_TYPES}[d.kind + 1], ${SEVERITIES}[d.sev + 1], d.fingerprint,
       CASE WHEN d.h_recur < (CASE WHEN d.is_dup THEN 5 ELSE 6 END) THEN NULL ELSE d.fingerprint END,
       d.status, ${SUBJECT_TYPES}[d.kind + 1], ${SUBJECT_TYPES}[d.kind + 1] || '-' || d.subject_no,
       jsonb_build_object('scanner', 'bench', 'score', d.subject_no % 100),
       d.first_seen_at,
       CASE WHEN d.h_last < 3 THEN NULL
            WHEN d.h_last < 5 THEN coalesce(d.first_seen_at, d.created_at) - (1 + d.subject_no % 72) * interval '1 hour'
            ELSE coalesce(d.first_seen_at, d.created_at) + (d.subject_no % 1000) * interval '1 hour' END,
       CASE WHEN d.h_times < 2 THEN NULL WHEN d.h_times = 2 THEN 0 ELSE 1 + d.subject_no % 30 END,
       CASE WHEN d.h_sla < 6 THEN NULL ELSE ${SLA_DAYS}[d.sev + 1] END,
       CASE WHEN d.h_due < 6 THEN NULL ELSE coalesce(d.first_seen_at, d.created_at) + ${SLA_DAYS}[d.sev + 1] * interval '1 day' END,
       CASE WHEN d.status IN ('resolved', 'fixed') AND d.h_terminal = 1 THEN d.updated_at END,
       CASE WHEN d.status = 'closed' AND d.h_terminal = 1 THEN d.updated_at END,
       CASE WHEN d.status = 'closed' THEN 'resolved' END,
       d.created_at, d.updated_at
  FROM generate_series(0, $3::bigint - 1) AS n(i)
 CROSS JOIN LATERAL (
   SELECT n.i / $2::bigint AS t, n.i % $2::bigint AS j, (n.i % $2::bigint) % 20 = 7 AS is_dup,
          greatest(1, $2::bigint / 100) AS groups,
          ${hash(1)} % 4 AS sev, ${hash(2)} % 6 AS kind, ${hash(3)} AS subject_no,
          ${hash(4)} % 10 AS h_recur, ${hash(5)} % 10 AS h_last, ${hash(6)} % 10 AS h_times, ${hash(7)} % 10 AS h_sla,
          ${hash(8)} % 10 AS h_due, ${hash(9)} % 2 AS h_terminal, ${hash(10)} AS h_status, ${hash(11)} % 10 AS h_first,
          $5::timestamptz - (${hash(12)} * 240) * interval '1 second' AS created_at,
          ${hash(13)} * 40 * interval '1 second' AS age
 ) AS h
 CROSS JOIN LATERAL (
   SELECT h.t, h.is_dup, h.sev, h.kind, h.subject_no, h.h_recur, h.h_last, h.h_times, h.h_sla, h.h_due, h.h_terminal,
          h.created_at, h.created_at + h.age AS updated_at,
          CASE WHEN h.is_dup THEN 'bench-' || $4::bigint || '-t' || h.t || '-dup-' || (h.j / 20) % h.groups
               ELSE 'bench-' || $4::bigint || '-' || n.i END AS fingerprint,
          CASE WHEN h.is_dup THEN ${OPENISH_STATUSES}[h.h_status % 6 + 1] ELSE ${STATUSES}[h.h_status % 12 + 1] END AS status,
          CASE WHEN h.is_dup AND h.j / 20 / h.groups < 2 AND (h.j / 20) % h.groups % 2 = 0 THEN $5::timestamptz - (10 + (h.j / 20) % h.groups) * interval '1 day'
               WHEN h.h_first < 5 THEN NULL
               ELSE h.created_at END AS first_seen_at
 ) AS d`;

async function insertWorkspacesAndTenants(tx: Tx, options: LargeDatasetOptions, prefix: string): Promise<{ workspaces: number; tenantIds: number[] }> {
  const workspaceCount = Math.ceil(options.tenants / TENANTS_PER_WORKSPACE);
  const workspaces = await tx.query(
    `INSERT INTO workspaces (slug, name, created_at)
     SELECT $1::text || 'w' || lpad(w::text, 3, '0'), 'Bench seed ' || $2::bigint || ' workspace ' || w, $3::timestamptz
       FROM generate_series(1, $4::int) AS w`,
    [prefix, options.seed, BASE_TIME, workspaceCount],
  );
  const tenants = await tx.query<{ id: number }>(
    `INSERT INTO tenants (workspace_id, external_id, name, created_at)
     SELECT w.id, $1::text || lpad(t::text, 6, '0'), 'Bench ' || $2::bigint || ' tenant ' || lpad(t::text, 6, '0'), $3::timestamptz
       FROM generate_series(1, $4::int) AS t
       JOIN workspaces w ON w.slug = $1::text || 'w' || lpad(((t - 1) / $5::int + 1)::text, 3, '0')
      ORDER BY t
     RETURNING id, external_id`,
    [prefix, options.seed, BASE_TIME, options.tenants, TENANTS_PER_WORKSPACE],
  );
  const rows = tenants.rows as { id: number; external_id: string }[];
  rows.sort((a, b) => (a.external_id < b.external_id ? -1 : 1));
  return { workspaces: workspaces.rowCount ?? 0, tenantIds: rows.map((row) => row.id) };
}

/**
 * Creates ceil(N / 250) workspaces `bench-<seed>-wNNN`, N tenants `bench-<seed>-000001`… and N × M findings, in one
 * transaction. Refuses (ValidationError) a seed whose data already exists, so it never collides with other data.
 */
export async function generateLargeDataset(pool: Pool, options: LargeDatasetOptions): Promise<LargeDatasetResult> {
  validateLargeDatasetOptions(options);
  const started = performance.now();
  const prefix = `bench-${options.seed}-`;
  return withTransaction(pool, async (tx) => {
    // Bulk load: durability of this one commit can wait for the WAL writer.
    await tx.query('SET LOCAL synchronous_commit = off');
    const existing = await tx.query(`SELECT 1 FROM tenants WHERE external_id LIKE $1::text || '%' LIMIT 1`, [prefix]);
    if (existing.rowCount) {
      throw new ValidationError(`Bench data for seed ${options.seed} already exists (tenants ${prefix}…): pass another --seed.`, 'seed');
    }
    const { workspaces, tenantIds } = await insertWorkspacesAndTenants(tx, options, prefix);
    const total = options.tenants * options.findingsPerTenant;
    const findings = await tx.query(insertFindingsSql, [tenantIds, options.findingsPerTenant, total, options.seed, BASE_TIME]);
    return {
      prefix,
      workspaces,
      tenants: tenantIds.length,
      findings: findings.rowCount ?? 0,
      ms: Math.round(performance.now() - started),
    };
  });
}
