// `npm run bench:ui`: the operator screens' API on 10,000 runs and 1,000 tenants — runs list, the detail of a
// 1,000-tenant run, tenant search — 50 requests each over real HTTP, against the same queries straight on the
// database (the floor) in the same run. Prints JSON; asserts nothing.
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { ensureDatabase, startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { hashPassword } from '../src/auth/passwords.js';
import { allCapabilities } from '../src/auth/capabilities.js';
import { createWebApp } from '../src/http/app.js';
import { createEnqueuer, startBoss } from '../src/queue/queue.js';
import { createRunbookService } from '../src/runbooks/runbook-service.js';
import { getRunDetail, listRuns } from '../src/runs/run-queries.js';
import { generateLargeDataset } from '../src/seed/large.js';
import { searchAllowedTenants } from '../src/tenants/tenants.repository.js';

process.env.LOG_LEVEL ??= 'warn';
const REQUESTS = 50;
const RUNS = 10_000;
const TENANTS = 1_000;
const PASSWORD = 'bench-password-123';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.floor(sorted.length / 2)]!.toFixed(2));
}
function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.floor(sorted.length * 0.95)]!.toFixed(2));
}

async function timeEach(fn: () => Promise<unknown>): Promise<number[]> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

async function main(): Promise<void> {
  const dir = path.resolve('.data/bench-ui-postgres');
  rmSync(dir, { recursive: true, force: true });
  const embedded = await startEmbeddedPostgres({ dir, port: Number(process.env.BENCH_PG_PORT ?? 54359) });
  try {
    await ensureDatabase(embedded.adminUrl, 'atlas_bench_ui');
    const url = embedded.urlFor('atlas_bench_ui');
    await migrate(url);
    const pool = createPool(url);
    await pool.query(`INSERT INTO workspaces (slug, name, is_platform) VALUES ('platform', 'Platform', true)`);
    await pool.query(`INSERT INTO tenants (workspace_id, external_id, name) SELECT id, 'platform', 'Platform' FROM workspaces WHERE is_platform`);
    await generateLargeDataset(pool, { tenants: TENANTS, findingsPerTenant: 5, seed: 9 });
    const operatorId = (
      await pool.query<{ id: number }>(
        `INSERT INTO platform_users (email, name, password_hash, capabilities) VALUES ('bench@atlas.test', 'Bench', $1, $2) RETURNING id`,
        [await hashPassword(PASSWORD), allCapabilities],
      )
    ).rows[0]!.id;
    // 10,000 finished runs across tenants, sources and outcomes.
    await pool.query(
      `INSERT INTO operation_runs (type, workspace_id, tenant_id, scope, status, outcome, initiator_type, initiator_platform_user_id,
                                   initiator_name, source, reason, summary_counts, started_at, completed_at, created_at)
       SELECT 'findings.lifecycle.backfill', t.workspace_id, t.id, 'single_tenant', 'completed',
              (ARRAY['succeeded','partially_succeeded','failed','cancelled'])[1 + g % 4], 'platform_user', $1, 'bench@atlas.test',
              (ARRAY['system_ui','cli','deploy_hook','admin_legacy'])[1 + g % 4], 'benchmark history run #' || g,
              '{"findings_total": 5, "findings_changed": 3}'::jsonb,
              now() - make_interval(mins => $2 - g) , now() - make_interval(mins => $2 - g) + interval '30 seconds',
              now() - make_interval(mins => $2 - g)
         FROM generate_series(1, $2 - 1) AS g
         JOIN LATERAL (SELECT id, workspace_id FROM tenants WHERE external_id <> 'platform' ORDER BY id OFFSET (g % ${TENANTS}) LIMIT 1) t ON true`,
      [operatorId, RUNS],
    );
    // One all-tenants run with an item per tenant, mid-way, and its audit trail.
    const bigRun = (
      await pool.query<{ id: number }>(
        `INSERT INTO operation_runs (type, workspace_id, scope, status, outcome, initiator_type, initiator_platform_user_id, initiator_name,
                                     source, reason, context, started_at)
         SELECT 'findings.lifecycle.backfill', id, 'all_tenants', 'running', 'pending', 'platform_user', $1, 'bench@atlas.test', 'system_ui',
                'benchmark big run', '{"preflight": {"findingsTotal": 5000}}', now() - interval '1 minute'
           FROM workspaces WHERE is_platform RETURNING id`,
        [operatorId],
      )
    ).rows[0]!.id;
    await pool.query(
      `INSERT INTO operation_run_items (run_id, tenant_id, status, phase, counts, attempts, error_message, completed_at)
       SELECT $1, id, CASE WHEN id % 3 = 0 THEN 'pending' WHEN id % 97 = 0 THEN 'failed' ELSE 'succeeded' END,
              CASE WHEN id % 3 = 0 THEN 'batches' ELSE 'done' END,
              '{"findings_total": 5, "findings_changed": 4, "r1_status": 2, "r9_duplicates": 1}'::jsonb, 1,
              CASE WHEN id % 97 = 0 THEN 'The database refused a change for this tenant (SQLSTATE P0001).' END,
              CASE WHEN id % 3 = 0 THEN NULL ELSE now() END
         FROM tenants WHERE external_id <> 'platform'`,
      [bigRun],
    );
    await pool.query(
      `INSERT INTO audit_logs (plane, actor_type, actor_id, actor_label, action, target_type, target_id, metadata)
       SELECT 'system', 'platform_user', $1, 'bench@atlas.test', 'run.started', 'operation_run', id::text, '{}' FROM operation_runs`,
      [operatorId],
    );
    await pool.query('VACUUM ANALYZE');

    const boss = await startBoss(url, { supervise: false });
    const runbooks = createRunbookService({ pool, enqueue: createEnqueuer(boss) });
    const web = await createWebApp({
      config: loadConfig({ NODE_ENV: 'test' }),
      pool,
      secrets: { admin: 'a'.repeat(40), system: 's'.repeat(40) },
      runbooks,
    });
    const server = web.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const login = await fetch(`${base}/system/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'bench@atlas.test', password: PASSWORD }),
    });
    const cookie = login.headers
      .getSetCookie()
      .map((raw) => raw.split(';')[0])
      .find((pair) => pair?.startsWith('atlas_system_sid='));
    if (login.status !== 302 || !cookie) throw new Error(`bench login failed: ${login.status}`);
    const get = async (pathAndQuery: string) => {
      const response = await fetch(`${base}${pathAndQuery}`, { headers: { cookie } });
      if (response.status !== 200) throw new Error(`${pathAndQuery} answered ${response.status}`);
      return response.json();
    };

    const scenarios = [
      {
        name: 'runs_list',
        api: () => get('/system/ops/api/runs?limit=50'),
        db: () => listRuns(pool, { limit: 50 }),
      },
      {
        name: 'runs_list_filtered_page_20',
        api: () => get('/system/ops/api/runs?limit=50&outcome=failed&beforeId=5000'),
        db: () => listRuns(pool, { limit: 50, outcome: 'failed', beforeId: 5000 }),
      },
      {
        name: 'run_detail_1000_tenants',
        api: () => get(`/system/ops/api/runs/${bigRun}`),
        db: () => getRunDetail(pool, bigRun),
      },
      {
        name: 'tenant_search',
        api: () => get('/system/ops/api/tenants?q=bench-9-0005'),
        db: () => searchAllowedTenants(pool, 'bench-9-0005', 20),
      },
    ];
    const results = [];
    for (const scenario of scenarios) {
      const api = await timeEach(scenario.api);
      const db = await timeEach(scenario.db);
      results.push({
        endpoint: scenario.name,
        requests: REQUESTS,
        api_median_ms: median(api),
        api_p95_ms: p95(api),
        db_median_ms: median(db),
        overhead_ms: Number((median(api) - median(db)).toFixed(2)),
        target_ms: 100,
        within_target: median(api) < 100,
      });
    }
    process.stdout.write(`${JSON.stringify({ benchmark: 'operator-api', runs: RUNS, tenants: TENANTS, results }, null, 2)}\n`);
    server.closeAllConnections();
    server.close();
    await web.close();
    await boss.stop({ graceful: false, wait: true });
    await pool.end();
  } finally {
    await embedded.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}-socket`, { recursive: true, force: true });
  }
}

await main();
