// Executes runs: orchestration (one item per tenant), tenant work in leased keyset batches, and the periodic sweep.
// The item rows are the truth; queue jobs only wake workers up, so duplicate or lost jobs change nothing.
import { withTransaction, type Pool } from '../db/pool.js';
import { isAppError } from '../errors.js';
import { log } from '../log.js';
import { codeOf } from '../db/pg-errors.js';
import type { Enqueuer } from '../queue/queue.js';
import { getRunbook } from '../runbooks/catalog.js';
import { addCounts } from '../runbooks/runbook.js';
import { listAllowedTenantIds, findAllowedTenantById } from '../tenants/tenants.repository.js';
import { completeRunIfDone, failRun, markRunRunning } from './run-transitions.js';
import {
  claimItem,
  claimNextPendingItem,
  findRun,
  findRunsNeedingAttention,
  finishItem,
  insertItems,
  isCancelRequested,
  lockRun,
  reclaimExpiredItems,
  recordItemProgress,
  releaseItem,
  renewLease,
  takeStalledPendingItems,
  touchRun,
  type RunItem,
} from './runs.repository.js';

export interface ExecutorSettings {
  batchSize: number;
  leaseSeconds: number;
  /** Attempts per tenant item before it is marked failed. */
  maxItemAttempts: number;
}

export interface ExecutorDeps {
  pool: Pool;
  enqueue: Enqueuer;
  settings: ExecutorSettings;
}

class LeaseLostError extends Error {
  constructor(itemId: number) {
    super(`Lease on item ${itemId} was lost`);
  }
}

/** A short message safe to show operators: no SQL, no stack traces. */
export function safeFailureMessage(error: unknown): string {
  if (isAppError(error)) return error.message.slice(0, 300);
  const code = codeOf(error);
  if (code && /^[0-9A-Z]{5}$/.test(code)) return `The database refused a change for this tenant (SQLSTATE ${code}).`;
  if (code) return `The tenant could not be processed (${code}).`;
  return 'The tenant could not be processed because of an unexpected error.';
}

/** Creates the run's items (one per tenant in scope), marks it running and wakes one tenant job per item. */
export async function orchestrateRun(deps: ExecutorDeps, runId: number): Promise<void> {
  const result = await withTransaction(deps.pool, async (tx) => {
    const run = await lockRun(tx, runId);
    if (!run || run.status === 'completed' || run.cancelRequestedAt) return { tenants: -1 };
    let tenantIds: number[];
    if (run.scope === 'all_tenants') {
      tenantIds = await listAllowedTenantIds(tx);
    } else {
      const tenant = run.tenantId === null ? null : await findAllowedTenantById(tx, run.tenantId);
      tenantIds = tenant ? [tenant.id] : [];
    }
    const itemIds = await insertItems(tx, run.id, tenantIds);
    await markRunRunning(tx, run);
    await deps.enqueue.tenants(itemIds.map((itemId) => ({ runId: run.id, itemId })), tx);
    return { tenants: tenantIds.length };
  });
  log.info('run.orchestrated', { runId, tenants: result.tenants });
  // Nothing in scope, cancelled meanwhile, or a redelivery after all work ended: settle the run now.
  await completeRunIfDone(deps.pool, runId);
}

/** Orchestration gave up after its retries: the run fails as a whole. */
export async function failOrchestration(deps: ExecutorDeps, runId: number, error: unknown): Promise<void> {
  log.error('run.orchestration_failed', { runId, error });
  await failRun(deps.pool, runId, `The run could not be started: ${safeFailureMessage(error)}`);
}

type ItemEnd = 'succeeded' | 'cancelled' | 'released' | 'failed' | 'lost';

