// Resolves which PostgreSQL to use (DATABASE_URL, else the embedded one), checks it answers, and migrates it.
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../config.js';
import { ConfigError, isAppErrorWithCode } from '../errors.js';
import { log } from '../log.js';
import { ensureDatabase, findRunningEmbedded, startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded.js';
import { migrate } from './migrate.js';
import { describeConnectionError } from './pg-errors.js';

export const EMBEDDED_DATABASE = 'atlas';
const MIN_SERVER_VERSION = 150000;

export interface DatabaseHandle {
  url: string;
  embedded: EmbeddedPostgresHandle | null;
  /** Stops the embedded server, if this process started one. */
  stop(): Promise<void>;
}

/** Connects once to prove the server answers and is new enough; throws ConfigError with one clear line. */
export async function checkServer(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    const version = Number(rows[0]?.server_version_num ?? 0);
    if (version < MIN_SERVER_VERSION) {
      throw new ConfigError(`PostgreSQL ${Math.floor(version / 10000)} is too old: atlas-ops needs PostgreSQL 15 or newer.`);
    }
  } catch (error) {
    if (isAppErrorWithCode(error, 'config')) throw error;
    throw new ConfigError(describeConnectionError(error, url));
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface OpenOptions {
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /**
   * Without DATABASE_URL: use the embedded server another atlas-ops process (e.g. `npm start`) already runs from the
   * same data folder, instead of refusing to start a second one on it.
   */
  reuseRunningEmbedded?: boolean;
}

export async function openDatabase(config: Config, options: OpenOptions = {}): Promise<DatabaseHandle> {
  let url: string;
  let embedded: EmbeddedPostgresHandle | null = null;
  const running = !config.databaseUrl && options.reuseRunningEmbedded ? findRunningEmbedded(path.join(config.dataDir, 'postgres'))?.urlFor(EMBEDDED_DATABASE) ?? null : null;
  if (config.databaseUrl) {
    url = config.databaseUrl;
  } else if (running) {
    url = running;
  } else {
    embedded = await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'postgres'), port: config.embeddedPgPort });
    await ensureDatabase(embedded.adminUrl, EMBEDDED_DATABASE);
    url = embedded.urlFor(EMBEDDED_DATABASE);
    log.info('db.embedded_started', { port: config.embeddedPgPort, dir: path.join(config.dataDir, 'postgres') });
  }
  try {
    await checkServer(url);
    if (options.migrate !== false) {
      const result = await migrate(url);
      if (result.applied.length > 0) log.info('db.migrated', { applied: result.applied, version: result.version });
    }
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  return { url, embedded, stop: async () => embedded?.stop() };
}
