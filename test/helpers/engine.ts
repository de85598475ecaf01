// The run engine on a test database: real pg-boss, a real worker in this process or in child processes.
import { spawn, type ChildProcess } from 'node:child_process';
import type PgBoss from 'pg-boss';
import { startWorker, type Worker } from '../../jobs/worker.js';
import type { Pool, Queryable } from '../../src/db/pool.js';
import { createEnqueuer, startBoss, type Enqueuer } from '../../src/queue/queue.js';
import { createRunbookService, type Initiator, type RunbookService } from '../../src/runbooks/runbook-service.js';
import type { ExecutorDeps, ExecutorSettings } from '../../src/runs/run-executor.js';
import { findRun, type OperationRun } from '../../src/runs/runs.repository.js';
import { insertPlatformUser, insertTenant, insertWorkspace } from './fixtures.js';
import { allCapabilities } from '../../src/auth/capabilities.js';

export interface TestEngine {
  boss: PgBoss;
  enqueue: Enqueuer;
  runbooks: RunbookService;
  executor: ExecutorDeps;
  worker: Worker | null;
  stop(): Promise<void>;
}

export async function startTestEngine(
  url: string,
  pool: Pool,
  options: Partial<ExecutorSettings> & { worker?: boolean; concurrency?: number } = {},
): Promise<TestEngine> {
  const boss = await startBoss(url, { supervise: false, retryLimit: 1 });
  const enqueue = createEnqueuer(boss);
  const executor: ExecutorDeps = {
    pool,
    enqueue,
    settings: { batchSize: options.batchSize ?? 500, leaseSeconds: options.leaseSeconds ?? 30, maxItemAttempts: options.maxItemAttempts ?? 3 },
  };
  const worker =
    options.worker === false ? null : await startWorker(boss, executor, { concurrency: options.concurrency ?? 2, sweepIntervalSeconds: 3600 });
  return {
    boss,
    enqueue,
    runbooks: createRunbookService({ pool, enqueue }),
    executor,
    worker,
    async stop() {
      await worker?.stop();
      await boss.stop({ graceful: false, wait: true });
    },
  };
}

/** Waits (by polling the run row) until the run completes; fails the test after `timeoutMs`. */
export async function waitForRunCompletion(db: Queryable, runId: number, timeoutMs = 30_000): Promise<OperationRun> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await findRun(db, runId);
    if (run?.status === 'completed') return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run?.status ?? 'missing'} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls `probe` until it returns a truthy value. */
export async function waitUntil<T>(probe: () => Promise<T>, timeoutMs = 30_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The platform workspace and tenant, as every real database has them. */
export async function insertPlatform(db: Queryable): Promise<{ workspaceId: number; tenantId: number }> {
  const workspaceId = await insertWorkspace(db, { slug: 'platform', name: 'Platform', is_platform: true });
  const tenantId = await insertTenant(db, { workspace_id: workspaceId, external_id: 'platform', name: 'Platform' });
  return { workspaceId, tenantId };
}

export async function insertOperator(db: Queryable, capabilities: readonly string[] = allCapabilities): Promise<Initiator & { type: 'platform_user' }> {
  const email = `op-${Math.random().toString(36).slice(2, 8)}@atlas.test`;
  const id = await insertPlatformUser(db, { email, capabilities });
  return { type: 'platform_user', platformUserId: id, label: email, capabilities };
}

export const cliInitiator: Initiator = { type: 'cli', label: 'test@cli' };

/** Starts the lifecycle backfill on all tenants (phrase included) and returns the queued run. */
export async function startAllTenantsRun(runbooks: RunbookService, reason: string, initiator: Initiator = cliInitiator): Promise<OperationRun> {
  const { run } = await runbooks.startRun({
    runbookKey: 'findings.lifecycle.backfill',
    scope: { scope: 'all_tenants' },
    initiator,
    source: initiator.type === 'platform_user' ? 'system_ui' : 'cli',
    reason,
    confirmation: 'BACKFILL ALL TENANTS',
  });
  return run;
}

/** md5 over every findings column, in id order: equal checksums mean byte-identical end states. */
export async function findingsChecksum(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ sum: string }>(
    `SELECT md5(coalesce(string_agg(f::text, '|' ORDER BY f.id), '')) AS sum FROM findings f`,
  );
  return rows[0]?.sum ?? '';
}

/** Starts `npm run worker`-equivalent child processes against `url`. */
export function spawnWorker(url: string, env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main-worker.ts'], {
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.resume();
  child.stderr?.on('data', (chunk: Buffer) => {
    if (process.env.DEBUG) process.stderr.write(chunk);
  });
  return child;
}

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}
