// startRun / cancelRun / preflight through the runbook service: validation, locking, idempotency, transitions.
import { expect } from 'chai';
import { capabilities } from '../../src/auth/capabilities.js';
import { AppError, ForbiddenError, IllegalTransitionError, LockConflictError, ValidationError } from '../../src/errors.js';
import type { StartRunInput } from '../../src/runbooks/runbook-service.js';
import { canTransition, runTransitions, type RunStateName } from '../../src/runs/run-status.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { cliInitiator, insertOperator, insertPlatform, startTestEngine, waitForRunCompletion, type TestEngine } from '../helpers/engine.js';
import { insertFinding, insertTenant, insertWorkspace } from '../helpers/fixtures.js';

const KEY = 'findings.lifecycle.backfill';

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  return expect.fail('expected the call to be refused') as never;
}

describe('runbook service', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let engine: TestEngine;
  let tenantA: string;
  let tenantB: string;

  async function runCount(): Promise<number> {
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM operation_runs');
    return rows[0]!.n;
  }

  function input(overrides: Partial<StartRunInput> = {}): StartRunInput {
    return {
      runbookKey: KEY,
      scope: { scope: 'single_tenant', tenantExternalId: tenantA },
      initiator: cliInitiator,
      source: 'cli',
      reason: 'fix tenant data',
      ...overrides,
    };
  }

  beforeEach(async () => {
    db = await createTestDatabase();
    await insertPlatform(db.pool);
    const ws = await insertWorkspace(db.pool);
    tenantA = 'tenant-a';
    tenantB = 'tenant-b';
    const a = await insertTenant(db.pool, { workspace_id: ws, external_id: tenantA });
    await insertTenant(db.pool, { workspace_id: ws, external_id: tenantB });
    await insertFinding(db.pool, { tenant_id: a, status: 'open' });
    // No worker: runs stay queued, so locking can be observed.
    engine = await startTestEngine(db.url, db.pool, { worker: false });
  });
  afterEach(async () => engine.stop());

  describe('startRun refuses bad input and creates nothing', () => {
    const cases: [string, Partial<StartRunInput>, string][] = [
      ['an empty reason', { reason: '' }, 'reason'],
      ['a reason of 4 characters after trimming', { reason: '   abcd   ' }, 'reason'],
      ['a reason over 500 characters', { reason: 'x'.repeat(501) }, 'reason'],
      ['the platform tenant', { scope: { scope: 'single_tenant', tenantExternalId: 'platform' } }, 'tenant'],
      ['an unknown tenant', { scope: { scope: 'single_tenant', tenantExternalId: 'nope' } }, 'tenant'],
      ['a single-tenant scope without tenant', { scope: { scope: 'single_tenant' } }, 'tenant'],
      ['all tenants without the phrase', { scope: { scope: 'all_tenants' } }, 'confirmation'],
      ['all tenants with a lower-case phrase', { scope: { scope: 'all_tenants' }, confirmation: 'backfill all tenants' }, 'confirmation'],
      ['an idempotency key with spaces', { idempotencyKey: 'has spaces' }, 'idempotencyKey'],
      ['a reason of five zero-width spaces and a letter', { reason: '\u200b\u200b\u200b\u200b\u200ba' }, 'reason'],
      ['a reason with a NUL', { reason: 'fix\u0000data now' }, 'reason'],
      ['a reason of six blank Braille cells', { reason: '\u2800'.repeat(6) }, 'reason'],
      ['a reason of lone combining accents', { reason: '\u0301'.repeat(6) }, 'reason'],

      ['a tenant external id with a NUL', { scope: { scope: 'single_tenant', tenantExternalId: 'tenant-a\u0000' } }, 'tenant'],
    ];
    for (const [what, overrides, field] of cases) {
      it(`startRun refuses ${what}`, async () => {
        const error = await rejection(engine.runbooks.startRun(input(overrides)));
        expect(error).to.be.instanceOf(ValidationError);
        expect(error.details.field).to.equal(field);
        expect(await runCount()).to.equal(0);
      });
    }

    it('startRun refuses a tenant id and an external id that name different tenants', async () => {
      const { rows } = await db.pool.query<{ id: number }>(`SELECT id FROM tenants WHERE external_id = 'tenant-a'`);
      const error = await rejection(engine.runbooks.startRun(input({ scope: { scope: 'single_tenant', tenantId: rows[0]!.id, tenantExternalId: 'tenant-b' } })));
      expect(error.details.field).to.equal('tenant');
      expect(error.message).to.contain('different tenants');
      expect(await runCount()).to.equal(0);
      const same = await engine.runbooks.startRun(input({ scope: { scope: 'single_tenant', tenantId: rows[0]!.id, tenantExternalId: 'tenant-a' } }));
      expect(same.created).to.equal(true);
    });

    it('startRun refuses an unknown runbook as not found', async () => {
      const error = await rejection(engine.runbooks.startRun(input({ runbookKey: 'nope.nope' })));
      expect(error.code).to.equal('not_found');
      expect(await runCount()).to.equal(0);
    });

    it('startRun counts reason length in characters, not UTF-16 units: 500 emoji pass, 501 do not', async () => {
      const over = await rejection(engine.runbooks.startRun(input({ reason: '🛠'.repeat(501) })));
      expect(over.details.field).to.equal('reason');
      const { run } = await engine.runbooks.startRun(input({ reason: '🛠'.repeat(500) }));
      expect([...run.reason]).to.have.length(500);
    });

    it('startRun accepts a reason of exactly 5 characters after trimming and stores it trimmed', async () => {
      const { run } = await engine.runbooks.startRun(input({ reason: '  abcde  ' }));
      expect(run.reason).to.equal('abcde');
    });
  });

  it('startRun checks capabilities of platform users: viewer 403, run without the runbook capability 403', async () => {
    const viewer = await insertOperator(db.pool, [capabilities.opsView, capabilities.runbooksView]);
    const runOnly = await insertOperator(db.pool, [capabilities.runbooksRun]);
    for (const initiator of [viewer, runOnly]) {
      const error = await rejection(engine.runbooks.startRun(input({ initiator, source: 'system_ui' })));
      expect(error).to.be.instanceOf(ForbiddenError);
    }
    const noCaps = await insertOperator(db.pool, []);
    expect(await rejection(engine.runbooks.preflight(KEY, { scope: 'all_tenants' }, noCaps))).to.be.instanceOf(ForbiddenError);
    expect(await runCount()).to.equal(0);
  });

  it('startRun stores the run queued/pending with its preflight snapshot, and audits it', async () => {
    const admin = await insertOperator(db.pool);
    const { run, created } = await engine.runbooks.startRun(input({ initiator: admin, source: 'system_ui' }));
    expect(created).to.equal(true);
    expect(run).to.include({ status: 'queued', outcome: 'pending', scope: 'single_tenant', source: 'system_ui', initiatorPlatformUserId: admin.platformUserId });
    const preflight = run.context.preflight as { findingsWouldChange: number; tenantsInScope: number };
    expect(preflight.findingsWouldChange).to.equal(1);
    expect(preflight.tenantsInScope).to.equal(1);
    const audit = await db.pool.query(`SELECT * FROM audit_logs WHERE action = 'run.started' AND target_id = $1`, [String(run.id)]);
    expect(audit.rowCount).to.equal(1);
    expect(audit.rows[0].actor_id).to.equal(admin.platformUserId);
    expect(audit.rows[0].metadata).to.include({ scope: 'single_tenant', reason: 'fix tenant data', source: 'system_ui' });
  });

  it('startRun called 20 times at once for one scope creates exactly one run', async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => engine.runbooks.startRun(input())));
    const created = results.filter((result) => result.status === 'fulfilled');
    const conflicts = results.filter((result) => result.status === 'rejected' && result.reason instanceof LockConflictError);
    expect(created).to.have.length(1);
    expect(conflicts).to.have.length(19);
    expect(await runCount()).to.equal(1);
    const winner = (created[0] as PromiseFulfilledResult<{ run: { id: number } }>).value.run.id;
    for (const conflict of conflicts) expect(((conflict as PromiseRejectedResult).reason as LockConflictError).activeRunId).to.equal(winner);
  });

  it('startRun: all tenants conflicts with an active single-tenant run and the other way round; other tenants do not conflict', async () => {
    const single = await engine.runbooks.startRun(input());
    const all = await rejection(engine.runbooks.startRun(input({ scope: { scope: 'all_tenants' }, confirmation: 'BACKFILL ALL TENANTS' })));
    expect(all).to.be.instanceOf(LockConflictError);
    expect((all as LockConflictError).activeRunId).to.equal(single.run.id);
    const other = await engine.runbooks.startRun(input({ scope: { scope: 'single_tenant', tenantExternalId: tenantB } }));
    expect(other.created).to.equal(true);
    expect(await runCount()).to.equal(2);

    const db2 = await createTestDatabase();
    await insertPlatform(db2.pool);
    const ws = await insertWorkspace(db2.pool);
    await insertTenant(db2.pool, { workspace_id: ws, external_id: tenantA });
    const engine2 = await startTestEngine(db2.url, db2.pool, { worker: false });
    try {
      const everything = await engine2.runbooks.startRun(input({ scope: { scope: 'all_tenants' }, confirmation: 'BACKFILL ALL TENANTS' }));
      const blocked = await rejection(engine2.runbooks.startRun(input()));
      expect((blocked as LockConflictError).activeRunId).to.equal(everything.run.id);
    } finally {
      await engine2.stop();
    }
  });

  it('startRun: an idempotency key is no way into another initiator\'s run', async () => {
    const first = await engine.runbooks.startRun(input({ idempotencyKey: 'shared-key' }));
    const other = await insertOperator(db.pool);
    const misuse = await rejection(engine.runbooks.startRun(input({ idempotencyKey: 'shared-key', initiator: other, source: 'system_ui' })));
    expect(misuse.details).to.include({ field: 'idempotencyKey', runId: first.run.id });
    expect(await runCount()).to.equal(1);
  });

  it('startRun with a repeated idempotency key returns the earlier run; a different request with it is refused', async () => {
    const first = await engine.runbooks.startRun(input({ idempotencyKey: 'click-123' }));
    const again = await Promise.all([1, 2, 3].map(() => engine.runbooks.startRun(input({ idempotencyKey: 'click-123' }))));
    for (const repeat of again) {
      expect(repeat.created).to.equal(false);
      expect(repeat.run.id).to.equal(first.run.id);
    }
    const misuse = await rejection(
      engine.runbooks.startRun(input({ idempotencyKey: 'click-123', scope: { scope: 'single_tenant', tenantExternalId: tenantB } })),
    );
    expect(misuse.details.field).to.equal('idempotencyKey');
    expect(await runCount()).to.equal(1);
  });

  it('cancelRun completes a queued run as cancelled at once; a second cancel is refused', async () => {
    const admin = await insertOperator(db.pool);
    const { run } = await engine.runbooks.startRun(input());
    const cancelled = await engine.runbooks.cancelRun(run.id, admin);
    expect(cancelled).to.include({ status: 'completed', outcome: 'cancelled' });
    expect(await rejection(engine.runbooks.cancelRun(run.id, admin))).to.be.instanceOf(IllegalTransitionError);
    expect((await rejection(engine.runbooks.cancelRun(999_999, admin))).code).to.equal('not_found');
    const viewer = await insertOperator(db.pool, [capabilities.opsView]);
    const { run: second } = await engine.runbooks.startRun(input());
    expect(await rejection(engine.runbooks.cancelRun(second.id, viewer))).to.be.instanceOf(ForbiddenError);
    // platform.runbooks.run alone is not enough: cancelling acts on the runbook, which needs its own capability.
    const runOnly = await insertOperator(db.pool, [capabilities.opsView, capabilities.runbooksRun]);
    expect(await rejection(engine.runbooks.cancelRun(second.id, runOnly))).to.be.instanceOf(ForbiddenError);
    const audit = await db.pool.query(`SELECT count(*)::int AS n FROM audit_logs WHERE action = 'run.cancel_requested'`);
    expect(audit.rows[0].n).to.equal(1);
    // A cancelled run frees the scope.
    expect((await engine.runbooks.cancelRun(second.id, admin)).outcome).to.equal('cancelled');
    expect((await engine.runbooks.startRun(input())).created).to.equal(true);
  });

  it('a queued run is picked up later by a worker: orchestration then completes it', async () => {
    const { run } = await engine.runbooks.startRun(input());
    const working = await startTestEngine(db.url, db.pool);
    try {
      const done = await waitForRunCompletion(db.pool, run.id);
      expect(done.outcome).to.equal('succeeded');
      expect(done.summaryCounts.findings_changed).to.equal(1);
      expect(done.startedAt).to.not.equal(null);
    } finally {
      await working.stop();
    }
  });
});

describe('run-status transitions', () => {
  const all = Object.keys(runTransitions) as RunStateName[];
  const allowed = new Set([
    'queued>running',
    'queued>completed/cancelled',
    'queued>completed/failed',
    'running>completed/succeeded',
    'running>completed/partially_succeeded',
    'running>completed/failed',
    'running>completed/cancelled',
  ]);
  for (const from of all) {
    for (const to of all) {
      const expected = allowed.has(`${from}>${to}`);
      it(`canTransition ${from} → ${to} is ${expected ? 'allowed' : 'refused'}`, () => {
        expect(canTransition(from, to)).to.equal(expected);
      });
    }
  }
});
