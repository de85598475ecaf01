// SQL for operation runs and their items: every statement on these tables lives here.
import type { Queryable, Tx } from '../db/pool.js';
import type { RunbookCounts } from '../runbooks/runbook.js';
import type { ItemStatus, RunOutcome, RunScope, RunSource, RunStatus } from './run-status.js';

export interface OperationRun {
  id: number;
  type: string;
  workspaceId: number;
  tenantId: number | null;
  scope: RunScope;
  status: RunStatus;
  outcome: RunOutcome;
  initiatorType: 'platform_user' | 'cli' | 'deploy';
  initiatorPlatformUserId: number | null;
  initiatorName: string;
  source: RunSource;
  reason: string;
  idempotencyKey: string | null;
  context: Record<string, unknown>;
  summaryCounts: RunbookCounts;
  cancelRequestedAt: Date | null;
  cancelledBy: string | null;
  failureMessage: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface RunItem {
  id: number;
  runId: number;
  tenantId: number;
  status: ItemStatus;
  phase: 'batches' | 'tenant_pass' | 'done';
  cursorId: number;
  attempts: number;
  leaseToken: string | null;
  leaseUntil: Date | null;
  counts: RunbookCounts;
  batchesDone: number;
  errorMessage: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
}


interface RunRow {
  id: number;
  type: string;
  workspace_id: number;
  tenant_id: number | null;
  scope: RunScope;
  status: RunStatus;
  outcome: RunOutcome;
  initiator_type: 'platform_user' | 'cli' | 'deploy';
  initiator_platform_user_id: number | null;
  initiator_name: string;
  source: RunSource;
  reason: string;
  idempotency_key: string | null;
  context: Record<string, unknown>;
  summary_counts: RunbookCounts;
  cancel_requested_at: Date | null;
  cancelled_by: string | null;
  failure_message: string | null;
  started_at: Date | null;
  completed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function toRun(row: RunRow): OperationRun {
  return {
    id: row.id,
    type: row.type,
    workspaceId: row.workspace_id,
    tenantId: row.tenant_id,
    scope: row.scope,
    status: row.status,
    outcome: row.outcome,
    initiatorType: row.initiator_type,
    initiatorPlatformUserId: row.initiator_platform_user_id,
    initiatorName: row.initiator_name,
    source: row.source,
    reason: row.reason,
    idempotencyKey: row.idempotency_key,
    context: row.context,
    summaryCounts: row.summary_counts,
    cancelRequestedAt: row.cancel_requested_at,
    cancelledBy: row.cancelled_by,
    failureMessage: row.failure_message,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

interface ItemRow {
  id: number;
  run_id: number;
  tenant_id: number;
  status: ItemStatus;
  phase: 'batches' | 'tenant_pass' | 'done';
  cursor_id: number;
  attempts: number;
  lease_token: string | null;
  lease_until: Date | null;
  counts: RunbookCounts;
  batches_done: number;
  error_message: string | null;
  started_at: Date | null;
  completed_at: Date | null;
}

function toItem(row: ItemRow): RunItem {
  return {
    id: row.id,
    runId: row.run_id,
    tenantId: row.tenant_id,
    status: row.status,
    phase: row.phase,
    cursorId: row.cursor_id,
    attempts: row.attempts,
    leaseToken: row.lease_token,
    leaseUntil: row.lease_until,
    counts: row.counts,
    batchesDone: row.batches_done,
    errorMessage: row.error_message,
    startedAt: row.started_at,
    completedAt: row.completed_at,
  };
}

// ---------------------------------------------------------------- runs

export type NewRun = Pick<
  OperationRun,
  | 'type'
  | 'workspaceId'
  | 'tenantId'
  | 'scope'
  | 'initiatorType'
  | 'initiatorPlatformUserId'
  | 'initiatorName'
  | 'source'
  | 'reason'
  | 'idempotencyKey'
  | 'context'
>;

/** Inserts a queued run; null when the idempotency key is taken (the caller then reads the earlier run). */
export async function insertRun(tx: Tx, run: NewRun): Promise<OperationRun | null> {
  const { rows } = await tx.query<RunRow>(
    `INSERT INTO operation_runs (type, workspace_id, tenant_id, scope, initiator_type, initiator_platform_user_id,
                                 initiator_name, source, reason, idempotency_key, context)
     VALUES ($1::text, $2::bigint, $3::bigint, $4::text, $5::text, $6::bigint, $7::text, $8::text, $9::text, $10::text, $11::jsonb)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING *`,
    [
      run.type,
      run.workspaceId,
      run.tenantId,
      run.scope,
      run.initiatorType,
      run.initiatorPlatformUserId,
      run.initiatorName,
      run.source,
      run.reason,
      run.idempotencyKey,
      JSON.stringify(run.context),
    ],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

export async function findRun(db: Queryable, id: number): Promise<OperationRun | null> {
  const { rows } = await db.query<RunRow>('SELECT * FROM operation_runs WHERE id = $1::bigint', [id]);
  return rows[0] ? toRun(rows[0]) : null;
}

/** Reads the run and locks its row until the transaction ends: completion and cancel serialize here. */
export async function lockRun(tx: Tx, id: number): Promise<OperationRun | null> {
  const { rows } = await tx.query<RunRow>('SELECT * FROM operation_runs WHERE id = $1::bigint FOR UPDATE', [id]);
  return rows[0] ? toRun(rows[0]) : null;
}

export async function findRunByIdempotencyKey(db: Queryable, key: string): Promise<OperationRun | null> {
  const { rows } = await db.query<RunRow>('SELECT * FROM operation_runs WHERE idempotency_key = $1::text', [key]);
  return rows[0] ? toRun(rows[0]) : null;
}

/** An active run of this runbook whose scope overlaps (all tenants overlaps everything). */
export async function findOverlappingActiveRun(db: Queryable, type: string, tenantId: number | null): Promise<OperationRun | null> {
  const { rows } = await db.query<RunRow>(
    `SELECT * FROM operation_runs
      WHERE type = $1::text AND status IN ('queued', 'running')
        AND ($2::bigint IS NULL OR tenant_id IS NULL OR tenant_id = $2::bigint)
      ORDER BY id LIMIT 1`,
    [type, tenantId],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

/** Serializes starts of one runbook across processes until the transaction ends. */
export async function lockRunbookStarts(tx: Tx, type: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('atlas-ops.run-start'), hashtext($1::text))`, [type]);
}

export interface RunUpdate {
  status: RunStatus;
  outcome: RunOutcome;
  summaryCounts?: RunbookCounts;
  failureMessage?: string | null;
}

/**
 * The one guarded statement that moves a run: only from one of `fromStatuses`. Null when the run was not
 * in such a state (someone else moved first).
 */
export async function updateRunState(tx: Tx, id: number, fromStatuses: readonly RunStatus[], to: RunUpdate): Promise<OperationRun | null> {
  const { rows } = await tx.query<RunRow>(
    `UPDATE operation_runs
        SET status = $3::text, outcome = $4::text,
            summary_counts = coalesce($5::jsonb, summary_counts),
            failure_message = coalesce($6::text, failure_message),
            started_at = CASE WHEN $3::text = 'running' THEN coalesce(started_at, now()) ELSE started_at END,
            completed_at = CASE WHEN $3::text = 'completed' THEN now() ELSE completed_at END,
            updated_at = now()
      WHERE id = $1::bigint AND status = ANY($2::text[])
      RETURNING *`,
    [id, fromStatuses, to.status, to.outcome, to.summaryCounts ? JSON.stringify(to.summaryCounts) : null, to.failureMessage ?? null],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

export async function markCancelRequested(tx: Tx, id: number, by: string): Promise<OperationRun | null> {
  const { rows } = await tx.query<RunRow>(
    `UPDATE operation_runs SET cancel_requested_at = now(), cancelled_by = $2::text, updated_at = now()
      WHERE id = $1::bigint AND status IN ('queued', 'running') AND cancel_requested_at IS NULL
      RETURNING *`,
    [id, by],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

/** Runs that may need the sweep: active, and either all items finished, or queued with no items for a while. */
export async function findRunsNeedingAttention(db: Queryable, staleSeconds: number): Promise<{ id: number; reason: 'all_items_done' | 'not_orchestrated' }[]> {
  const { rows } = await db.query<{ id: number; reason: 'all_items_done' | 'not_orchestrated' }>(
    `SELECT r.id,
            CASE WHEN EXISTS (SELECT 1 FROM operation_run_items i WHERE i.run_id = r.id)
                 THEN 'all_items_done' ELSE 'not_orchestrated' END AS reason
       FROM operation_runs r
      WHERE r.status IN ('queued', 'running')
        AND NOT EXISTS (SELECT 1 FROM operation_run_items i WHERE i.run_id = r.id AND i.status IN ('pending', 'running'))
        AND (EXISTS (SELECT 1 FROM operation_run_items i WHERE i.run_id = r.id)
             OR r.cancel_requested_at IS NOT NULL
             OR r.updated_at < now() - make_interval(secs => $1::int))`,
    [staleSeconds],
  );
  return rows;
}

// ---------------------------------------------------------------- items

/** One pending item per tenant; repeats add nothing. Returns the ids of items this call created. */
export async function insertItems(tx: Tx, runId: number, tenantIds: readonly number[]): Promise<number[]> {
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO operation_run_items (run_id, tenant_id)
     SELECT $1::bigint, t FROM unnest($2::bigint[]) AS t ORDER BY t
     ON CONFLICT ON CONSTRAINT operation_run_items_one_per_tenant DO NOTHING
     RETURNING id`,
    [runId, tenantIds],
  );
  return rows.map((row) => row.id);
}

export async function listItems(db: Queryable, runId: number): Promise<RunItem[]> {
  const { rows } = await db.query<ItemRow>('SELECT * FROM operation_run_items WHERE run_id = $1::bigint ORDER BY id', [runId]);
  return rows.map(toItem);
}

/** The SET list of a claim: running under a fresh lease token for $2 seconds, one more attempt. */
const takeLease = `status = 'running', lease_token = gen_random_uuid(), lease_until = now() + make_interval(secs => $2::int),
            attempts = i.attempts + 1, started_at = coalesce(i.started_at, now()), updated_at = now()`;

/**
 * Claims an item for this worker: a pending item, or a running one whose lease ran out. Takes a new lease
 * token and counts an attempt. Null when the item is finished, leased by a live worker, or its run is over.
 */
export async function claimItem(db: Queryable, itemId: number, leaseSeconds: number): Promise<RunItem | null> {
  const { rows } = await db.query<ItemRow>(
    `UPDATE operation_run_items i
        SET ${takeLease}
       FROM operation_runs r
      WHERE i.id = $1::bigint AND r.id = i.run_id
        AND r.status IN ('queued', 'running') AND r.cancel_requested_at IS NULL
        AND (i.status = 'pending' OR (i.status = 'running' AND i.lease_until < now()))
      RETURNING i.*`,
    [itemId, leaseSeconds],
  );
  return rows[0] ? toItem(rows[0]) : null;
}

/** Claims any pending item of the run (work sharing between tenant jobs); skips rows other workers are claiming. */
export async function claimNextPendingItem(db: Queryable, runId: number, leaseSeconds: number): Promise<RunItem | null> {
  const { rows } = await db.query<ItemRow>(
    `UPDATE operation_run_items i
        SET ${takeLease}
      WHERE i.id = (
              SELECT c.id FROM operation_run_items c JOIN operation_runs r ON r.id = c.run_id
               WHERE c.run_id = $1::bigint AND c.status = 'pending'
                 AND r.status IN ('queued', 'running') AND r.cancel_requested_at IS NULL
               ORDER BY c.id LIMIT 1 FOR UPDATE OF c SKIP LOCKED)
      RETURNING i.*`,
    [runId, leaseSeconds],
  );
  return rows[0] ? toItem(rows[0]) : null;
}

/**
 * Records one committed batch on the item, in the batch's transaction: cursor, the item's counts so far, phase,
 * renewed lease. Only the lease holder writes an item, so it passes the whole new counts. False when this
 * worker no longer holds the lease (the caller must roll the batch back).
 */
export async function recordItemProgress(
  tx: Tx,
  item: { id: number; leaseToken: string },
  progress: { cursorId: number; counts: RunbookCounts; phase: RunItem['phase']; batch: boolean; leaseSeconds: number },
): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE operation_run_items
        SET cursor_id = $3::bigint, counts = $4::jsonb, phase = $5::text,
            batches_done = batches_done + CASE WHEN $6::boolean THEN 1 ELSE 0 END,
            -- clock_timestamp(), not now(): now() is when this batch's transaction began, and a batch longer than
            -- the lease would commit a lease that has already run out.
            lease_until = greatest(lease_until, clock_timestamp() + make_interval(secs => $7::int)), updated_at = now()
      WHERE id = $1::bigint AND lease_token = $2::uuid AND status = 'running'`,
    [item.id, item.leaseToken, progress.cursorId, JSON.stringify(progress.counts), progress.phase, progress.batch, progress.leaseSeconds],
  );
  return rowCount === 1;
}

/** Whether someone asked to cancel the run (checked before every batch). */
export async function isCancelRequested(db: Queryable, runId: number): Promise<boolean> {
  const { rows } = await db.query<{ requested: boolean }>(
    `SELECT cancel_requested_at IS NOT NULL OR status = 'completed' AS requested FROM operation_runs WHERE id = $1::bigint`,
    [runId],
  );
  return rows[0]?.requested ?? true;
}

/** Ends an item this worker holds: succeeded, failed (with a safe message) or cancelled. */
export async function finishItem(
  db: Queryable,
  item: { id: number; leaseToken: string },
  status: 'succeeded' | 'failed' | 'cancelled',
  errorMessage: string | null = null,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE operation_run_items
        SET status = $3::text, error_message = $4::text, lease_token = NULL, lease_until = NULL,
            phase = CASE WHEN $3::text = 'succeeded' THEN 'done' ELSE phase END,
            completed_at = now(), updated_at = now()
      WHERE id = $1::bigint AND lease_token = $2::uuid AND status = 'running'`,
    [item.id, item.leaseToken, status, errorMessage],
  );
  return rowCount === 1;
}

/** Gives a held item back (after a failed attempt) so that a retry can claim it again. */
export async function releaseItem(db: Queryable, item: { id: number; leaseToken: string }, errorMessage: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE operation_run_items
        SET status = 'pending', lease_token = NULL, lease_until = NULL, error_message = $3::text, updated_at = now()
      WHERE id = $1::bigint AND lease_token = $2::uuid AND status = 'running'`,
    [item.id, item.leaseToken, errorMessage],
  );
  return rowCount === 1;
}

/** Cancels every not-yet-started item of a run. */
export async function cancelPendingItems(tx: Tx, runId: number): Promise<number> {
  const { rowCount } = await tx.query(
    `UPDATE operation_run_items SET status = 'cancelled', completed_at = now(), updated_at = now()
      WHERE run_id = $1::bigint AND status = 'pending'`,
    [runId],
  );
  return rowCount ?? 0;
}

/**
 * Items whose lease ran out (their worker died or stalled): back to pending, or failed once they used up
 * their attempts. Returns the items made pending again, for re-enqueueing.
 */
export async function reclaimExpiredItems(db: Queryable, maxAttempts: number): Promise<{ id: number; runId: number; status: ItemStatus }[]> {
  const { rows } = await db.query<{ id: number; run_id: number; status: ItemStatus }>(
    `UPDATE operation_run_items i
        SET status = CASE WHEN i.attempts >= $1::int THEN 'failed' ELSE 'pending' END,
            error_message = CASE WHEN i.attempts >= $1::int
                                 THEN 'The worker processing this tenant stopped responding too many times.'
                                 ELSE i.error_message END,
            completed_at = CASE WHEN i.attempts >= $1::int THEN now() ELSE NULL END,
            lease_token = NULL, lease_until = NULL, updated_at = now()
      WHERE i.status = 'running' AND i.lease_until < now()
      RETURNING i.id, i.run_id, i.status`,
    [maxAttempts],
  );
  return rows.map((row) => ({ id: row.id, runId: row.run_id, status: row.status }));
}

/**
 * Pending items of active runs that nobody is working on (no live lease in the run) and that nobody touched for a
 * while: their jobs were lost. Touches them, so a sweep wakes each at most once per stale period. A live worker on the
 * run takes pending items itself (tenant jobs share a run's work), so waking more would only leave idle jobs behind
 * in the queue; `perRun` caps the wake-ups of one run for the same reason.
 */
export async function takeStalledPendingItems(db: Queryable, staleSeconds: number, perRun = 8): Promise<{ id: number; runId: number }[]> {
  const { rows } = await db.query<{ id: number; run_id: number }>(
    `UPDATE operation_run_items i SET updated_at = now()
      WHERE i.id IN (
              SELECT id FROM (
                SELECT s.id, row_number() OVER (PARTITION BY s.run_id ORDER BY s.id) AS nth
                  FROM operation_run_items s JOIN operation_runs r ON r.id = s.run_id
                 WHERE s.status = 'pending' AND r.status IN ('queued', 'running') AND r.cancel_requested_at IS NULL
                   AND s.updated_at < now() - make_interval(secs => $1::int)
                   AND NOT EXISTS (SELECT 1 FROM operation_run_items live
                                    WHERE live.run_id = s.run_id AND live.status = 'running' AND live.lease_until >= now())
              ) AS stalled
              WHERE nth <= $2::int)
      RETURNING i.id, i.run_id`,
    [staleSeconds, perRun],
  );
  return rows.map((row) => ({ id: row.id, runId: row.run_id }));
}

/** Extends a held lease (a heartbeat while a long batch runs). False when the lease is no longer ours. */
export async function renewLease(db: Queryable, item: { id: number; leaseToken: string }, leaseSeconds: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE operation_run_items SET lease_until = greatest(lease_until, clock_timestamp() + make_interval(secs => $3::int))
      WHERE id = $1::bigint AND lease_token = $2::uuid AND status = 'running'`,
    [item.id, item.leaseToken, leaseSeconds],
  );
  return rowCount === 1;
}

/** Marks a run as looked after now (the sweep re-enqueues its orchestration at most once per stale period). */
export async function touchRun(db: Queryable, id: number): Promise<void> {
  await db.query('UPDATE operation_runs SET updated_at = now() WHERE id = $1::bigint AND status = \'queued\'', [id]);
}

export interface ItemTally {
  total: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

export async function tallyItems(db: Queryable, runId: number): Promise<ItemTally> {
  const { rows } = await db.query<ItemTally>(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE status = 'pending')::int AS pending,
            count(*) FILTER (WHERE status = 'running')::int AS running,
            count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled
       FROM operation_run_items WHERE run_id = $1::bigint`,
    [runId],
  );
  return rows[0] ?? { total: 0, pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
}

/** The run's counts: the sum of its items' counts (a retried job never counts twice: items hold the truth). */
export async function sumItemCounts(db: Queryable, runId: number): Promise<RunbookCounts> {
  const { rows } = await db.query<{ key: string; value: number }>(
    `SELECT c.key, sum(c.value::numeric)::bigint AS value
       FROM operation_run_items i, jsonb_each_text(i.counts) AS c
      WHERE i.run_id = $1::bigint
      GROUP BY c.key`,
    [runId],
  );
  const counts: RunbookCounts = {};
  for (const row of rows) counts[row.key] = Number(row.value);
  return counts;
}

export async function findLatestRun(db: Queryable, type: string): Promise<OperationRun | null> {
  const { rows } = await db.query<RunRow>('SELECT * FROM operation_runs WHERE type = $1::text ORDER BY created_at DESC, id DESC LIMIT 1', [type]);
  return rows[0] ? toRun(rows[0]) : null;
}
