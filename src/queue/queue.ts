// pg-boss wiring: queue names, start-up, and the enqueue functions services receive. The only pg-boss import besides jobs/.
import { randomUUID } from 'node:crypto';
import PgBoss from 'pg-boss';
import { codeOf, sqlState } from '../db/pg-errors.js';
import type { Queryable } from '../db/pool.js';
import { log } from '../log.js';

export const queueNames = {
  orchestrate: 'atlas.run.orchestrate',
  tenant: 'atlas.run.tenant',
} as const;

export interface TenantJob {
  runId: number;
  itemId: number;
}

export interface OrchestrateJob {
  runId: number;
}

/** What services need from the queue; `db` is where the jobs are written: the caller's transaction, or its pool. */
export interface Enqueuer {
  orchestrate(job: OrchestrateJob, db?: Queryable): Promise<void>;
  tenants(jobs: readonly TenantJob[], db: Queryable): Promise<void>;
}

export const PGBOSS_SCHEMA = 'pgboss';

export interface BossOptions {
  /** Retries of a job whose handler threw (infrastructure errors; tenant failures are counted on items). */
  retryLimit?: number;
  /** Seconds a job may stay active before pg-boss expires and retries it. */
  expireInSeconds?: number;
  /** Maintenance (expiry, archiving) runs in worker processes only. */
  supervise?: boolean;
  max?: number;
}

export async function startBoss(connectionString: string, options: BossOptions = {}): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString,
    schema: PGBOSS_SCHEMA,
    application_name: 'atlas-ops queue',
    max: options.max ?? 4,
    supervise: options.supervise ?? true,
    schedule: false,
    migrate: true,
    maintenanceIntervalSeconds: 30,
  });
  boss.on('error', (error: unknown) => {
    if (codeOf(error) === sqlState.adminShutdown) log.debug('queue.connection_closed', { error });
    else log.warn('queue.error', { error });
  });
  await boss.start();
  const queueOptions = {
    retryLimit: options.retryLimit ?? 3,
    retryDelay: 2,
    retryBackoff: true,
    expireInSeconds: options.expireInSeconds ?? 15 * 60,
    retentionDays: 7,
  };
  for (const name of Object.values(queueNames)) {
    if (!(await boss.getQueue(name))) await boss.createQueue(name, { name, policy: 'standard', ...queueOptions });
  }
  return boss;
}

function onConnection(db: Queryable | undefined): { db: { executeSql(text: string, values: unknown[]): Promise<{ rows: unknown[] }> } } | Record<string, never> {
  if (!db) return {};
  return { db: { executeSql: (text: string, values: unknown[]) => db.query(text, values) } };
}

export function createEnqueuer(boss: PgBoss): Enqueuer {
  return {
    async orchestrate(job, db) {
      const id = await boss.send(queueNames.orchestrate, job, { ...onConnection(db) } as PgBoss.SendOptions);
      if (!id) throw new Error(`Could not enqueue ${queueNames.orchestrate} for run ${job.runId}: does the queue exist?`);
    },
    async tenants(jobs, db) {
      if (jobs.length === 0) return;
      const ids = jobs.map(() => randomUUID());
      await boss.insert(
        jobs.map((data, index) => ({ id: ids[index], name: queueNames.tenant, data })),
        onConnection(db) as PgBoss.InsertOptions,
      );
      // insert() reports nothing in 10.x and silently drops jobs of a missing queue: count what landed.
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${PGBOSS_SCHEMA}.job WHERE name = $1::text AND id = ANY($2::uuid[])`,
        [queueNames.tenant, ids],
      );
      const count = rows[0]?.n ?? 0;
      if (count !== jobs.length) throw new Error(`Enqueued ${count} of ${jobs.length} ${queueNames.tenant} jobs.`);
    },
  };
}
