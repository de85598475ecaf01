// Rules R1–R9 end to end: preflight, a real queued run on pg-boss, and the rows it leaves behind.
import { expect } from 'chai';
import { withReadOnlyTransaction } from '../../src/db/pool.js';
import { applyAllInOneStatementSql } from '../../src/runbooks/findings-lifecycle/lifecycle.sql.js';
import { findingsLifecycleRunbook } from '../../src/runbooks/findings-lifecycle/findings-lifecycle.runbook.js';
import { seedDemoData } from '../../src/seed/demo.js';
import { generateLargeDataset } from '../../src/seed/large.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import {
  cliInitiator,
  findingsChecksum,
  insertPlatform,
  startAllTenantsRun,
  startTestEngine,
  waitForRunCompletion,
  type TestEngine,
} from '../helpers/engine.js';
import { insertFinding, insertTenant, insertWorkspace } from '../helpers/fixtures.js';

const KEY = findingsLifecycleRunbook.key;
const T0 = new Date('2025-01-01T00:00:00Z');
const day = (n: number) => new Date(T0.getTime() + n * 86_400_000);

interface FindingRow {
  id: number;
  status: string;
  first_seen_at: Date | null;
  last_seen_at: Date | null;
  times_seen: number | null;
  recurrence_key: string | null;
  sla_days: number | null;
  due_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  closed_reason: string | null;
  duplicate_of_finding_id: number | null;
  updated_at: Date;
}

