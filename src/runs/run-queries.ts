// Read side of runs for the CLI, API and UI: lists with filters, progress and failures. Never writes.
import type { Queryable } from '../db/pool.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { RunbookCounts } from '../runbooks/runbook.js';
import { runOutcomes, runStatuses, type RunOutcome, type RunStatus } from './run-status.js';
import { findRun, sumItemCounts, tallyItems, toRun, type ItemTally, type OperationRun } from './runs.repository.js';

export interface RunListFilters {
  status?: RunStatus;
  outcome?: RunOutcome;
  type?: string;
  initiator?: string;
  source?: string;
  since?: Date;
  until?: Date;
  limit?: number;
  /** Keyset pagination: runs with id below this (newest first). */
  beforeId?: number;
  /** Oldest first instead of newest first. */
  order?: 'newest' | 'oldest';
  /** Keyset pagination for oldest first: runs with id above this. */
  afterId?: number;
}

export interface RunListEntry extends OperationRun {
  tenantName: string | null;
  tenantExternalId: string | null;
}

export function parseRunFilters(raw: Record<string, unknown>): RunListFilters {
  const filters: RunListFilters = {};
  const text = (key: string) => {
    const value = raw[key];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const status = text('status');
  if (status !== undefined) {
    if (!(runStatuses as readonly string[]).includes(status)) throw new ValidationError(`Status must be one of ${runStatuses.join(', ')}.`, 'status');
    filters.status = status as RunStatus;
  }
  const outcome = text('outcome');
  if (outcome !== undefined) {
    if (!(runOutcomes as readonly string[]).includes(outcome)) throw new ValidationError(`Outcome must be one of ${runOutcomes.join(', ')}.`, 'outcome');
    filters.outcome = outcome as RunOutcome;
  }
  filters.type = text('type') ?? text('runbook');
  filters.initiator = text('initiator');
  filters.source = text('source');
  for (const key of ['since', 'until'] as const) {
    const value = text(key);
    if (value === undefined) continue;
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) throw new ValidationError(`${key} must be a date (YYYY-MM-DD or ISO 8601).`, key);
    filters[key] = date;
  }
  const limit = text('limit');
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 500) throw new ValidationError('Limit must be a whole number from 1 to 500.', 'limit');
    filters.limit = Number(limit);
  }
  const beforeId = text('beforeId');
  if (beforeId !== undefined) {
    if (!/^\d{1,15}$/.test(beforeId)) throw new ValidationError('beforeId must be a run id.', 'beforeId');
    filters.beforeId = Number(beforeId);
  }
  const sort = text('sort');
  if (sort !== undefined) {
    if (sort !== 'newest' && sort !== 'oldest') throw new ValidationError('Sort must be newest or oldest.', 'sort');
    filters.order = sort;
  }
  const afterId = text('afterId');
  if (afterId !== undefined) {
    if (!/^\d{1,15}$/.test(afterId)) throw new ValidationError('afterId must be a run id.', 'afterId');
    filters.afterId = Number(afterId);
  }
  if (filters.order === 'oldest' && filters.beforeId !== undefined) throw new ValidationError('With sort=oldest, page with afterId.', 'beforeId');
  if (filters.order !== 'oldest' && filters.afterId !== undefined) throw new ValidationError('afterId pages oldest first: add sort=oldest.', 'afterId');
  return filters;
}

/** The WHERE clause of the run filters over `operation_runs r`, parameters $1…$7. */
const runFilterWhere = `
  ($1::text IS NULL OR r.status = $1::text)
  AND ($2::text IS NULL OR r.outcome = $2::text)
  AND ($3::text IS NULL OR r.type = $3::text)
  AND ($4::text IS NULL OR r.initiator_name ILIKE '%' || $4::text || '%')
  AND ($5::text IS NULL OR r.source = $5::text)
  AND ($6::timestamptz IS NULL OR r.created_at >= $6::timestamptz)
  AND ($7::timestamptz IS NULL OR r.created_at < $7::timestamptz)`;

function runFilterParams(filters: RunListFilters): unknown[] {
  return [
    filters.status ?? null,
    filters.outcome ?? null,
    filters.type ?? null,
    filters.initiator ?? null,
    filters.source ?? null,
    filters.since ?? null,
    filters.until ?? null,
  ];
}

/**
 * Newest first (or oldest first), keyset-paginated by id (`beforeId`, or `afterId` oldest first), so page N costs
 * what page 1 costs.
 */
export async function listRuns(db: Queryable, filters: RunListFilters = {}): Promise<RunListEntry[]> {
  const oldestFirst = filters.order === 'oldest';
  const { rows } = await db.query<Record<string, unknown> & { tenant_name: string | null; tenant_external_id: string | null }>(
    `SELECT r.*, t.name AS tenant_name, t.external_id AS tenant_external_id
       FROM operation_runs r LEFT JOIN tenants t ON t.id = r.tenant_id
      WHERE ${runFilterWhere} AND ($8::bigint IS NULL OR r.id < $8::bigint) AND ($10::bigint IS NULL OR r.id > $10::bigint)
      ORDER BY r.id ${oldestFirst ? 'ASC' : 'DESC'}
      LIMIT $9::int`,
    [...runFilterParams(filters), filters.beforeId ?? null, filters.limit ?? 50, filters.afterId ?? null],
  );
  return rows.map((row) => ({
    ...toRun(row as unknown as Parameters<typeof toRun>[0]),
    tenantName: row.tenant_name,
    tenantExternalId: row.tenant_external_id,
  }));
}

export interface RunFailure {
  itemId: number;
  tenantId: number;
  tenantExternalId: string;
  tenantName: string;
  message: string | null;
  attempts: number;
}

