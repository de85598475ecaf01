import { expect } from 'chai';
import { allCapabilities, capabilities } from '../../src/auth/capabilities.js';
import { verifyPassword } from '../../src/auth/passwords.js';
import type { Queryable } from '../../src/db/pool.js';
import { ValidationError } from '../../src/errors.js';
import { DEMO_BASE_TIME, DEMO_PASSWORD, demoLogins, isDatabaseEmpty, seedDemoData, type DemoSummary } from '../../src/seed/demo.js';
import { generateLargeDataset } from '../../src/seed/large.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { duplicateGroupsSql, ruleConditions, untouchedByRowRules } from '../helpers/fixtures-seed-rules.js';

async function one<T>(db: Queryable, sql: string, params: unknown[] = []): Promise<T> {
  const { rows } = await db.query(sql, params);
  if (!rows[0]) throw new Error(`no row from ${sql}`);
  return rows[0] as T;
}

async function countOf(db: Queryable, sql: string, params: unknown[] = []): Promise<number> {
  return (await one<{ n: number }>(db, `SELECT count(*)::int AS n FROM (${sql}) AS counted`, params)).n;
}

/** Every column of every finding, in id order: identical databases give identical checksums. */
const demoFindingsChecksum = (db: Queryable) =>
  one<{ md5: string }>(db, `SELECT md5(string_agg(to_jsonb(f)::text, E'\\n' ORDER BY f.id)) AS md5 FROM findings f`).then((row) => row.md5);

/** Generated findings without database-assigned ids (tenant by external id), in id order. */
const benchFindingsChecksum = (db: Queryable, prefix: string) =>
  one<{ md5: string }>(
    db,
    `SELECT md5(string_agg((to_jsonb(f) - 'id' - 'tenant_id' || jsonb_build_object('tenant', t.external_id))::text, E'\\n' ORDER BY f.id)) AS md5
       FROM findings f JOIN tenants t ON t.id = f.tenant_id WHERE t.external_id LIKE $1::text || '%'`,
    [prefix],
  ).then((row) => row.md5);

interface TableCounts {
  workspaces: number;
  tenants: number;
  findings: number;
  platform_users: number;
  users: number;
}

const tableCounts = (db: Queryable) =>
  one<TableCounts>(
    db,
    `SELECT (SELECT count(*)::int FROM workspaces) AS workspaces, (SELECT count(*)::int FROM tenants) AS tenants,
            (SELECT count(*)::int FROM findings) AS findings, (SELECT count(*)::int FROM platform_users) AS platform_users,
            (SELECT count(*)::int FROM users) AS users`,
  );

