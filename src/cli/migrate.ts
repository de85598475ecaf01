// `npm run migrate`: applies pending migrations to the configured database (DATABASE_URL, else the embedded one).
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { exitCodeOf, exitCodes, messageOf } from '../errors.js';
import { isDebug } from '../log.js';

async function main(): Promise<void> {
  const config = loadConfig();
  // Migrate here rather than inside openDatabase, to report what was applied.
  const db = await openDatabase(config, { migrate: false, reuseRunningEmbedded: true });
  try {
    const result = await migrate(db.url);
    process.stdout.write(
      result.applied.length === 0
        ? `Schema is up to date (version ${result.version}).\n`
        : `Applied ${result.applied.join(', ')}: schema version ${result.version}.\n`,
    );
  } finally {
    await db.stop();
  }
}

main().then(
  () => process.exit(exitCodes.ok),
  (error: unknown) => {
    process.stderr.write(`atlas-ops migrate: ${messageOf(error)}\n`);
    if (isDebug() && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exit(exitCodeOf(error));
  },
);
