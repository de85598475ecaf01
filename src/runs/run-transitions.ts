// The one module that moves runs between states: start of work, completion, cancel. Every move is a guarded UPDATE.
import { auditActions, systemActor, writeAudit, type AuditActor, type AuditPlane } from '../audit/audit.js';
import { withTransaction, type Pool, type Tx } from '../db/pool.js';
import { IllegalTransitionError, NotFoundError } from '../errors.js';
import { log } from '../log.js';
import { insertRunCompletedNotification } from '../notifications/notifications.repository.js';
import { canTransition, outcomeFromItems, stateName, type RunOutcome, type RunStateName } from './run-status.js';
import {
  cancelPendingItems,
  lockRun,
  markCancelRequested,
  sumItemCounts,
  tallyItems,
  updateRunState,
  type ItemTally,
  type OperationRun,
} from './runs.repository.js';

function parseState(name: RunStateName): { status: 'queued' | 'running' | 'completed'; outcome: RunOutcome } {
  if (name === 'queued' || name === 'running') return { status: name, outcome: 'pending' };
  return { status: 'completed', outcome: name.slice('completed/'.length) as RunOutcome };
}

/** Moves a locked run to `to`, refusing any edge the transition map does not allow. */
export async function transitionRun(
  tx: Tx,
  run: OperationRun,
  to: RunStateName,
  extra: { summaryCounts?: Record<string, number>; failureMessage?: string | null } = {},
): Promise<OperationRun> {
  const from = stateName(run.status, run.outcome);
  if (!canTransition(from, to)) throw new IllegalTransitionError(`Run #${run.id} cannot go from ${from} to ${to}.`);
  const moved = await updateRunState(tx, run.id, [run.status], { ...parseState(to), ...extra });
  if (!moved) throw new IllegalTransitionError(`Run #${run.id} changed state concurrently; expected ${from}.`);
  return moved;
}

/** Summary counts stored on a completed run: the items' sums plus tenant tallies. */
function summaryOf(itemCounts: Record<string, number>, tally: ItemTally): Record<string, number> {
  return {
    ...itemCounts,
    tenants_total: tally.total,
    tenants_succeeded: tally.succeeded,
    tenants_failed: tally.failed,
    tenants_cancelled: tally.cancelled,
  };
}

async function completeLocked(tx: Tx, run: OperationRun, outcome: Exclude<RunOutcome, 'pending'>, failureMessage?: string): Promise<OperationRun> {
  const [counts, tally] = await Promise.all([sumItemCounts(tx, run.id), tallyItems(tx, run.id)]);
  const completed = await transitionRun(tx, run, `completed/${outcome}`, {
    summaryCounts: summaryOf(counts, tally),
    failureMessage: failureMessage ?? null,
  });
  if (completed.initiatorPlatformUserId !== null) {
    await insertRunCompletedNotification(tx, completed.initiatorPlatformUserId, completed.id, {
      runId: completed.id,
      runbook: completed.type,
      outcome: completed.outcome,
      scope: completed.scope,
      tenantId: completed.tenantId,
    });
  }
  return completed;
}

async function auditCompleted(pool: Pool, run: OperationRun): Promise<void> {
  await writeAudit(pool, {
    plane: 'worker',
    actor: systemActor,
    action: auditActions.runCompleted,
    target: { type: 'operation_run', id: run.id },
    metadata: { outcome: run.outcome, counts: run.summaryCounts, runbook: run.type, scope: run.scope },
  });
  log.info('run.completed', { runId: run.id, outcome: run.outcome, counts: run.summaryCounts });
}

/**
 * Completes the run if every item is finished (or it was cancelled before any item existed). Safe to call from
 * every job and the sweep at once: the run row lock makes exactly one caller complete it.
 */
export async function completeRunIfDone(pool: Pool, runId: number): Promise<OperationRun | null> {
  const completed = await withTransaction(pool, async (tx) => {
    const run = await lockRun(tx, runId);
    if (!run || run.status === 'completed') return null;
    const tally = await tallyItems(tx, runId);
    if (tally.pending + tally.running > 0) return null;
    const cancelRequested = run.cancelRequestedAt !== null;
    // A queued run without items has not been orchestrated yet; only a cancel completes it.
    if (tally.total === 0 && !cancelRequested && run.status === 'queued') return null;
    return completeLocked(tx, run, outcomeFromItems(tally, cancelRequested));
  });
  if (completed) await auditCompleted(pool, completed);
  return completed;
}

/** Orchestration could not even begin (after its retries): the run fails as a whole. */
export async function failRun(pool: Pool, runId: number, message: string): Promise<OperationRun | null> {
  const failed = await withTransaction(pool, async (tx) => {
    const run = await lockRun(tx, runId);
    if (!run || run.status === 'completed') return null;
    await cancelPendingItems(tx, runId);
    return completeLocked(tx, run, 'failed', message);
  });
  if (failed) await auditCompleted(pool, failed);
  return failed;
}

/** queued → running, when orchestration starts the work. No-op if already running. */
export async function markRunRunning(tx: Tx, run: OperationRun): Promise<OperationRun> {
  return run.status === 'queued' ? transitionRun(tx, run, 'running') : run;
}

export interface CancelActor {
  actor: AuditActor;
  label: string;
  plane: AuditPlane;
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * Cancel: unstarted items are cancelled at once; items in flight finish their current batch and stop; the run
 * completes as cancelled when nothing is in flight (at once for a queued run).
 */
export async function cancelRun(pool: Pool, runId: number, by: CancelActor): Promise<OperationRun> {
  const requested = await withTransaction(pool, async (tx) => {
    const run = await lockRun(tx, runId);
    if (!run) throw new NotFoundError(`Run #${runId} does not exist.`);
    if (run.status === 'completed') {
      throw new IllegalTransitionError(`Run #${run.id} has already completed (${run.outcome}); there is nothing to cancel.`);
    }
    if (run.cancelRequestedAt) throw new IllegalTransitionError(`Run #${run.id} is already being cancelled.`);
    const marked = await markCancelRequested(tx, run.id, by.label);
    if (!marked) throw new IllegalTransitionError(`Run #${run.id} changed state concurrently.`);
    const skipped = await cancelPendingItems(tx, run.id);
    return { run: marked, skipped };
  });
  await writeAudit(pool, {
    plane: by.plane,
    actor: by.actor,
    action: auditActions.runCancelRequested,
    target: { type: 'operation_run', id: runId },
    ip: by.ip,
    userAgent: by.userAgent,
    metadata: { previousStatus: requested.run.status, itemsSkipped: requested.skipped },
  });
  return (await completeRunIfDone(pool, runId)) ?? requested.run;
}