describe('findings.lifecycle.backfill rules', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let engine: TestEngine;
  let workspaceId: number;

  before(async () => {
    db = await createTestDatabase();
    await insertPlatform(db.pool);
    workspaceId = await insertWorkspace(db.pool);
    engine = await startTestEngine(db.url, db.pool, { batchSize: 2 });
  });
  after(async () => engine.stop());

  async function newTenant(): Promise<number> {
    return insertTenant(db.pool, { workspace_id: workspaceId });
  }

  async function externalIdOf(tenantId: number): Promise<string> {
    const { rows } = await db.pool.query<{ external_id: string }>('SELECT external_id FROM tenants WHERE id = $1', [tenantId]);
    return rows[0]!.external_id;
  }

  async function preflightTenant(tenantId: number) {
    return engine.runbooks.preflight(KEY, { scope: 'single_tenant', tenantId }, cliInitiator);
  }

  async function runTenant(tenantId: number) {
    const { run } = await engine.runbooks.startRun({
      runbookKey: KEY,
      scope: { scope: 'single_tenant', tenantExternalId: await externalIdOf(tenantId) },
      initiator: cliInitiator,
      source: 'cli',
      reason: 'rule test run',
    });
    return waitForRunCompletion(db.pool, run.id);
  }

  async function finding(id: number): Promise<FindingRow> {
    const { rows } = await db.pool.query<FindingRow>('SELECT * FROM findings WHERE id = $1', [id]);
    return rows[0]!;
  }

  it('applyBatch R1 maps every legacy status and leaves lifecycle statuses alone', async () => {
    const tenant = await newTenant();
    const base = { tenant_id: tenant, first_seen_at: T0, last_seen_at: T0, times_seen: 1, sla_days: 7, due_at: day(7), created_at: T0, updated_at: T0 };
    const ids = {
      open: await insertFinding(db.pool, { ...base, status: 'open', recurrence_key: 'a' }),
      acknowledged: await insertFinding(db.pool, { ...base, status: 'acknowledged', recurrence_key: 'b' }),
      fixed: await insertFinding(db.pool, { ...base, status: 'fixed', recurrence_key: 'c', resolved_at: day(1) }),
      ignored: await insertFinding(db.pool, { ...base, status: 'ignored', recurrence_key: 'd' }),
      inProgress: await insertFinding(db.pool, { ...base, status: 'in_progress', recurrence_key: 'e' }),
    };
    const run = await runTenant(tenant);
    expect(run.outcome).to.equal('succeeded');
    expect((await finding(ids.open)).status).to.equal('new');
    expect((await finding(ids.acknowledged)).status).to.equal('triaged');
    expect((await finding(ids.fixed)).status).to.equal('resolved');
    expect((await finding(ids.ignored)).status).to.equal('risk_accepted');
    const untouched = await finding(ids.inProgress);
    expect(untouched.status).to.equal('in_progress');
    expect(untouched.updated_at.toISOString()).to.equal(T0.toISOString());
    expect(run.summaryCounts.r1_status).to.equal(4);
    expect(run.summaryCounts.findings_changed).to.equal(4);
  });

  it('applyBatch R2–R8 fill nulls everywhere from created_at, updated_at and severity', async () => {
    const tenant = await newTenant();
    const created = day(10);
    const updated = day(12);
    const bare = { tenant_id: tenant, created_at: created, updated_at: updated, fingerprint: 'fp-nulls' };
    const critical = await insertFinding(db.pool, { ...bare, status: 'open', severity: 'critical' });
    const low = await insertFinding(db.pool, { ...bare, fingerprint: 'fp-low', status: 'triaged', severity: 'low', times_seen: 0 });
    const resolved = await insertFinding(db.pool, { ...bare, fingerprint: 'fp-res', status: 'resolved', severity: 'high' });
    const closed = await insertFinding(db.pool, { ...bare, fingerprint: 'fp-closed', status: 'closed', severity: 'medium' });
    const run = await runTenant(tenant);
    const asOf = run.createdAt.toISOString();

    const c = await finding(critical);
    expect(c.status).to.equal('new');
    expect(c.first_seen_at!.toISOString()).to.equal(created.toISOString()); // R2
    expect(c.last_seen_at!.toISOString()).to.equal(updated.toISOString()); // R3: greatest(first seen, updated)
    expect(c.times_seen).to.equal(1); // R4
    expect(c.recurrence_key).to.equal('fp-nulls'); // R5
    expect(c.sla_days).to.equal(3); // R6 critical
    expect(c.due_at!.toISOString()).to.equal(day(13).toISOString()); // R7: first seen + 3 days
    expect(c.updated_at.toISOString()).to.equal(asOf);

    const l = await finding(low);
    expect(l.sla_days).to.equal(30);
    expect(l.times_seen).to.equal(1);
    expect(l.due_at!.toISOString()).to.equal(day(40).toISOString());

    const r = await finding(resolved);
    expect(r.sla_days).to.equal(7);
    expect(r.due_at).to.equal(null); // not open: R7 does not apply
    expect(r.resolved_at!.toISOString()).to.equal(updated.toISOString()); // R8

    const k = await finding(closed);
    expect(k.sla_days).to.equal(14);
    expect(k.closed_at!.toISOString()).to.equal(updated.toISOString()); // R8

    expect(run.summaryCounts).to.include({
      findings_total: 4,
      findings_changed: 4,
      r1_status: 1,
      r2_first_seen: 4,
      r3_last_seen: 4,
      r4_times_seen: 4,
      r5_recurrence: 4,
      r6_sla: 4,
      r7_due: 2,
      r8_terminal: 2,
      r9_duplicates: 0,
    });
  });

  it('applyBatch R3 replaces a last seen earlier than first seen, keeps a later one', async () => {
    const tenant = await newTenant();
    const full = { tenant_id: tenant, times_seen: 2, sla_days: 7, due_at: day(30), status: 'triaged', created_at: T0 };
    const early = await insertFinding(db.pool, { ...full, recurrence_key: 'x', first_seen_at: day(5), last_seen_at: day(2), updated_at: day(3) });
    const fine = await insertFinding(db.pool, { ...full, recurrence_key: 'y', first_seen_at: day(5), last_seen_at: day(9), updated_at: day(3) });
    const run = await runTenant(tenant);
    expect((await finding(early)).last_seen_at!.toISOString()).to.equal(day(5).toISOString()); // greatest(day5, day3)
    expect((await finding(fine)).last_seen_at!.toISOString()).to.equal(day(9).toISOString());
    expect(run.summaryCounts.r3_last_seen).to.equal(1);
    expect(run.summaryCounts.findings_changed).to.equal(1);
  });

  it('applyTenantPass R9 merges a duplicate group that spans batches, ties broken by lowest id', async () => {
    const tenant = await newTenant();
    const common = { tenant_id: tenant, sla_days: 7, due_at: day(30), created_at: T0, updated_at: T0, recurrence_key: 'dup' };
    // Batch size is 2: these five rows span three batches. Two share the earliest first seen: the lower id wins.
    const a = await insertFinding(db.pool, { ...common, status: 'new', first_seen_at: day(3), last_seen_at: day(4), times_seen: 2 });
    const b = await insertFinding(db.pool, { ...common, status: 'open', first_seen_at: day(1), last_seen_at: day(2), times_seen: 1 });
    const c = await insertFinding(db.pool, { ...common, status: 'triaged', first_seen_at: day(1), last_seen_at: day(8), times_seen: 3 });
    const resolvedSameKey = await insertFinding(db.pool, { ...common, status: 'resolved', resolved_at: day(2), first_seen_at: day(0), last_seen_at: day(9), times_seen: 5 });
    const d = await insertFinding(db.pool, { ...common, status: 'reopened', first_seen_at: day(6), last_seen_at: null, times_seen: null });
    const preflight = await preflightTenant(tenant);
    const run = await runTenant(tenant);
    const asOf = run.createdAt.toISOString();

    const canonical = await finding(b);
    expect(canonical.status).to.equal('new');
    expect(canonical.first_seen_at!.toISOString()).to.equal(day(1).toISOString());
    expect(canonical.last_seen_at!.toISOString()).to.equal(day(8).toISOString()); // max over the group (d's R3 value is day 6)
    expect(canonical.times_seen).to.equal(2 + 1 + 3 + 1); // d's times seen became 1 by R4
    for (const id of [a, c, d]) {
      const dup = await finding(id);
      expect(dup.status).to.equal('closed');
      expect(dup.closed_reason).to.equal('duplicate');
      expect(dup.closed_at!.toISOString()).to.equal(asOf);
      expect(dup.duplicate_of_finding_id).to.equal(b);
    }
    expect((await finding(resolvedSameKey)).status).to.equal('resolved'); // not open: never part of a group
    expect(run.summaryCounts.duplicate_groups).to.equal(1);
    expect(run.summaryCounts.r9_duplicates).to.equal(3);
    // a, b(canonical), c, d are changed; the resolved one is untouched.
    expect(run.summaryCounts.findings_changed).to.equal(4);
    expect(preflight.counts).to.deep.include(pick(run.summaryCounts, Object.keys(preflight.counts)));
  });

  it('second run over the same data changes nothing (idempotent)', async () => {
    const tenant = await newTenant();
    await insertFinding(db.pool, { tenant_id: tenant, status: 'open', recurrence_key: 'k', created_at: T0, updated_at: T0 });
    await insertFinding(db.pool, { tenant_id: tenant, status: 'acknowledged', recurrence_key: 'k', created_at: day(1), updated_at: day(1) });
    const first = await runTenant(tenant);
    expect(first.summaryCounts.findings_changed).to.equal(2);
    const before = await findingsChecksum(db.pool);
    const second = await runTenant(tenant);
    expect(second.summaryCounts.findings_changed).to.equal(0);
    expect(second.summaryCounts.findings_total).to.equal(2);
    expect(await findingsChecksum(db.pool)).to.equal(before);
    expect((await preflightTenant(tenant)).findingsWouldChange).to.equal(0);
  });

  it('preflight is read-only: the findings checksum does not move', async () => {
    const tenant = await newTenant();
    await insertFinding(db.pool, { tenant_id: tenant, status: 'open' });
    const before = await findingsChecksum(db.pool);
    const result = await preflightTenant(tenant);
    expect(result.findingsWouldChange).to.equal(1);
    expect(await findingsChecksum(db.pool)).to.equal(before);
    // And Postgres itself refuses writes in the preflight transaction.
    const write = withReadOnlyTransaction(db.pool, (tx) => tx.query('UPDATE findings SET times_seen = 1'));
    await expectRejection(write, /read-only transaction/);
  });
});

