// getRunDetail's progress: never above 100 %, never a negative ETA, also when findings were added during the run.
import { expect } from 'chai';
import { getRunDetail } from '../../src/runs/run-queries.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { insertPlatform } from '../helpers/engine.js';
import { insertRun, insertTenant, insertWorkspace } from '../helpers/fixtures.js';

describe('getRunDetail progress', () => {
  let db: TestDatabase;
  let runId: number;

  before(async () => {
    db = await createTestDatabase();
    const platform = await insertPlatform(db.pool);
    const ws = await insertWorkspace(db.pool);
    const tenants = [await insertTenant(db.pool, { workspace_id: ws }), await insertTenant(db.pool, { workspace_id: ws })];
    // The preflight saw 10 findings; since then rows were added, and the first tenant alone has scanned 14.
    runId = await insertRun(db.pool, {
      workspace_id: platform.workspaceId,
      tenant_id: null,
      status: 'running',
      outcome: 'pending',
      completed_at: null,
      started_at: new Date(Date.now() - 10_000),
      context: { preflight: { findingsTotal: 10 } },
    });
    await db.pool.query(
      `INSERT INTO operation_run_items (run_id, tenant_id, status, phase, counts, completed_at)
       VALUES ($1, $2, 'succeeded', 'done', '{"findings_total": 14, "findings_changed": 9}', now()),
              ($1, $3, 'pending', 'batches', '{}', NULL)`,
      [runId, tenants[0], tenants[1]],
    );
  });

  it('getRunDetail clamps findings progress to the larger of snapshot and processed, and keeps the ETA at zero or more', async () => {
    const detail = await getRunDetail(db.pool, runId);
    expect(detail!.findings).to.deep.equal({ processed: 14, expected: 14, fraction: 1 });
    expect(detail!.fraction).to.equal(0.5);
    expect(detail!.etaSeconds).to.equal(0);
    expect(detail!.elapsedSeconds).to.be.within(9, 60);
  });

  it('getRunDetail has no ETA before anything was processed, and 0 once completed', async () => {
    await db.pool.query(`UPDATE operation_run_items SET counts = '{}' WHERE run_id = $1`, [runId]);
    expect((await getRunDetail(db.pool, runId))!.etaSeconds).to.equal(null);
    await db.pool.query(`UPDATE operation_runs SET status = 'completed', outcome = 'succeeded', completed_at = now() WHERE id = $1`, [runId]);
    const done = await getRunDetail(db.pool, runId);
    expect(done!.etaSeconds).to.equal(0);
    expect(done!.fraction).to.equal(1);
  });
});
