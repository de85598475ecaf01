// `npm run schema:dump`: migrates a scratch database and writes docs/schema.sql (see src/db/schema-dump.ts).
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { createPool } from '../db/pool.js';
import { dumpSchema, schemaDumpPath } from '../db/schema-dump.js';
import { exitWithError } from '../entry.js';

async function main(): Promise<void> {
  const db = await openDatabase(loadConfig(), { reuseRunningEmbedded: true });
  const pool = createPool(db.url, { max: 1 });
  try {
    writeFileSync(schemaDumpPath, await dumpSchema(pool));
    process.stdout.write(`Wrote ${schemaDumpPath}.\n`);
  } finally {
    await pool.end();
    await db.stop();
  }
}

main().catch((error: unknown) => exitWithError(error));
