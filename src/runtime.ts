// Wires one process: the database (given, already running embedded, or started here), pool, queue, services, worker.
import type PgBoss from 'pg-boss';
import type { Config } from './config.js';
import { openDatabase } from './db/database.js';
import { createPool, type Pool } from './db/pool.js';
import { startWorker, type Worker } from '../jobs/worker.js';
import { log } from './log.js';
import { createEnqueuer, startBoss, type Enqueuer } from './queue/queue.js';
import { createRunbookService, type RunbookService } from './runbooks/runbook-service.js';
import type { ExecutorDeps } from './runs/run-executor.js';

export interface Runtime {
  config: Config;
  databaseUrl: string;
  pool: Pool;
  boss: PgBoss;
  enqueue: Enqueuer;
  runbooks: RunbookService;
  executor: ExecutorDeps;
  worker: Worker | null;
  startWorker(concurrency?: number): Promise<Worker>;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Start pg-boss handlers and the sweep in this process. */
  worker: boolean;
  /** Run pg-boss maintenance (expiry) here: worker processes do, CLI calls don't. */
  superviseQueue?: boolean;
  poolSize?: number;
  /**
   * Without DATABASE_URL: reuse an embedded server another atlas-ops process already runs from the same data
   * folder (so `npm run ops` works beside `npm start`), else start one here.
   */
  reuseRunningEmbedded?: boolean;
}

export async function openRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const database = await openDatabase(config, { reuseRunningEmbedded: options.reuseRunningEmbedded ?? false });
  const pool = createPool(database.url, { max: options.poolSize ?? 10 });
  let boss: PgBoss;
  try {
    boss = await startBoss(database.url, { supervise: options.superviseQueue ?? options.worker });
  } catch (error) {
    await pool.end();
    await database.stop();
    throw error;
  }
  const enqueue = createEnqueuer(boss);
  const executor: ExecutorDeps = {
    pool,
    enqueue,
    settings: { batchSize: config.batchSize, leaseSeconds: config.leaseSeconds, maxItemAttempts: config.tenantJobRetries + 1 },
  };
  const runtime: Runtime = {
    config,
    databaseUrl: database.url,
    pool,
    boss,
    enqueue,
    runbooks: createRunbookService({ pool, enqueue }),
    executor,
    worker: null,
    async startWorker(concurrency = config.workerConcurrency) {
      runtime.worker ??= await startWorker(boss, executor, { concurrency, sweepIntervalSeconds: config.sweepIntervalSeconds });
      return runtime.worker;
    },
    async close() {
      await runtime.worker?.stop().catch((error: unknown) => log.warn('worker.stop_failed', { error }));
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 }).catch((error: unknown) => log.warn('queue.stop_failed', { error }));
      await pool.end().catch(() => undefined);
      await database.stop();
    },
  };
  if (options.worker) await runtime.startWorker();
  return runtime;
}
