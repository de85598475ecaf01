// Schema migrations: postgrator over plain numbered SQL files, all pending files in one transaction,
// serialized across processes by an advisory lock.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import Postgrator from 'postgrator';

export const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
export const schemaTable = 'schema_migrations';
/** Advisory lock key held while migrating (any constant unique to this purpose). */
const MIGRATION_LOCK_KEY = 0x61746c61; // "atla"

export interface MigrationResult {
  applied: string[];
  version: number;
}

export async function migrate(connectionString: string, options: { directory?: string } = {}): Promise<MigrationResult> {
  const client = new pg.Client({ connectionString, application_name: 'atlas-ops migrate' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN');
    // A second process waits here, then finds nothing left to apply.
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    const postgrator = new Postgrator({
      driver: 'pg',
      migrationPattern: path.join(options.directory ?? migrationsDir, '*.sql'),
      schemaTable,
      validateChecksums: true,
      newline: 'LF',
      execQuery: (query) => client.query(query),
    });
    const applied = await postgrator.migrate();
    const version = await postgrator.getDatabaseVersion();
    await client.query('COMMIT');
    return { applied: applied.map((migration) => migration.filename.split('/').at(-1) ?? migration.filename), version };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