/** Works one claimed item to its end: batches, then the tenant-wide pass; stops on cancel or a lost lease. */
async function processItem(deps: ExecutorDeps, item: RunItem & { leaseToken: string }): Promise<ItemEnd> {
  const { pool, settings } = deps;
  const run = await findRun(pool, item.runId);
  if (!run) return 'lost';
  const runbook = getRunbook(run.type);
  const asOf = run.createdAt;
  const lease = { id: item.id, leaseToken: item.leaseToken };
  let counts = { ...item.counts };
  let cursorId = item.cursorId;
  let phase = item.phase;
  // Each batch renews the lease when it commits; the heartbeat keeps it alive through a batch slower than the lease.
  const heartbeat = setInterval(() => {
    renewLease(pool, lease, settings.leaseSeconds).catch((error: unknown) => log.warn('item.heartbeat_failed', { itemId: item.id, error }));
  }, Math.max(1000, (settings.leaseSeconds * 1000) / 3));
  try {
    while (phase !== 'done') {
      const step = await withTransaction(pool, async (tx) => {
        if (await isCancelRequested(tx, run.id)) return 'cancelled' as const;
        let nextCounts: Record<string, number>;
        let nextPhase: RunItem['phase'];
        let nextCursor = cursorId;
        if (phase === 'batches') {
          const batch = await runbook.applyBatch(tx, { tenantId: item.tenantId, asOf, afterId: cursorId, limit: settings.batchSize });
          nextCounts = addCounts({ ...counts }, batch.counts);
          nextCursor = batch.lastId ?? cursorId;
          nextPhase = (batch.counts.findings_total ?? 0) < settings.batchSize ? 'tenant_pass' : 'batches';
        } else {
          nextCounts = addCounts({ ...counts }, await runbook.applyTenantPass(tx, { tenantId: item.tenantId, asOf }));
          nextPhase = 'done';
        }
        const kept = await recordItemProgress(tx, lease, {
          cursorId: nextCursor,
          counts: nextCounts,
          phase: nextPhase,
          batch: phase === 'batches',
          leaseSeconds: settings.leaseSeconds,
        });
        if (!kept) throw new LeaseLostError(item.id);
        if (nextPhase === 'done' && !(await finishItem(tx, lease, 'succeeded'))) throw new LeaseLostError(item.id);
        counts = nextCounts;
        cursorId = nextCursor;
        phase = nextPhase;
        return 'continue' as const;
      });
      if (step === 'cancelled') {
        await finishItem(pool, lease, 'cancelled');
        return 'cancelled';
      }
    }
    return 'succeeded';
  } catch (error) {
    if (error instanceof LeaseLostError) {
      log.warn('item.lease_lost', { runId: run.id, itemId: item.id, tenantId: item.tenantId });
      return 'lost';
    }
    const message = safeFailureMessage(error);
    log.warn('item.attempt_failed', { runId: run.id, itemId: item.id, tenantId: item.tenantId, attempt: item.attempts, error });
    if (item.attempts >= settings.maxItemAttempts) {
      await finishItem(pool, lease, 'failed', message);
      return 'failed';
    }
    await releaseItem(pool, lease, message);
    return 'released';
  } finally {
    clearInterval(heartbeat);
  }
}

/**
 * A tenant job: claims its item (if still claimable) and works it, then keeps claiming pending items of the
 * same run until none is left, so throughput does not wait on queue polling. Completes the run when it can.
 */
export async function runTenantJob(deps: ExecutorDeps, job: { runId: number; itemId: number }): Promise<{ items: number }> {
  const { pool, settings } = deps;
  let processed = 0;
  let item = await claimItem(pool, job.itemId, settings.leaseSeconds);
  for (;;) {
    item ??= await claimNextPendingItem(pool, job.runId, settings.leaseSeconds);
    if (!item?.leaseToken) break;
    await processItem(deps, { ...item, leaseToken: item.leaseToken });
    processed++;
    item = null;
  }
  // A job that found nothing to do leaves completion to the job that did the last item (and to the sweep).
  if (processed > 0) await completeRunIfDone(pool, job.runId);
  return { items: processed };
}

export interface SweepResult {
  reclaimed: number;
  failedItems: number;
  requeued: number;
  completedRuns: number;
  reorchestrated: number;
}

/**
 * The periodic repair pass, safe in every worker at once: expired leases go back to pending (or fail after too
 * many attempts), stalled pending items are re-enqueued, runs whose items are all done are completed, and
 * queued runs whose orchestration job was lost are orchestrated again.
 */
export async function sweep(deps: ExecutorDeps, options: { staleSeconds?: number } = {}): Promise<SweepResult> {
  const { pool, enqueue, settings } = deps;
  const staleSeconds = options.staleSeconds ?? settings.leaseSeconds;
  const result: SweepResult = { reclaimed: 0, failedItems: 0, requeued: 0, completedRuns: 0, reorchestrated: 0 };
  const reclaimed = await reclaimExpiredItems(pool, settings.maxItemAttempts);
  result.reclaimed = reclaimed.filter((item) => item.status === 'pending').length;
  result.failedItems = reclaimed.length - result.reclaimed;
  const stalled = await takeStalledPendingItems(pool, staleSeconds);
  const wake = new Map<number, { runId: number; itemId: number }>();
  for (const item of reclaimed.filter((entry) => entry.status === 'pending')) wake.set(item.id, { runId: item.runId, itemId: item.id });
  for (const item of stalled) wake.set(item.id, { runId: item.runId, itemId: item.id });
  if (wake.size > 0) {
    await enqueue.tenants([...wake.values()], pool);
    result.requeued = wake.size;
  }
  for (const run of await findRunsNeedingAttention(pool, staleSeconds)) {
    if (run.reason === 'all_items_done') {
      if (await completeRunIfDone(pool, run.id)) result.completedRuns++;
    } else {
      const completed = await completeRunIfDone(pool, run.id);
      if (completed) {
        result.completedRuns++;
      } else {
        await touchRun(pool, run.id);
        await enqueue.orchestrate({ runId: run.id });
        result.reorchestrated++;
      }
    }
  }
  if (Object.values(result).some((value) => value > 0)) log.info('sweep.done', { ...result });
  return result;
}