describe('seedDemoData', () => {
  let db: TestDatabase;
  let summary: DemoSummary;
  let wasEmpty: boolean;

  before(async () => {
    db = await createTestDatabase();
    wasEmpty = await isDatabaseEmpty(db.pool);
    summary = await seedDemoData(db.pool);
  });

  it('isDatabaseEmpty is true on a fresh database and false once seeded', async () => {
    expect(wasEmpty).to.equal(true);
    expect(await isDatabaseEmpty(db.pool)).to.equal(false);
  });

  it('seedDemoData reports what it wrote, matching the tables', async () => {
    const counts = await tableCounts(db.pool);
    expect(summary).to.deep.equal({
      seeded: true,
      workspaces: counts.workspaces,
      tenants: counts.tenants,
      platformUsers: counts.platform_users,
      users: counts.users,
      findings: counts.findings,
    });
  });

  it('seedDemoData creates one platform workspace owning the platform tenant', async () => {
    const platform = await db.pool.query<{ slug: string; external_id: string }>(
      `SELECT w.slug, t.external_id FROM workspaces w JOIN tenants t ON t.workspace_id = w.id WHERE w.is_platform ORDER BY t.id`,
    );
    expect(platform.rows).to.deep.equal([{ slug: 'platform', external_id: 'platform' }]);
    expect(await countOf(db.pool, `SELECT 1 FROM tenants WHERE external_id = 'platform'`)).to.equal(1);
  });

  it('seedDemoData creates 3+ customer workspaces with 12+ tenants, several for acme and globex', async () => {
    const { rows } = await db.pool.query<{ slug: string; tenants: number }>(
      `SELECT w.slug, count(t.id)::int AS tenants FROM workspaces w LEFT JOIN tenants t ON t.workspace_id = w.id
        WHERE NOT w.is_platform GROUP BY w.slug ORDER BY w.slug`,
    );
    const bySlug = Object.fromEntries(rows.map((row) => [row.slug, row.tenants]));
    expect(rows.length).to.be.at.least(3);
    expect(Object.keys(bySlug)).to.include.members(['acme', 'globex', 'initech']);
    expect(rows.reduce((sum, row) => sum + row.tenants, 0)).to.be.at.least(12);
    expect(bySlug.acme).to.be.at.least(3);
    expect(bySlug.globex).to.be.at.least(3);
  });

  it('seedDemoData creates the operators with exactly their capabilities', async () => {
    const { rows } = await db.pool.query<{ email: string; capabilities: string[]; is_active: boolean }>(
      'SELECT email, capabilities, is_active FROM platform_users ORDER BY email',
    );
    const byEmail = Object.fromEntries(rows.map((row) => [row.email, row]));
    expect(Object.keys(byEmail)).to.have.members(['ops-admin@atlas.test', 'ops-viewer@atlas.test', 'ops-nocaps@atlas.test', 'ops-inactive@atlas.test']);
    expect(byEmail['ops-admin@atlas.test']?.capabilities).to.have.members([...allCapabilities]);
    expect(byEmail['ops-admin@atlas.test']?.is_active).to.equal(true);
    expect(byEmail['ops-viewer@atlas.test']?.capabilities).to.have.members([capabilities.opsView, capabilities.runbooksView]);
    expect(byEmail['ops-viewer@atlas.test']?.capabilities).to.have.length(2);
    expect(byEmail['ops-nocaps@atlas.test']?.capabilities).to.deep.equal([]);
    expect(byEmail['ops-nocaps@atlas.test']?.is_active).to.equal(true);
    expect(byEmail['ops-inactive@atlas.test']?.is_active).to.equal(false);
  });

  it('seedDemoData creates the customer owners in their own workspaces', async () => {
    const { rows } = await db.pool.query<{ email: string; slug: string; is_active: boolean }>(
      'SELECT u.email, w.slug, u.is_active FROM users u JOIN workspaces w ON w.id = u.workspace_id ORDER BY u.email',
    );
    expect(rows).to.deep.include({ email: 'owner@acme.test', slug: 'acme', is_active: true });
    expect(rows).to.deep.include({ email: 'owner@globex.test', slug: 'globex', is_active: true });
  });

  it('seedDemoData stores bcrypt hashes that verify the demo password, never the password itself', async () => {
    const { rows } = await db.pool.query<{ email: string; password_hash: string }>(
      'SELECT email, password_hash FROM platform_users UNION ALL SELECT email, password_hash FROM users',
    );
    expect(rows).to.have.length(demoLogins.length);
    for (const row of rows) {
      expect(row.password_hash, row.email).to.match(/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/);
      expect(row.password_hash).to.not.include(DEMO_PASSWORD);
      expect(await verifyPassword(DEMO_PASSWORD, row.password_hash), row.email).to.equal(true);
    }
    expect(await verifyPassword('wrong-password', rows[0]?.password_hash ?? '')).to.equal(false);
  });

  it('demoLogins lists exactly the seeded logins, with their plane and capabilities', async () => {
    const seeded = await db.pool.query<{ email: string; plane: string; capabilities: string[] }>(
      `SELECT email, 'system' AS plane, capabilities FROM platform_users UNION ALL SELECT email, 'admin', '{}'::text[] FROM users`,
    );
    expect(demoLogins.map((login) => login.email)).to.have.members(seeded.rows.map((row) => row.email));
    for (const row of seeded.rows) {
      const login = demoLogins.find((candidate) => candidate.email === row.email);
      expect(login?.plane, row.email).to.equal(row.plane);
      expect([...(login?.capabilities ?? [])], row.email).to.have.members(row.capabilities);
      expect(login?.canDo.length ?? 0, row.email).to.be.greaterThan(10);
    }
  });

  it('seedDemoData writes a few thousand findings, for customer tenants and the platform tenant', async () => {
    const { rows } = await db.pool.query<{ tenant: string; n: number }>(
      `SELECT t.external_id AS tenant, count(f.id)::int AS n FROM tenants t LEFT JOIN findings f ON f.tenant_id = t.id GROUP BY t.external_id`,
    );
    const total = rows.reduce((sum, row) => sum + row.n, 0);
    expect(total).to.be.within(2000, 10000);
    for (const row of rows) expect(row.n, row.tenant).to.be.greaterThan(0);
    expect(rows.find((row) => row.tenant === 'platform')?.n).to.be.greaterThan(0);
  });

  for (const [rule, condition] of Object.entries(ruleConditions)) {
    it(`seedDemoData leaves findings that rule ${rule} would change, in customer tenants and the platform tenant`, async () => {
      const byPlane = await one<{ customer: number; platform: number }>(
        db.pool,
        `SELECT count(*) FILTER (WHERE t.external_id <> 'platform')::int AS customer,
                count(*) FILTER (WHERE t.external_id = 'platform')::int AS platform
           FROM findings f JOIN tenants t ON t.id = f.tenant_id WHERE ${condition}`,
      );
      expect(byPlane.customer).to.be.greaterThan(0);
      expect(byPlane.platform).to.be.greaterThan(0);
    });
  }

  it('seedDemoData leaves duplicate groups for R9 in several tenants, some with ties on first seen', async () => {
    const { rows } = await db.pool.query<{ tenant_id: number; size: number; distinct_first_seen: number }>(duplicateGroupsSql());
    expect(rows.length).to.be.at.least(10);
    expect(new Set(rows.map((row) => row.tenant_id)).size).to.be.at.least(12);
    expect(rows.filter((row) => row.distinct_first_seen < row.size).length).to.be.greaterThan(0);
    expect(await countOf(db.pool, duplicateGroupsSql(`t.external_id = 'platform'`))).to.be.greaterThan(0);
    const acmeGlobex = await countOf(db.pool, duplicateGroupsSql(`t.workspace_id IN (SELECT id FROM workspaces WHERE slug IN ('acme', 'globex'))`));
    expect(acmeGlobex).to.be.at.least(4);
  });

  it('seedDemoData also writes lifecycle-complete findings that no rule would change', async () => {
    const complete = await countOf(db.pool, `SELECT 1 FROM findings f WHERE ${untouchedByRowRules}`);
    expect(complete).to.be.greaterThan(500);
  });

  it('seedDemoData dates every finding at or before the base time, updated_at never before created_at', async () => {
    expect(await countOf(db.pool, 'SELECT 1 FROM findings WHERE updated_at < created_at')).to.equal(0);
    const afterBase = `SELECT 1 FROM findings WHERE greatest(created_at, updated_at, first_seen_at, last_seen_at, resolved_at, closed_at) > $1::timestamptz`;
    expect(await countOf(db.pool, afterBase, [DEMO_BASE_TIME.toISOString()])).to.equal(0);
  });

  it('seedDemoData is deterministic: a second fresh database gets byte-identical findings', async () => {
    const other = await createTestDatabase();
    await seedDemoData(other.pool);
    const [mine, theirs] = await Promise.all([demoFindingsChecksum(db.pool), demoFindingsChecksum(other.pool)]);
    expect(mine).to.match(/^[0-9a-f]{32}$/);
    expect(theirs).to.equal(mine);
  });

  it('seedDemoData is idempotent: a second call writes nothing and says so', async () => {
    const before = await tableCounts(db.pool);
    const checksum = await demoFindingsChecksum(db.pool);
    const again = await seedDemoData(db.pool);
    expect(again.seeded).to.equal(false);
    expect(await tableCounts(db.pool)).to.deep.equal(before);
    expect(await demoFindingsChecksum(db.pool)).to.equal(checksum);
  });

  it('seedDemoData called twice at once seeds once', async () => {
    const fresh = await createTestDatabase();
    const results = await Promise.all([seedDemoData(fresh.pool), seedDemoData(fresh.pool)]);
    expect(results.map((result) => result.seeded).sort()).to.deep.equal([false, true]);
    expect((await tableCounts(fresh.pool)).findings).to.equal(summary.findings);
  });
});