describe('findings.lifecycle.backfill preflight = run', function () {
  this.timeout(120_000);

  it('preflight equals the run rule by rule on the demo data, and the platform tenant is untouched', async () => {
    const db = await createTestDatabase();
    await seedDemoData(db.pool);
    const engine = await startTestEngine(db.url, db.pool, { batchSize: 37, concurrency: 3 });
    try {
      const platformBefore = await db.pool.query(
        `SELECT md5(string_agg(f::text, '|' ORDER BY f.id)) AS sum FROM findings f JOIN tenants t ON t.id = f.tenant_id WHERE t.external_id = 'platform'`,
      );
      const preflight = await engine.runbooks.preflight(KEY, { scope: 'all_tenants' }, cliInitiator);
      expect(preflight.findingsWouldChange).to.be.greaterThan(0);
      for (const rule of findingsLifecycleRunbook.rules) expect(preflight.rules[rule.key], rule.key).to.be.greaterThan(0);
      const run = await startAllTenantsRun(engine.runbooks, 'demo data check');
      const done = await waitForRunCompletion(db.pool, run.id);
      expect(done.outcome).to.equal('succeeded');
      expect(pick(done.summaryCounts, Object.keys(preflight.counts))).to.deep.equal(preflight.counts);
      expect(done.summaryCounts.tenants_total).to.equal(preflight.tenantsInScope);
      const platformAfter = await db.pool.query(
        `SELECT md5(string_agg(f::text, '|' ORDER BY f.id)) AS sum FROM findings f JOIN tenants t ON t.id = f.tenant_id WHERE t.external_id = 'platform'`,
      );
      expect(platformAfter.rows[0].sum).to.equal(platformBefore.rows[0].sum);
    } finally {
      await engine.stop();
    }
  });

  it('the queued run and the single-statement baseline end in byte-identical states on generated data', async () => {
    const runDb = await createTestDatabase();
    const baseDb = await createTestDatabase();
    for (const target of [runDb, baseDb]) {
      await insertPlatform(target.pool);
      await generateLargeDataset(target.pool, { tenants: 12, findingsPerTenant: 150, seed: 7 });
    }
    const engine = await startTestEngine(runDb.url, runDb.pool, { batchSize: 40, concurrency: 2 });
    try {
      const preflight = await engine.runbooks.preflight(KEY, { scope: 'all_tenants' }, cliInitiator);
      const run = await startAllTenantsRun(engine.runbooks, 'baseline comparison');
      const done = await waitForRunCompletion(runDb.pool, run.id);
      expect(pick(done.summaryCounts, Object.keys(preflight.counts))).to.deep.equal(preflight.counts);
      expect(preflight.rules.r9_duplicates).to.be.greaterThan(0);

      const tenants = await baseDb.pool.query<{ id: number }>(`SELECT id FROM tenants WHERE external_id <> 'platform'`);
      const update = await baseDb.pool.query(applyAllInOneStatementSql, [tenants.rows.map((row) => row.id), done.createdAt]);
      expect(update.rowCount).to.equal(preflight.findingsWouldChange);
      expect(await findingsChecksum(runDb.pool)).to.equal(await findingsChecksum(baseDb.pool));
    } finally {
      await engine.stop();
    }
  });
});

function pick(counts: Record<string, number>, keys: string[]): Record<string, number> {
  return Object.fromEntries(keys.map((key) => [key, counts[key] ?? 0]));
}

async function expectRejection(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect((error as Error).message).to.match(pattern);
    return;
  }
  expect.fail('expected a rejection');
}
