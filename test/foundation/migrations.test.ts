import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { migrate, migrationsDir, schemaTable } from '../../src/db/migrate.js';
import { createEmptyDatabase } from '../helpers/db.js';

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const appliedVersions = async (url: string) =>
  (await query<{ version: number }>(url, `SELECT version::int AS version FROM ${schemaTable} WHERE version > 0 ORDER BY version`)).map((row) => row.version);

const tableExists = async (url: string, table: string) =>
  (await query<{ exists: boolean }>(url, 'SELECT to_regclass($1) IS NOT NULL AS exists', [table]))[0]?.exists;

const migrationFiles = readdirSync(migrationsDir).filter((file) => file.endsWith('.sql')).sort();

describe('migrate', () => {
  const tempDirs: string[] = [];
  const tempCopyOfMigrations = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atlas-migrations-'));
    tempDirs.push(dir);
    cpSync(migrationsDir, dir, { recursive: true });
    return dir;
  };
  after(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('migrate applies every file in order, and a second migrate applies nothing', async () => {
    const { url } = await createEmptyDatabase();
    const first = await migrate(url);
    expect(first.applied).to.deep.equal(migrationFiles);
    expect(first.version).to.equal(migrationFiles.length);
    expect(await appliedVersions(url)).to.deep.equal(migrationFiles.map((_file, index) => index + 1));
    expect(await tableExists(url, 'findings')).to.equal(true);
    expect(await tableExists(url, 'system_sessions')).to.equal(true);

    const second = await migrate(url);
    expect(second.applied).to.deep.equal([]);
    expect(second.version).to.equal(migrationFiles.length);
    expect(await appliedVersions(url)).to.have.length(migrationFiles.length);
  });

  it('migrate refuses an edited, already applied file and applies nothing else', async () => {
    const { url } = await createEmptyDatabase();
    const dir = tempCopyOfMigrations();
    await migrate(url, { directory: dir });
    const edited = migrationFiles[1];
    if (!edited) throw new Error('expected at least two migrations');
    appendFileSync(path.join(dir, edited), '\n-- edited after it was applied\nCREATE TABLE sneaky_edit (id int);\n');
    const nextVersion = String(migrationFiles.length + 1).padStart(4, '0');
    writeFileSync(path.join(dir, `${nextVersion}.do.pending.sql`), 'CREATE TABLE pending_after_edit (id int);\n');

    let refused: unknown;
    await migrate(url, { directory: dir }).catch((error: unknown) => (refused = error));
    expect(refused).to.be.instanceOf(Error);
    expect((refused as Error).message).to.match(/checksum/i);
    expect(await appliedVersions(url)).to.deep.equal(migrationFiles.map((_file, index) => index + 1));
    expect(await tableExists(url, 'sneaky_edit')).to.equal(false);
    expect(await tableExists(url, 'pending_after_edit')).to.equal(false);
  });

  it('migrate called twice at once on an empty database applies the schema once', async () => {
    const { url } = await createEmptyDatabase();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    const applied = results.flatMap((result) => result.applied).sort();
    expect(applied).to.deep.equal(migrationFiles);
    expect(results.filter((result) => result.applied.length > 0)).to.have.length(1);
    expect(results.map((result) => result.version)).to.deep.equal(results.map(() => migrationFiles.length));
    expect(await appliedVersions(url)).to.deep.equal(migrationFiles.map((_file, index) => index + 1));
  });

  it('migrate rolls a failing migration back completely', async () => {
    const { url } = await createEmptyDatabase();
    const dir = tempCopyOfMigrations();
    await migrate(url, { directory: dir });
    const next = migrationFiles.length + 1;
    writeFileSync(path.join(dir, `${String(next).padStart(4, '0')}.do.good.sql`), 'CREATE TABLE good_part (id int);\n');
    writeFileSync(
      path.join(dir, `${String(next + 1).padStart(4, '0')}.do.broken.sql`),
      `CREATE TABLE half_done (id int);
       INSERT INTO half_done VALUES (1);
       ALTER TABLE findings ADD COLUMN half_done_marker text;
       SELECT 1 / 0;\n`,
    );

    let failure: unknown;
    await migrate(url, { directory: dir }).catch((error: unknown) => (failure = error));
    expect((failure as { code?: string } | undefined)?.code).to.equal('22012'); // division_by_zero
    expect(await appliedVersions(url)).to.deep.equal(migrationFiles.map((_file, index) => index + 1));
    expect(await tableExists(url, 'half_done')).to.equal(false);
    // The pending file before the broken one shares its transaction: all pending files apply, or none.
    expect(await tableExists(url, 'good_part')).to.equal(false);
    const marker = await query(url, `SELECT 1 FROM information_schema.columns WHERE table_name = 'findings' AND column_name = 'half_done_marker'`);
    expect(marker).to.have.length(0);
  });

  it('migrate rolls back a failing first migration on an empty database, leaving no tables at all', async () => {
    const { url } = await createEmptyDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atlas-migrations-'));
    tempDirs.push(dir);
    writeFileSync(path.join(dir, '0001.do.broken.sql'), 'CREATE TABLE first_table (id int);\nCREATE TABLE first_table (id int);\n');

    let failure: unknown;
    await migrate(url, { directory: dir }).catch((error: unknown) => (failure = error));
    expect((failure as { code?: string } | undefined)?.code).to.equal('42P07'); // duplicate_table
    const tables = await query<{ table_name: string }>(url, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    expect(tables).to.deep.equal([]);
  });
});
