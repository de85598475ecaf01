// Test databases: one migrated template per suite run, cloned per test file (CREATE DATABASE … TEMPLATE).
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { isProcessAlive, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/db/embedded.js';
import { ConfigError } from '../../src/errors.js';
import { migrate, migrationsDir } from '../../src/db/migrate.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { startBoss } from '../../src/queue/queue.js';

export const TEST_DB_PREFIX = 'atlas_test_';
const TEMPLATE_PREFIX = 'atlas_template_';

interface Server {
  urlFor(database: string): string;
  embedded: EmbeddedPostgresHandle | null;
}

interface SuiteState {
  server: Server | null;
  templateName: string | null;
  privateDir: string | null;
  created: { name: string; pools: Pool[] }[];
}

// On globalThis: a test file that mocha loads through require (AdminJS cannot be) gets a second copy of this
// module, and both copies must see the one server the root hooks started.
const globals = globalThis as typeof globalThis & { atlasTestSuite?: SuiteState };
const state: SuiteState = (globals.atlasTestSuite ??= { server: null, templateName: null, privateDir: null, created: [] });
const created = state.created;

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: requireServer().urlFor('postgres') });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

function requireServer(): Server {
  if (!state.server) throw new Error('test database server not started (test/helpers/hooks.ts)');
  return state.server;
}

function schemaHash(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(migrationsDir).sort()) hash.update(file).update(readFileSync(path.join(migrationsDir, file)));
  hash.update(readFileSync(path.resolve('src/queue/queue.ts')));
  return hash.digest('hex').slice(0, 12);
}

/** Starts (or connects to) the test server and builds the template database if the schema changed. */
export async function startTestServer(): Promise<void> {
  const external = process.env.TEST_DATABASE_URL?.trim();
  if (external) {
    state.server = { urlFor: (database) => withDatabase(external, database), embedded: null };
  } else {
    const embedded = await startOwnEmbeddedServer();
    state.server = { urlFor: embedded.urlFor, embedded };
  }
  await dropStaleDatabases();
  state.templateName = `${TEMPLATE_PREFIX}${schemaHash()}`;
  const exists = await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [state.templateName]);
  if (!exists.rowCount) {
    const building = `${state.templateName}_build_${randomBytes(3).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(building)}`);
    await migrate(state.server.urlFor(building));
    // pg-boss's schema and our queues in the template too, so no test pays for pg-boss's migrations.
    const boss = await startBoss(state.server.urlFor(building), { supervise: false });
    await boss.stop({ graceful: false, wait: true });
    await adminQuery(`ALTER DATABASE ${pg.escapeIdentifier(building)} RENAME TO ${pg.escapeIdentifier(state.templateName)}`).catch(
      async () => adminQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(building)}`),
    );
  }
}

/**
 * The suite's own embedded server in .data/test-postgres; when another suite run on this tree holds it, a private
 * folder and port for this run (removed at the end), so two runs never share or break each other's server.
 */
async function startOwnEmbeddedServer(): Promise<EmbeddedPostgresHandle> {
  const port = Number(process.env.TEST_EMBEDDED_PG_PORT ?? 54339);
  try {
    return await startEmbeddedPostgres({ dir: path.resolve('.data/test-postgres'), port });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const dir = path.resolve(`.data/test-postgres-${process.pid}`);
    state.privateDir = dir;
    return startEmbeddedPostgres({ dir, port: port + 1 + (process.pid % 500) });
  }
}


/** Drops test databases left by suite runs that are no longer alive (their pid is in the name), and old templates. */
async function dropStaleDatabases(): Promise<void> {
  const { rows: all } = await adminQuery(
    `SELECT datname FROM pg_database WHERE datname LIKE $1 OR (datname LIKE $2 AND datname <> $3)`,
    [`${TEST_DB_PREFIX}%`, `${TEMPLATE_PREFIX}%`, `${TEMPLATE_PREFIX}${schemaHash()}`],
  );
  const rows = (all as { datname: string }[]).filter((row) => {
    const pid = Number(/^atlas_test_(\d+)_/.exec(row.datname)?.[1]);
    return !pid || !isProcessAlive(pid);
  });
  for (const row of rows) {
    await adminQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(row.datname)} WITH (FORCE)`);
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  pool: Pool;
  /** A further pool on the same database (closed with the suite). */
  newPool(max?: number): Pool;
}

/** A fresh, migrated, empty database for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const srv = requireServer();
  if (!state.templateName) throw new Error('template database missing');
  const name = `${TEST_DB_PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(state.templateName)}`);
  const url = srv.urlFor(name);
  const entry = { name, pools: [] as Pool[] };
  created.push(entry);
  const newPool = (max = 10) => {
    const pool = createPool(url, { max, applicationName: 'atlas-ops test' });
    entry.pools.push(pool);
    return pool;
  };
  return { name, url, pool: newPool(), newPool };
}

/** A database with no schema at all (for migration tests). */
export async function createEmptyDatabase(): Promise<{ name: string; url: string }> {
  const name = `${TEST_DB_PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  created.push({ name, pools: [] });
  return { name, url: requireServer().urlFor(name) };
}

export async function stopTestServer(): Promise<void> {
  for (const entry of created.splice(0)) {
    await Promise.all(entry.pools.map((pool) => pool.end().catch(() => undefined)));
    if (!process.env.KEEP_TEST_DATABASES) {
      await adminQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(entry.name)} WITH (FORCE)`).catch(() => undefined);
    }
  }
  await state.server?.embedded?.stop();
  state.server = null;
  if (state.privateDir) rmSync(state.privateDir, { recursive: true, force: true });
  if (state.privateDir) rmSync(`${state.privateDir}-socket`, { recursive: true, force: true });
}

export function testServerUrlFor(database: string): string {
  return requireServer().urlFor(database);
}