export interface RunProgress {
  run: OperationRun;
  items: ItemTally;
  /** Sum of item counts so far (equals summary counts once completed). */
  counts: RunbookCounts;
  /** Tenants finished (any end) / total, 0–1; never above 1. */
  fraction: number;
  failures: RunFailure[];
}

export async function getRunProgress(db: Queryable, runId: number): Promise<RunProgress | null> {
  const run = await findRun(db, runId);
  if (!run) return null;
  const [items, counts, failures] = await Promise.all([
    tallyItems(db, runId),
    sumItemCounts(db, runId),
    db.query<{ id: number; tenant_id: number; external_id: string; name: string; error_message: string | null; attempts: number }>(
      `SELECT i.id, i.tenant_id, t.external_id, t.name, i.error_message, i.attempts
         FROM operation_run_items i JOIN tenants t ON t.id = i.tenant_id
        WHERE i.run_id = $1::bigint AND i.status = 'failed' ORDER BY i.id LIMIT 200`,
      [runId],
    ),
  ]);
  const finished = items.succeeded + items.failed + items.cancelled;
  return {
    run,
    items,
    counts,
    fraction: run.status === 'completed' ? 1 : items.total === 0 ? 0 : Math.min(1, finished / items.total),
    failures: failures.rows.map((row) => ({
      itemId: row.id,
      tenantId: row.tenant_id,
      tenantExternalId: row.external_id,
      tenantName: row.name,
      message: row.error_message,
      attempts: row.attempts,
    })),
  };
}

/** Polls until the run completes (or the timeout passes), reporting progress on each poll. */
export async function waitForRun(
  db: Queryable,
  runId: number,
  options: { timeoutMs?: number; pollMs?: number; onProgress?: (progress: RunProgress) => void } = {},
): Promise<RunProgress> {
  const deadline = Date.now() + (options.timeoutMs ?? 60 * 60 * 1000);
  for (;;) {
    const progress = await getRunProgress(db, runId);
    if (!progress) throw new NotFoundError(`Run #${runId} does not exist.`);
    options.onProgress?.(progress);
    if (progress.run.status === 'completed') return progress;
    if (Date.now() > deadline) return progress;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}

export interface AuditEntry {
  id: number;
  occurredAt: Date;
  action: string;
  actorType: string;
  actorLabel: string | null;
  ip: string | null;
  metadata: Record<string, unknown>;
}

export interface RunDetail extends RunProgress {
  tenant: { id: number; externalId: string; name: string } | null;
  /** Findings scanned so far, the expected total (preflight snapshot, or more if rows were added), both clamped sane. */
  findings: { processed: number; expected: number; fraction: number };
  /** Seconds left at the rate so far; null until there is a rate; 0 once completed. Never negative. */
  etaSeconds: number | null;
  elapsedSeconds: number | null;
  auditTrail: AuditEntry[];
}

async function listRunAudit(db: Queryable, runId: number): Promise<AuditEntry[]> {
  const { rows } = await db.query<{
    id: number;
    occurred_at: Date;
    action: string;
    actor_type: string;
    actor_label: string | null;
    ip: string | null;
    metadata: Record<string, unknown>;
  }>(
    `SELECT id, occurred_at, action, actor_type, actor_label, ip, metadata FROM audit_logs
      WHERE target_type = 'operation_run' AND target_id = $1::text ORDER BY occurred_at, id LIMIT 200`,
    [String(runId)],
  );
  return rows.map((row) => ({
    id: row.id,
    occurredAt: row.occurred_at,
    action: row.action,
    actorType: row.actor_type,
    actorLabel: row.actor_label,
    ip: row.ip,
    metadata: row.metadata,
  }));
}

/** Everything the run detail page shows, in one call. */
export async function getRunDetail(db: Queryable, runId: number, now = new Date()): Promise<RunDetail | null> {
  const progress = await getRunProgress(db, runId);
  if (!progress) return null;
  const { run } = progress;
  const [auditTrail, tenantRows] = await Promise.all([
    listRunAudit(db, runId),
    run.tenantId === null
      ? Promise.resolve({ rows: [] as { id: number; external_id: string; name: string }[] })
      : db.query<{ id: number; external_id: string; name: string }>('SELECT id, external_id, name FROM tenants WHERE id = $1::bigint', [run.tenantId]),
  ]);
  const snapshot = (run.context.preflight as { findingsTotal?: number } | undefined)?.findingsTotal ?? 0;
  const processed = progress.counts.findings_total ?? 0;
  const expected = Math.max(snapshot, processed);
  const completed = run.status === 'completed';
  const findingsFraction = completed ? 1 : expected === 0 ? 0 : Math.min(1, processed / expected);
  const startedAt = run.startedAt ?? run.createdAt;
  const end = run.completedAt ?? now;
  const elapsedSeconds = Math.max(0, (end.getTime() - startedAt.getTime()) / 1000);
  let etaSeconds: number | null = null;
  if (completed) etaSeconds = 0;
  else if (processed > 0 && elapsedSeconds > 0) etaSeconds = Math.max(0, Math.round((expected - processed) / (processed / elapsedSeconds)));
  const tenantRow = tenantRows.rows[0];
  return {
    ...progress,
    tenant: tenantRow ? { id: tenantRow.id, externalId: tenantRow.external_id, name: tenantRow.name } : null,
    findings: { processed, expected, fraction: findingsFraction },
    etaSeconds,
    elapsedSeconds: Math.round(elapsedSeconds),
    auditTrail,
  };
}

/** Total runs matching the filters (for pagination). */
export async function countRuns(db: Queryable, filters: RunListFilters = {}): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM operation_runs r WHERE ${runFilterWhere}`, runFilterParams(filters));
  return rows[0]?.n ?? 0;
}
