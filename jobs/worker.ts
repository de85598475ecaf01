// The worker: pg-boss handlers for orchestration and tenant jobs, and the periodic sweep. Handlers parse and delegate.
import type PgBoss from 'pg-boss';
import { log } from '../src/log.js';
import { queueNames } from '../src/queue/queue.js';
import { failOrchestration, orchestrateRun, runTenantJob, sweep, type ExecutorDeps } from '../src/runs/run-executor.js';
import { parseRunJob, parseTenantJob } from './payload.js';

export interface WorkerOptions {
  /** Tenant jobs handled at once by this process. */
  concurrency: number;
  sweepIntervalSeconds: number;
  pollingIntervalSeconds?: number;
}

export interface Worker {
  /** Runs one sweep now (tests and shutdown use it). */
  sweepNow(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorker(boss: PgBoss, deps: ExecutorDeps, options: WorkerOptions): Promise<Worker> {
  const polling = { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 0.5 };
  const workerIds: string[] = [];
  const tenantWorkerIds: string[] = [];

  workerIds.push(
    await boss.work(queueNames.orchestrate, { ...polling, batchSize: 1, includeMetadata: true }, async ([job]) => {
      if (!job) return;
      const payload = parseRunJob(job.data);
      if (!payload) {
        log.error('job.bad_payload', { queue: queueNames.orchestrate, jobId: job.id });
        return;
      }
      try {
        await orchestrateRun(deps, payload.runId);
        // The tenant jobs just enqueued: wake this process's tenant loops instead of waiting for their next poll.
        for (const id of tenantWorkerIds) boss.notifyWorker(id);
      } catch (error) {
        if (job.retryCount >= job.retryLimit) await failOrchestration(deps, payload.runId, error);
        throw error;
      }
    }),
  );

  // Several single-job loops rather than one big batch: each loop works its tenant (and the run's other
  // pending tenants) while the others keep fetching.
  for (let slot = 0; slot < options.concurrency; slot++) {
    let workerId = '';
    workerId = await boss.work(queueNames.tenant, { ...polling, batchSize: 1 }, async ([job]) => {
      if (!job) return;
      const payload = parseTenantJob(job.data);
      if (!payload) {
        log.error('job.bad_payload', { queue: queueNames.tenant, jobId: job.id });
        return;
      }
      const { items } = await runTenantJob(deps, payload);
      // A job whose tenant another job already did (work is shared within a run) took milliseconds: fetch the next
      // job at once instead of waiting out the polling interval, so such leftovers never hold up later runs.
      if (items === 0) boss.notifyWorker(workerId);
    });
    tenantWorkerIds.push(workerId);
  }
  workerIds.push(...tenantWorkerIds);

  let sweeping: Promise<void> | null = null;
  const sweepNow = async () => {
    sweeping ??= sweep(deps)
      .then(() => undefined)
      .catch((error: unknown) => log.warn('sweep.failed', { error }))
      .finally(() => {
        sweeping = null;
      });
    await sweeping;
  };
  const timer = setInterval(() => void sweepNow(), options.sweepIntervalSeconds * 1000);
  timer.unref();
  log.info('worker.started', { concurrency: options.concurrency, pid: process.pid });

  return {
    sweepNow,
    async stop() {
      clearInterval(timer);
      await Promise.all(workerIds.map((id) => boss.offWork({ id } as PgBoss.OffWorkOptions).catch(() => undefined)));
      await sweeping;
    },
  };
}
