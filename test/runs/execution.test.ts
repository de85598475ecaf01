// Execution on real pg-boss and real worker processes: fan-out, failures, duplicates, cancel, crash recovery.
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { orchestrateRun, runTenantJob, sweep } from '../../src/runs/run-executor.js';
import { listItems } from '../../src/runs/runs.repository.js';
import { generateLargeDataset } from '../../src/seed/large.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import {
  cliInitiator,
  insertOperator,
  insertPlatform,
  spawnWorker,
  startTestEngine,
  stopProcess,
  waitForRunCompletion,
  waitUntil,
  type TestEngine,
} from '../helpers/engine.js';

const KEY = 'findings.lifecycle.backfill';
const ALL = { scope: 'all_tenants' as const };
const PHRASE = 'BACKFILL ALL TENANTS';

async function dataset(tenants: number, findingsPerTenant: number): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await insertPlatform(db.pool);
  await generateLargeDataset(db.pool, { tenants, findingsPerTenant, seed: 11 });
  return db;
}

/** Every finding update sleeps: runs become slow enough to interrupt mid-way. */
async function slowDownUpdates(db: TestDatabase, seconds: number): Promise<void> {
  await db.pool.query(`
    CREATE FUNCTION test_slow_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_sleep(${seconds}); RETURN NEW; END $$;
    CREATE TRIGGER test_slow_update BEFORE UPDATE ON findings FOR EACH ROW EXECUTE FUNCTION test_slow_update();`);
}

function pick(counts: Record<string, number>, keys: string[]): Record<string, number> {
  return Object.fromEntries(keys.map((key) => [key, counts[key] ?? 0]));
}

async function sumOfItems(db: TestDatabase, runId: number): Promise<number> {
  const items = await listItems(db.pool, runId);
  return items.reduce((sum, item) => sum + (item.counts.findings_changed ?? 0), 0);
}

