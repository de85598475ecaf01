// `npm run bench`: the lifecycle backfill on N tenants × M legacy findings — preflight, the queued run with W worker
// processes, and the single-statement SQL baseline on an identical copy — printed as JSON. Not a test: no asserts.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import pg from 'pg';
import { ensureDatabase, startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { createEnqueuer, startBoss } from '../src/queue/queue.js';
import { applyAllInOneStatementSql } from '../src/runbooks/findings-lifecycle/lifecycle.sql.js';
import { createRunbookService } from '../src/runbooks/runbook-service.js';
import { findRun } from '../src/runs/runs.repository.js';
import { generateLargeDataset } from '../src/seed/large.js';

const KEY = 'findings.lifecycle.backfill';
process.env.LOG_LEVEL ??= 'warn';

const program = new Command('bench')
  .option('--tenants <n>', 'tenants', '1000')
  .option('--findings-per-tenant <n>', 'findings per tenant', '1000')
  .option('--workers <list>', 'worker process counts to measure, comma-separated', '1,2')
  .option('--batch-size <n>', 'keyset batch size', process.env.BATCH_SIZE ?? '5000')
  .option('--concurrency <n>', 'tenant jobs per worker process', '2')
  .parse();
const opts = program.opts<{ tenants: string; findingsPerTenant: string; workers: string; batchSize: string; concurrency: string }>();
const tenants = Number(opts.tenants);
const perTenant = Number(opts.findingsPerTenant);
const workerCounts = opts.workers.split(',').map(Number);

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Findings in a form independent of the as-of instant: a run and the baseline at other instants compare equal. */
async function normalisedChecksum(pool: Pool, asOf: Date): Promise<string> {
  const { rows } = await pool.query<{ sum: string }>(
    `SELECT md5(string_agg(concat_ws('|', id, status, first_seen_at, last_seen_at, times_seen, recurrence_key, sla_days, due_at,
              resolved_at, CASE WHEN closed_at = $1 THEN 'AS_OF' ELSE closed_at::text END, closed_reason, duplicate_of_finding_id,
              CASE WHEN updated_at = $1 THEN 'AS_OF' ELSE updated_at::text END), ',' ORDER BY id)) AS sum FROM findings`,
    [asOf],
  );
  return rows[0]?.sum ?? '';
}

function spawnWorker(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main-worker.ts'], {
    env: { ...process.env, DATABASE_URL: url, BATCH_SIZE: opts.batchSize, WORKER_CONCURRENCY: opts.concurrency, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('started')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function main(): Promise<void> {
  const external = process.env.BENCH_DATABASE_URL;
  const dir = path.resolve('.data/bench-postgres');
  let stop = async () => undefined as void;
  let urlFor: (db: string) => string;
  if (external) {
    urlFor = (db) => Object.assign(new URL(external), { pathname: `/${db}` }).toString();
  } else {
    rmSync(dir, { recursive: true, force: true });
    const embedded = await startEmbeddedPostgres({ dir, port: Number(process.env.BENCH_PG_PORT ?? 54349) });
    urlFor = embedded.urlFor;
    stop = async () => {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}-socket`, { recursive: true, force: true });
    };
  }
  const adminUrl = urlFor('postgres');
  try {
    // One generated template, cloned for every scenario so each starts from identical data.
    await admin(adminUrl, 'DROP DATABASE IF EXISTS atlas_bench_template WITH (FORCE)');
    await ensureDatabase(adminUrl, 'atlas_bench_template');
    const templateUrl = urlFor('atlas_bench_template');
    await migrate(templateUrl);
    const boss = await startBoss(templateUrl, { supervise: false });
    await boss.stop({ graceful: false, wait: true });
    const templatePool = createPool(templateUrl);
    await templatePool.query(`INSERT INTO workspaces (slug, name, is_platform) VALUES ('platform', 'Platform', true)`);
    await templatePool.query(`INSERT INTO tenants (workspace_id, external_id, name) SELECT id, 'platform', 'Platform' FROM workspaces WHERE is_platform`);
    const generated = await generateLargeDataset(templatePool, { tenants, findingsPerTenant: perTenant, seed: 42 });
    await templatePool.query('VACUUM ANALYZE');
    await templatePool.end();

    const clone = async (name: string) => {
      await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin(adminUrl, `CREATE DATABASE ${name} TEMPLATE atlas_bench_template`);
      return { url: urlFor(name), pool: createPool(urlFor(name), { max: 4 }) };
    };

    // Baseline: R1–R9 for every finding in one statement.
    const base = await clone('atlas_bench_baseline');
    const baseAsOf = new Date();
    const ids = (await base.pool.query<{ id: number }>(`SELECT id FROM tenants WHERE external_id <> 'platform'`)).rows.map((row) => row.id);
    const baseStart = performance.now();
    const baseline = await base.pool.query(applyAllInOneStatementSql, [ids, baseAsOf]);
    const baselineMs = performance.now() - baseStart;
    const baselineChecksum = await normalisedChecksum(base.pool, baseAsOf);
    await base.pool.end();

    const results = [];
    for (const workers of workerCounts) {
      const target = await clone(`atlas_bench_w${workers}`);
      const queue = await startBoss(target.url, { supervise: false });
      const service = createRunbookService({ pool: target.pool, enqueue: createEnqueuer(queue) });
      const initiator = { type: 'cli' as const, label: 'bench' };
      const preflightStart = performance.now();
      const preflight = await service.preflight(KEY, { scope: 'all_tenants' }, initiator);
      const preflightMs = performance.now() - preflightStart;
      const children = await Promise.all(Array.from({ length: workers }, () => spawnWorker(target.url)));
      const runStart = performance.now();
      const { run } = await service.startRun({
        runbookKey: KEY,
        scope: { scope: 'all_tenants' },
        initiator,
        source: 'cli',
        reason: 'benchmark run',
        confirmation: 'BACKFILL ALL TENANTS',
      });
      let done = await findRun(target.pool, run.id);
      while (done?.status !== 'completed') {
        await new Promise((resolve) => setTimeout(resolve, 20));
        done = await findRun(target.pool, run.id);
      }
      const runMs = performance.now() - runStart;
      const rss = Math.max(...children.map((child) => peakRssMb(child.pid!)));
      await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'))));
      const checksum = await normalisedChecksum(target.pool, done.createdAt);
      await queue.stop({ graceful: false, wait: true });
      await target.pool.end();
      results.push({
        tenants: generated.tenants,
        findings: generated.findings,
        workers,
        worker_concurrency: Number(opts.concurrency),
        batch_size: Number(opts.batchSize),
        preflight_ms: Math.round(preflightMs),
        run_ms: Math.round(runMs),
        baseline_ms: Math.round(baselineMs),
        ratio: Number((runMs / baselineMs).toFixed(2)),
        findings_per_s: Math.round(generated.findings / (runMs / 1000)),
        worker_peak_rss_mb: rss,
        outcome: done.outcome,
        findings_changed: done.summaryCounts.findings_changed,
        preflight_findings_changed: preflight.findingsWouldChange,
        baseline_rows_updated: baseline.rowCount,
        counts_match_preflight: done.summaryCounts.findings_changed === preflight.findingsWouldChange,
        end_state_identical: checksum === baselineChecksum,
      });
      process.stderr.write(`W=${workers}: run ${Math.round(runMs)} ms, baseline ${Math.round(baselineMs)} ms\n`);
    }
    process.stdout.write(`${JSON.stringify({ benchmark: 'findings.lifecycle.backfill', results }, null, 2)}\n`);
  } finally {
    await stop();
  }
}

await main();
