// The ops CLI and the deploy hook as users run them: real processes, real database, exit codes and --json.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { exitCodes } from '../../src/errors.js';
import { generateLargeDataset } from '../../src/seed/large.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { insertOperator, insertPlatform, startTestEngine, waitForRunCompletion } from '../helpers/engine.js';
import { capabilities } from '../../src/auth/capabilities.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(db: TestDatabase, script: 'ops' | 'deploy', args: string[], env: Record<string, string> = {}): Promise<Result> {
  const entry = script === 'ops' ? 'src/cli/ops.ts' : 'src/cli/deploy-runbooks.ts';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
      env: { ...process.env, DATABASE_URL: db.url, BATCH_SIZE: '50', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function runCount(db: TestDatabase): Promise<number> {
  return (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM operation_runs')).rows[0]!.n;
}

describe('ops CLI', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let tenant: string;

  before(async () => {
    db = await createTestDatabase();
    await insertPlatform(db.pool);
    const generated = await generateLargeDataset(db.pool, { tenants: 4, findingsPerTenant: 60, seed: 3 });
    tenant = `${generated.prefix}000001`;
    const exists = await db.pool.query('SELECT 1 FROM tenants WHERE external_id = $1', [tenant]);
    expect(exists.rowCount, `tenant ${tenant}`).to.equal(1);
  });

  it('ops preflight --json prints the counts and changes nothing', async () => {
    const result = await cli(db, 'ops', ['--json', 'preflight', '--tenant', tenant]);
    expect(result.code, result.stderr).to.equal(0);
    const body = JSON.parse(result.stdout) as { findingsTotal: number; findingsWouldChange: number; tenant: { externalId: string } };
    expect(body.tenant.externalId).to.equal(tenant);
    expect(body.findingsTotal).to.equal(60);
    expect(body.findingsWouldChange).to.be.greaterThan(0);
    expect(await runCount(db)).to.equal(0);
  });

  const refusals: [string, string[]][] = [
    ['a short reason', ['run', '--tenant', 'X', '--reason', 'abc']],
    ['no scope', ['run', '--reason', 'valid reason']],
    ['both scopes', ['run', '--tenant', 'X', '--all-tenants', '--reason', 'valid reason']],
    ['all tenants without --yes and no terminal', ['run', '--all-tenants', '--reason', 'valid reason']],
    ['the platform tenant', ['run', '--tenant', 'platform', '--reason', 'valid reason']],
    ['an unknown command', ['frobnicate']],
    ['a non-numeric run id', ['run:show', 'abc']],
  ];
  for (const [what, args] of refusals) {
    it(`ops refuses ${what} with exit ${exitCodes.refused} and starts nothing`, async () => {
      const fixed = args.map((arg) => (arg === 'X' ? tenant : arg));
      const result = await cli(db, 'ops', fixed);
      expect(result.code, result.stdout + result.stderr).to.equal(exitCodes.refused);
      expect(result.stderr).to.match(/error/i);
      expect(result.stderr).to.not.match(/\n\s+at /); // no stack trace
      expect(await runCount(db)).to.equal(0);
    });
  }

  it('ops run --wait --json succeeds with exit 0 and the run counts; a second run changes nothing', async () => {
    const result = await cli(db, 'ops', ['--json', 'run', '--tenant', tenant, '--reason', 'cli single tenant', '--wait']);
    expect(result.code, result.stderr).to.equal(exitCodes.ok);
    const body = JSON.parse(result.stdout) as { status: string; outcome: string; counts: Record<string, number>; created: boolean };
    expect(body).to.include({ status: 'completed', outcome: 'succeeded', created: true });
    expect(body.counts.findings_total).to.equal(60);
    expect(body.counts.findings_changed).to.be.greaterThan(0);
    const again = await cli(db, 'ops', ['--json', 'run', '--tenant', tenant, '--reason', 'cli single tenant', '--wait']);
    expect((JSON.parse(again.stdout) as { counts: Record<string, number> }).counts.findings_changed).to.equal(0);
    const runs = await db.pool.query(`SELECT source, initiator_type, initiator_name FROM operation_runs ORDER BY id`);
    expect(runs.rows[0]).to.include({ source: 'cli', initiator_type: 'cli' });
    expect(runs.rows[0].initiator_name).to.match(/@/);
  });

  it('ops run on a scope with an active run exits 3 and names the run', async () => {
    const engine = await startTestEngine(db.url, db.pool, { worker: false });
    try {
      const { run } = await engine.runbooks.startRun({
        runbookKey: 'findings.lifecycle.backfill',
        scope: { scope: 'all_tenants' },
        initiator: { type: 'cli', label: 'blocker' },
        source: 'cli',
        reason: 'holds the lock',
        confirmation: 'BACKFILL ALL TENANTS',
      });
      const before = await runCount(db);
      const result = await cli(db, 'ops', ['--json', 'run', '--tenant', tenant, '--reason', 'blocked run']);
      expect(result.code).to.equal(exitCodes.conflict);
      expect(JSON.parse(result.stdout)).to.deep.equal({
        error: { code: 'lock_conflict', message: `Run #${run.id} is already active for this runbook and scope.`, details: { activeRunId: run.id } },
      });
      expect(await runCount(db)).to.equal(before);
      const cancel = await cli(db, 'ops', ['run:cancel', String(run.id)]);
      expect(cancel.code, cancel.stderr).to.equal(0);
      const twice = await cli(db, 'ops', ['run:cancel', String(run.id)]);
      expect(twice.code).to.equal(exitCodes.refused);
      expect(twice.stderr).to.match(/already completed/);
    } finally {
      await engine.stop();
    }
  });

  it('ops run --operator checks the operator: a viewer is refused, an admin is recorded as initiator', async () => {
    const viewer = await insertOperator(db.pool, [capabilities.opsView, capabilities.runbooksView]);
    const refused = await cli(db, 'ops', ['run', '--tenant', tenant, '--reason', 'as a viewer', '--operator', viewer.label]);
    expect(refused.code).to.equal(exitCodes.notFound);
    const unknown = await cli(db, 'ops', ['run', '--tenant', tenant, '--reason', 'as nobody', '--operator', 'nobody@atlas.test']);
    expect(unknown.code).to.equal(exitCodes.notFound);
    const admin = await insertOperator(db.pool);
    const ok = await cli(db, 'ops', ['--json', 'run', '--tenant', tenant, '--reason', 'as an admin', '--operator', admin.label, '--wait']);
    expect(ok.code, ok.stderr).to.equal(0);
    const id = (JSON.parse(ok.stdout) as { id: number }).id;
    const row = await db.pool.query('SELECT initiator_platform_user_id FROM operation_runs WHERE id = $1', [id]);
    expect(row.rows[0].initiator_platform_user_id).to.equal(admin.platformUserId);
  });

  it('ops runs and run:show list and show runs; a missing run exits non-zero', async () => {
    const list = await cli(db, 'ops', ['--json', 'runs', '--limit', '2']);
    expect(list.code).to.equal(0);
    const runs = JSON.parse(list.stdout) as { id: number }[];
    expect(runs).to.have.length(2);
    expect(runs[0]!.id).to.be.greaterThan(runs[1]!.id);
    const show = await cli(db, 'ops', ['run:show', String(runs[0]!.id)]);
    expect(show.code).to.equal(0);
    expect(show.stdout).to.contain(`Run #${runs[0]!.id}`);
    const missing = await cli(db, 'ops', ['run:show', '999999']);
    expect(missing.code).to.equal(exitCodes.notFound);
    expect(missing.stderr).to.contain('Run #999999 does not exist.');
    const badStatus = await cli(db, 'ops', ['runs', '--status', 'bogus']);
    expect(badStatus.code).to.equal(exitCodes.refused);
  });

  it('ops run --wait exits 1 when the run only partially succeeds', async () => {
    const { rows } = await db.pool.query<{ id: number }>(`SELECT id FROM tenants WHERE external_id = $1`, [`${tenant.slice(0, -1)}2`]);
    const broken = rows[0]!.id;
    await db.pool.query(`UPDATE findings SET status = 'open' WHERE tenant_id = $1`, [broken]);
    await db.pool.query(`
      CREATE FUNCTION test_fail_cli() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.tenant_id = ${broken} THEN RAISE EXCEPTION 'broken'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER test_fail_cli BEFORE UPDATE ON findings FOR EACH ROW EXECUTE FUNCTION test_fail_cli();`);
    try {
      const result = await cli(db, 'ops', ['--json', 'run', '--all-tenants', '--yes', '--reason', 'partial run', '--wait'], { TENANT_JOB_RETRIES: '0' });
      expect(result.code, result.stderr).to.equal(exitCodes.runNotSucceeded);
      const body = JSON.parse(result.stdout) as { outcome: string; failures: { tenantId: number }[] };
      expect(body.outcome).to.equal('partially_succeeded');
      expect(body.failures.map((failure) => failure.tenantId)).to.deep.equal([broken]);
    } finally {
      await db.pool.query('DROP TRIGGER test_fail_cli ON findings; DROP FUNCTION test_fail_cli()');
    }
  });
});

describe('operator administration CLI', function () {
  this.timeout(60_000);

  it('operator:add creates an operator who can sign in; refuses bad input; deactivate and activate switch it', async () => {
    const db = await createTestDatabase();
    const password = 'a long enough password';
    const refusals: { args: string[]; env: Record<string, string> }[] = [
      { args: ['operator:add', 'not-an-email'], env: { OPERATOR_PASSWORD: password } },
      { args: ['operator:add', 'new@atlas.test', '--capability', 'platform.everything'], env: { OPERATOR_PASSWORD: password } },
      { args: ['operator:add', 'new@atlas.test'], env: { OPERATOR_PASSWORD: 'short' } },
      { args: ['operator:add', 'new@atlas.test'], env: {} },
    ];
    for (const refusal of refusals) {
      const result = await cli(db, 'ops', refusal.args, refusal.env);
      expect(result.code, refusal.args.join(' ')).to.equal(exitCodes.refused);
    }
    expect((await db.pool.query('SELECT count(*)::int AS n FROM platform_users')).rows[0].n).to.equal(0);

    const added = await cli(db, 'ops', ['operator:add', 'New@Atlas.test', '--name', 'New Operator', '--capability', 'platform.ops.view', 'platform.runbooks.view'], {
      OPERATOR_PASSWORD: password,
    });
    expect(added.code, added.stderr).to.equal(0);
    expect(added.stdout).to.contain('Created operator new@atlas.test');
    const { authenticatePlatformUser } = await import('../../src/auth/login.js');
    const identity = await authenticatePlatformUser(db.pool, 'new@atlas.test', password);
    expect(identity).to.include({ email: 'new@atlas.test', name: 'New Operator', isActive: true });
    expect(identity!.capabilities).to.deep.equal(['platform.ops.view', 'platform.runbooks.view']);

    const updated = await cli(db, 'ops', ['--json', 'operator:add', 'new@atlas.test', '--all-capabilities'], { OPERATOR_PASSWORD: password });
    expect(JSON.parse(updated.stdout)).to.include({ created: false });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM platform_users')).rows[0].n).to.equal(1);

    expect((await cli(db, 'ops', ['operator:deactivate', 'new@atlas.test'])).code).to.equal(0);
    expect(await authenticatePlatformUser(db.pool, 'new@atlas.test', password)).to.equal(null);
    expect((await cli(db, 'ops', ['operator:activate', 'new@atlas.test'])).code).to.equal(0);
    expect(await authenticatePlatformUser(db.pool, 'new@atlas.test', password)).to.not.equal(null);
    expect((await cli(db, 'ops', ['operator:deactivate', 'ghost@atlas.test'])).code).to.equal(exitCodes.notFound);
    const audit = await db.pool.query(`SELECT action FROM audit_logs WHERE action LIKE 'operator.%' ORDER BY id`);
    expect(audit.rows.map((row) => row.action)).to.deep.equal(['operator.created', 'operator.updated', 'operator.deactivated', 'operator.activated']);
  });
});

describe('deploy hook', function () {
  this.timeout(120_000);

  it('deploy:runbooks runs once per release: a second deploy does nothing, concurrent deploys start one run', async () => {
    const db = await createTestDatabase();
    await insertPlatform(db.pool);
    await generateLargeDataset(db.pool, { tenants: 3, findingsPerTenant: 40, seed: 5 });
    const first = await cli(db, 'deploy', ['--json'], { RELEASE_ID: 'rel-1' });
    expect(first.code, first.stderr).to.equal(0);
    const body = JSON.parse(first.stdout) as { release: string; runs: { runId: number; created: boolean; outcome: string; counts: Record<string, number> }[] };
    expect(body.release).to.equal('rel-1');
    expect(body.runs).to.have.length(1);
    expect(body.runs[0]).to.include({ created: true, outcome: 'succeeded' });
    expect(body.runs[0]!.counts.findings_changed).to.be.greaterThan(0);

    const second = await cli(db, 'deploy', [], { RELEASE_ID: 'rel-1' });
    expect(second.code).to.equal(0);
    expect(second.stdout).to.contain('already has run');
    const runs = await db.pool.query(`SELECT source, idempotency_key, initiator_type FROM operation_runs`);
    expect(runs.rows).to.deep.equal([{ source: 'deploy_hook', idempotency_key: 'deploy:rel-1:findings.lifecycle.backfill', initiator_type: 'deploy' }]);

    const concurrent = await Promise.all([1, 2, 3].map(() => cli(db, 'deploy', ['--json'], { RELEASE_ID: 'rel-2' })));
    for (const result of concurrent) expect(result.code, result.stderr).to.equal(0);
    const ids = concurrent.map((result) => (JSON.parse(result.stdout) as { runs: { runId: number }[] }).runs[0]!.runId);
    expect(new Set(ids).size).to.equal(1);
    expect(concurrent.filter((result) => (JSON.parse(result.stdout) as { runs: { created: boolean }[] }).runs[0]!.created)).to.have.length(1);
    const done = await waitForRunCompletion(db.pool, ids[0]!);
    expect(done.summaryCounts.findings_changed).to.equal(0);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM operation_runs')).rows[0].n).to.equal(2);
  });
});