describe('generateLargeDataset', () => {
  const tenants = 20;
  const findingsPerTenant = 50;
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
    await seedDemoData(db.pool);
  });

  it('generateLargeDataset creates N tenants and N × M findings next to existing data', async () => {
    const before = await tableCounts(db.pool);
    const platformBefore = await countOf(db.pool, `SELECT 1 FROM findings f JOIN tenants t ON t.id = f.tenant_id WHERE t.external_id = 'platform'`);
    const result = await generateLargeDataset(db.pool, { tenants, findingsPerTenant, seed: 7 });
    expect(result).to.include({ prefix: 'bench-7-', tenants, findings: tenants * findingsPerTenant, workspaces: 1 });
    expect(result.ms).to.be.a('number').and.at.least(0);
    const after = await tableCounts(db.pool);
    expect(after.tenants - before.tenants).to.equal(tenants);
    expect(after.findings - before.findings).to.equal(tenants * findingsPerTenant);
    expect(after.workspaces - before.workspaces).to.equal(1);
    const perTenant = await db.pool.query<{ external_id: string; n: number }>(
      `SELECT t.external_id, count(f.id)::int AS n FROM tenants t JOIN findings f ON f.tenant_id = t.id
        WHERE t.external_id LIKE 'bench-7-%' GROUP BY t.external_id ORDER BY t.external_id`,
    );
    expect(perTenant.rows.map((row) => row.n)).to.deep.equal(Array.from({ length: tenants }, () => findingsPerTenant));
    expect(perTenant.rows[0]?.external_id).to.equal('bench-7-000001');
    expect(perTenant.rows.at(-1)?.external_id).to.equal('bench-7-000020');
    const platformAfter = await countOf(db.pool, `SELECT 1 FROM findings f JOIN tenants t ON t.id = f.tenant_id WHERE t.external_id = 'platform'`);
    expect(platformAfter).to.equal(platformBefore);
  });

  for (const [rule, condition] of Object.entries(ruleConditions)) {
    it(`generateLargeDataset writes findings that rule ${rule} would change`, async () => {
      const n = await countOf(db.pool, `SELECT 1 FROM findings f JOIN tenants t ON t.id = f.tenant_id WHERE t.external_id LIKE 'bench-7-%' AND (${condition})`);
      expect(n).to.be.greaterThan(0);
      expect(n).to.be.lessThan(tenants * findingsPerTenant);
    });
  }

  it('generateLargeDataset puts about 5% of each tenant\'s findings into open duplicate groups, some tied on first seen', async () => {
    const { rows } = await db.pool.query<{ tenant_id: number; size: number; distinct_first_seen: number }>(
      duplicateGroupsSql(`t.external_id LIKE 'bench-7-%'`),
    );
    expect(new Set(rows.map((row) => row.tenant_id)).size).to.equal(tenants);
    const members = rows.reduce((sum, row) => sum + row.size, 0);
    expect(members / (tenants * findingsPerTenant)).to.be.within(0.04, 0.07);
    expect(rows.some((row) => row.distinct_first_seen < row.size)).to.equal(true);
  });

  it('generateLargeDataset is deterministic for a seed, and another seed gives other data', async () => {
    const other = await createTestDatabase();
    await generateLargeDataset(other.pool, { tenants, findingsPerTenant, seed: 7 });
    await generateLargeDataset(other.pool, { tenants, findingsPerTenant, seed: 8 });
    const mine = await benchFindingsChecksum(db.pool, 'bench-7-');
    expect(await benchFindingsChecksum(other.pool, 'bench-7-')).to.equal(mine);
    const seed8 = await benchFindingsChecksum(other.pool, 'bench-8-');
    expect(seed8).to.not.equal(mine);
  });

  it('generateLargeDataset refuses a seed whose data already exists, writing nothing', async () => {
    const before = await tableCounts(db.pool);
    let refused: unknown;
    await generateLargeDataset(db.pool, { tenants: 3, findingsPerTenant: 3, seed: 7 }).catch((error: unknown) => (refused = error));
    expect(refused).to.be.instanceOf(ValidationError);
    expect((refused as ValidationError).message).to.match(/seed 7 already exists/);
    expect(await tableCounts(db.pool)).to.deep.equal(before);
  });

  const badOptions = [
    { tenants: 0, findingsPerTenant: 10, seed: 1, field: 'tenants' },
    { tenants: -5, findingsPerTenant: 10, seed: 1, field: 'tenants' },
    { tenants: 2, findingsPerTenant: 1.5, seed: 1, field: 'findingsPerTenant' },
    { tenants: 2, findingsPerTenant: Number.NaN, seed: 1, field: 'findingsPerTenant' },
    { tenants: 2, findingsPerTenant: 2, seed: -1, field: 'seed' },
  ];
  for (const { field, ...options } of badOptions) {
    it(`generateLargeDataset refuses ${JSON.stringify(options)} naming ${field}, writing nothing`, async () => {
      const before = await tableCounts(db.pool);
      let refused: unknown;
      await generateLargeDataset(db.pool, options).catch((error: unknown) => (refused = error));
      expect(refused).to.be.instanceOf(ValidationError);
      expect((refused as ValidationError).field).to.equal(field);
      expect(await tableCounts(db.pool)).to.deep.equal(before);
    });
  }
});
