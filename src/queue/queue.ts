// pg-boss wiring: queue names, start-up, and the enqueue functions services receive. The only pg-boss import besides jobs/.
import PgBoss from 'pg-boss';
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

/** What services need from the queue; `db` lets a send join the caller's transaction. */
export interface Enqueuer {
  orchestrate(job: OrchestrateJob, db?: Queryable): Promise<void>;
  tenants(jobs: readonly TenantJob[], db?: Queryable): Promise<void>;
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
  boss.on('error', (error: unknown) => log.warn('queue.error', { error }));
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
      const inserted = (await boss.insert(
        jobs.map((data) => ({ name: queueNames.tenant, data })),
        onConnection(db) as PgBoss.InsertOptions,
      )) as unknown;
      // pg-boss returns the new ids (typed void in 10.x); a missing queue inserts nothing.
      const count = Array.isArray(inserted) ? inserted.length : 0;
      if (count !== jobs.length) throw new Error(`Enqueued ${count} of ${jobs.length} ${queueNames.tenant} jobs.`);
    },
  };
}