describe('run execution', function () {
  this.timeout(120_000);
  const children: ChildProcess[] = [];
  const engines: TestEngine[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => stopProcess(child, 'SIGKILL')));
    await Promise.all(engines.splice(0).map((engine) => engine.stop()));
  });
  async function engineFor(db: TestDatabase, options: Parameters<typeof startTestEngine>[2] = {}): Promise<TestEngine> {
    const engine = await startTestEngine(db.url, db.pool, options);
    engines.push(engine);
    return engine;
  }

  it('fans out over 60 tenants shared by 3 worker processes with exact counts', async () => {
    const db = await dataset(60, 40);
    const engine = await engineFor(db, { worker: false });
    const preflight = await engine.runbooks.preflight(KEY, ALL, cliInitiator);
    const { run } = await engine.runbooks.startRun({ runbookKey: KEY, scope: ALL, initiator: cliInitiator, source: 'cli', reason: 'fan-out test', confirmation: PHRASE });
    for (let i = 0; i < 3; i++) children.push(spawnWorker(db.url, { BATCH_SIZE: '15', WORKER_CONCURRENCY: '2' }));
    const done = await waitForRunCompletion(db.pool, run.id, 90_000);
    expect(done.outcome).to.equal('succeeded');
    expect(pick(done.summaryCounts, Object.keys(preflight.counts))).to.deep.equal(preflight.counts);
    expect(done.summaryCounts.tenants_total).to.equal(60);
    const items = await listItems(db.pool, run.id);
    expect(items).to.have.length(60);
    expect(items.every((item) => item.status === 'succeeded' && item.phase === 'done')).to.equal(true);
    expect(items.reduce((sum, item) => sum + item.batchesDone, 0)).to.be.at.least(60 * 3);
  });

  it('a tenant that always fails ends the run partially_succeeded with one safe failure and exact counts for the rest', async () => {
    const db = await dataset(5, 30);
    const { rows } = await db.pool.query<{ id: number }>(`SELECT id FROM tenants WHERE external_id <> 'platform' ORDER BY id LIMIT 1`);
    const failing = rows[0]!.id;
    const engine = await engineFor(db);
    const preflightOthers = await Promise.all(
      (await db.pool.query<{ external_id: string }>(`SELECT external_id FROM tenants WHERE external_id <> 'platform' AND id <> $1`, [failing])).rows.map(
        (row) => engine.runbooks.preflight(KEY, { scope: 'single_tenant', tenantExternalId: row.external_id }, cliInitiator),
      ),
    );
    await db.pool.query(`
      CREATE FUNCTION test_fail_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.tenant_id = ${failing} THEN RAISE EXCEPTION 'tenant % is broken', NEW.tenant_id; END IF; RETURN NEW; END $$;
      CREATE TRIGGER test_fail_tenant BEFORE UPDATE ON findings FOR EACH ROW EXECUTE FUNCTION test_fail_tenant();`);
    const { run } = await engine.runbooks.startRun({ runbookKey: KEY, scope: ALL, initiator: cliInitiator, source: 'cli', reason: 'failure test', confirmation: PHRASE });
    const done = await waitForRunCompletion(db.pool, run.id);
    expect(done.outcome).to.equal('partially_succeeded');
    expect(done.summaryCounts).to.include({ tenants_total: 5, tenants_succeeded: 4, tenants_failed: 1 });
    const expectedChanged = preflightOthers.reduce((sum, result) => sum + result.findingsWouldChange, 0);
    expect(done.summaryCounts.findings_changed).to.equal(expectedChanged);
    const failed = (await listItems(db.pool, run.id)).filter((item) => item.status === 'failed');
    expect(failed).to.have.length(1);
    expect(failed[0]!.tenantId).to.equal(failing);
    expect(failed[0]!.attempts).to.equal(3);
    expect(failed[0]!.errorMessage).to.equal('The database refused a change for this tenant (SQLSTATE P0001).');
  });

  it('duplicate delivery of tenant jobs never counts twice', async () => {
    const db = await dataset(4, 50);
    const engine = await engineFor(db, { worker: false, batchSize: 7 });
    const preflight = await engine.runbooks.preflight(KEY, ALL, cliInitiator);
    const { run } = await engine.runbooks.startRun({ runbookKey: KEY, scope: ALL, initiator: cliInitiator, source: 'cli', reason: 'duplicate test', confirmation: PHRASE });
    await orchestrateRun(engine.executor, run.id);
    const items = await listItems(db.pool, run.id);
    // Every item delivered three times at once, plus duplicates left in the queue for a real worker.
    await Promise.all(items.flatMap((item) => [1, 2, 3].map(() => runTenantJob(engine.executor, { runId: run.id, itemId: item.id }))));
    await engine.enqueue.tenants(items.map((item) => ({ runId: run.id, itemId: item.id })), db.pool);
    const worker = await engineFor(db, { batchSize: 7 });
    const done = await waitForRunCompletion(db.pool, run.id);
    expect(done.outcome).to.equal('succeeded');
    expect(pick(done.summaryCounts, Object.keys(preflight.counts))).to.deep.equal(preflight.counts);
    await waitUntil(async () => (await db.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'atlas.run.tenant' AND state IN ('created', 'active', 'retry')`)).rows[0].n === 0, 20_000, 'queue drained');
    expect((await db.pool.query('SELECT summary_counts FROM operation_runs WHERE id = $1', [run.id])).rows[0].summary_counts).to.deep.equal(done.summaryCounts);
    expect(worker).to.not.equal(null);
  });

  it('cancel while running: in-flight batches finish, unstarted tenants are skipped, the run ends cancelled with honest counts', async () => {
    const db = await dataset(6, 40);
    await slowDownUpdates(db, 0.01);
    const engine = await engineFor(db, { batchSize: 5, concurrency: 1 });
    const admin = await insertOperator(db.pool);
    const { run } = await engine.runbooks.startRun({ runbookKey: KEY, scope: ALL, initiator: admin, source: 'system_ui', reason: 'cancel test', confirmation: PHRASE });
    await waitUntil(async () => (await listItems(db.pool, run.id)).some((item) => item.status === 'running' && item.batchesDone >= 1), 30_000, 'a batch');
    const cancelled = await engine.runbooks.cancelRun(run.id, admin);
    expect(cancelled.cancelRequestedAt).to.not.equal(null);
    const done = await waitForRunCompletion(db.pool, run.id);
    expect(done.outcome).to.equal('cancelled');
    const items = await listItems(db.pool, run.id);
    expect(items.filter((item) => item.status === 'cancelled').length).to.be.at.least(5);
    expect(items.some((item) => item.status === 'pending' || item.status === 'running')).to.equal(false);
    const changedRows = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM findings WHERE updated_at = $1', [done.createdAt]);
    expect(done.summaryCounts.findings_changed).to.equal(changedRows.rows[0]!.n);
    expect(done.summaryCounts.findings_changed).to.equal(await sumOfItems(db, run.id));
    expect(done.summaryCounts.findings_changed).to.be.greaterThan(0);
  });

  it('SIGKILL of a worker process mid-run: another worker finishes the run with exact counts', async () => {
    const db = await dataset(6, 60);
    await slowDownUpdates(db, 0.004);
    const engine = await engineFor(db, { worker: false });
    const preflight = await engine.runbooks.preflight(KEY, ALL, cliInitiator);
    const { run } = await engine.runbooks.startRun({ runbookKey: KEY, scope: ALL, initiator: cliInitiator, source: 'cli', reason: 'crash test', confirmation: PHRASE });
    const env = { BATCH_SIZE: '10', WORKER_CONCURRENCY: '1', LEASE_SECONDS: '3', SWEEP_INTERVAL_SECONDS: '1' };
    const first = spawnWorker(db.url, env);
    children.push(first);
    await waitUntil(async () => (await listItems(db.pool, run.id)).some((item) => item.status === 'running' && item.batchesDone >= 2), 60_000, 'mid-run');
    await stopProcess(first, 'SIGKILL');
    const stuck = (await listItems(db.pool, run.id)).filter((item) => item.status === 'running');
    expect(stuck.length).to.equal(1);
    children.push(spawnWorker(db.url, env));
    const done = await waitForRunCompletion(db.pool, run.id, 90_000);
    expect(done.outcome).to.equal('succeeded');
    expect(pick(done.summaryCounts, Object.keys(preflight.counts))).to.deep.equal(preflight.counts);
    const resumed = (await listItems(db.pool, run.id)).find((item) => item.id === stuck[0]!.id)!;
    expect(resumed.status).to.equal('succeeded');
    expect(resumed.attempts).to.equal(2);
  });

  it('sweep re-enqueues items whose lease expired and completes runs whose items are all done', async () => {
    const db = await dataset(2, 10);
    const engine = await engineFor(db, { worker: false, leaseSeconds: 2 });
    const { run } = await engine.runbooks.startRun({ runbookKey: KEY, scope: ALL, initiator: cliInitiator, source: 'cli', reason: 'sweep test', confirmation: PHRASE });
    await orchestrateRun(engine.executor, run.id);
    // A worker that claimed an item and died: its lease is in the past.
    await db.pool.query(
      `UPDATE operation_run_items SET status = 'running', lease_token = gen_random_uuid(), lease_until = now() - interval '1 second', attempts = 1 WHERE run_id = $1`,
      [run.id],
    );
    const result = await sweep(engine.executor);
    expect(result.reclaimed).to.equal(2);
    expect(result.requeued).to.equal(2);
    await engineFor(db);
    const done = await waitForRunCompletion(db.pool, run.id);
    expect(done.outcome).to.equal('succeeded');
  });

  it('a broken audit table does not stop a run; the initiator alone gets one notification, only at the end', async () => {
    const db = await dataset(3, 20);
    const engine = await engineFor(db, { worker: false });
    const admin = await insertOperator(db.pool);
    const other = await insertOperator(db.pool);
    await db.pool.query(`
      CREATE FUNCTION test_break_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit disk full'; END $$;
      CREATE TRIGGER test_break_audit BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION test_break_audit();`);
    const { run } = await engine.runbooks.startRun({ runbookKey: KEY, scope: ALL, initiator: admin, source: 'system_ui', reason: 'audit failure test', confirmation: PHRASE });
    await orchestrateRun(engine.executor, run.id);
    const whileRunning = await db.pool.query('SELECT count(*)::int AS n FROM notifications');
    expect(whileRunning.rows[0].n).to.equal(0);
    await engineFor(db);
    const done = await waitForRunCompletion(db.pool, run.id);
    expect(done.outcome).to.equal('succeeded');
    expect((await db.pool.query('SELECT count(*)::int AS n FROM audit_logs')).rows[0].n).to.equal(0);
    const notes = await db.pool.query('SELECT platform_user_id, type, run_id FROM notifications');
    expect(notes.rows).to.deep.equal([{ platform_user_id: admin.platformUserId, type: 'OperationRunCompleted', run_id: run.id }]);
    expect(notes.rows.some((row) => row.platform_user_id === other.platformUserId)).to.equal(false);

    const { run: cliRun } = await engine.runbooks.startRun({ runbookKey: KEY, scope: ALL, initiator: cliInitiator, source: 'cli', reason: 'no notice for cli', confirmation: PHRASE });
    await waitForRunCompletion(db.pool, cliRun.id);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM notifications')).rows[0].n).to.equal(1);
  });

  it('leftover tenant jobs of a finished run drain at once instead of holding up the next run', async () => {
    const db = await dataset(40, 3);
    const engine = await engineFor(db, { concurrency: 1 });
    const { run } = await engine.runbooks.startRun({ runbookKey: KEY, scope: ALL, initiator: cliInitiator, source: 'cli', reason: 'many tenants', confirmation: PHRASE });
    await waitForRunCompletion(db.pool, run.id);
    // One loop did the work of all 40 items; the other 39 jobs find nothing to do. Polling at 0.5 s per empty job
    // would take ~20 s; woken at once they are gone in well under the wait below.
    await waitUntil(
      async () => (await db.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'atlas.run.tenant' AND state IN ('created', 'retry', 'active')`)).rows[0].n === 0,
      8_000,
      'leftover jobs drained',
    );
  });

  it('a batch slower than the lease keeps its lease by heartbeat: no second attempt, the run succeeds', async () => {
    // Three batches of 12 rows at 0.3 s a row: each ~3.6 s, longer than the 2 s lease.
    const db = await dataset(1, 36);
    await slowDownUpdates(db, 0.3);
    const engine = await engineFor(db, { leaseSeconds: 2, batchSize: 12, concurrency: 1 });
    const { run } = await engine.runbooks.startRun({ runbookKey: KEY, scope: ALL, initiator: cliInitiator, source: 'cli', reason: 'slow batch', confirmation: PHRASE });
    // Sweep as often as a busy deployment would while the slow batches run: it must never take the item away.
    const sweeping = setInterval(() => void sweep(engine.executor, { staleSeconds: 1 }).catch(() => undefined), 500);
    try {
      const done = await waitForRunCompletion(db.pool, run.id);
      expect(done.outcome).to.equal('succeeded');
    } finally {
      clearInterval(sweeping);
    }
    const [item] = await listItems(db.pool, run.id);
    expect(item!.attempts).to.equal(1);
  });

  it('sweep leaves pending items alone while a live worker holds a lease in the same run', async () => {
    const db = await dataset(3, 5);
    const engine = await engineFor(db, { worker: false, leaseSeconds: 30 });
    const { run } = await engine.runbooks.startRun({ runbookKey: KEY, scope: ALL, initiator: cliInitiator, source: 'cli', reason: 'sweep caps', confirmation: PHRASE });
    await orchestrateRun(engine.executor, run.id);
    await db.pool.query(`UPDATE operation_run_items SET updated_at = now() - interval '1 hour' WHERE run_id = $1`, [run.id]);
    const [first] = await listItems(db.pool, run.id);
    await db.pool.query(
      `UPDATE operation_run_items SET status = 'running', lease_token = gen_random_uuid(), lease_until = now() + interval '30 seconds', attempts = 1 WHERE id = $1`,
      [first!.id],
    );
    expect((await sweep(engine.executor, { staleSeconds: 60 })).requeued).to.equal(0);
    await db.pool.query(`UPDATE operation_run_items SET lease_until = now() - interval '1 second' WHERE id = $1`, [first!.id]);
    const result = await sweep(engine.executor, { staleSeconds: 60 });
    expect(result.reclaimed).to.equal(1);
    expect(result.requeued).to.equal(3);
  });
});
