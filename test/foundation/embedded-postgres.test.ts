import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import pg from 'pg';
import { isProcessAlive, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/db/embedded.js';
import { ConfigError } from '../../src/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const childScript = path.join(here, 'fixtures', 'start-embedded.ts');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}


async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

async function expectConfigError(promise: Promise<unknown>, message: RegExp): Promise<ConfigError> {
  let caught: unknown;
  await promise.then(
    () => undefined,
    (error: unknown) => (caught = error),
  );
  expect(caught, 'expected a ConfigError').to.be.instanceOf(ConfigError);
  expect((caught as ConfigError).message).to.match(message);
  return caught as ConfigError;
}

const postmasterPid = (dir: string) => Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);

describe('startEmbeddedPostgres', function () {
  this.timeout(120_000);
  let root: string;
  let dir: string;
  let port: number;
  let running: EmbeddedPostgresHandle | null = null;
  /** A real postmaster.pid of this cluster, to forge stale ones from. */
  let realPidFile = '';
  const children: ChildProcess[] = [];

  const start = async () => {
    running = await startEmbeddedPostgres({ dir, port });
    return running;
  };
  const stop = async () => {
    await running?.stop();
    running = null;
  };
  const rowsOf = async () => query<{ note: string }>((running ?? (await start())).urlFor('postgres'), 'SELECT note FROM survives ORDER BY note');

  before(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'atlas-embedded-'));
    chmodSync(root, 0o755); // the cluster runs as the postgres user, which must reach into this folder
    dir = path.join(root, 'pg');
    port = await freePort();
    // One cluster for the whole file: initdb is the slow part.
    const handle = await start();
    await query(handle.adminUrl, `CREATE TABLE survives (note text); INSERT INTO survives VALUES ('written before stop')`);
    realPidFile = readFileSync(path.join(dir, 'postmaster.pid'), 'utf8');
    await stop();
  });

  afterEach(async () => {
    await stop();
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('startEmbeddedPostgres keeps data across stop and start', async () => {
    expect(existsSync(path.join(dir, 'PG_VERSION'))).to.equal(true);
    expect(existsSync(path.join(dir, 'postmaster.pid'))).to.equal(false);
    await start();
    expect(await rowsOf()).to.deep.equal([{ note: 'written before stop' }]);
    await query(running!.adminUrl, `INSERT INTO survives VALUES ('written after restart')`);
    await stop();
    await start();
    expect(await rowsOf()).to.deep.equal([{ note: 'written after restart' }, { note: 'written before stop' }]);
  });

  it('startEmbeddedPostgres recovers from a stale postmaster.pid whose process is gone', async () => {
    const gone = spawn('true');
    await new Promise((resolve) => gone.once('exit', resolve));
    const deadPid = gone.pid ?? 0;
    expect(isProcessAlive(deadPid)).to.equal(false);
    writeFileSync(path.join(dir, 'postmaster.pid'), realPidFile.replace(/^\d+/, String(deadPid)));

    await start();
    expect(postmasterPid(dir)).to.not.equal(deadPid);
    expect(isProcessAlive(postmasterPid(dir))).to.equal(true);
    expect((await rowsOf()).length).to.be.greaterThan(0);
  });

  it('startEmbeddedPostgres recovers from a postmaster.pid naming a live process that is not postgres', async () => {
    // Postgres alone refuses this one ("lock file already exists"): a reused pid after a reboot looks like this.
    const sleeper = spawn('sleep', ['60']);
    children.push(sleeper);
    const livePid = sleeper.pid ?? 0;
    expect(isProcessAlive(livePid)).to.equal(true);
    writeFileSync(path.join(dir, 'postmaster.pid'), realPidFile.replace(/^\d+/, String(livePid)));

    await start();
    expect(postmasterPid(dir)).to.not.equal(livePid);
    expect(isProcessAlive(livePid), 'the unrelated process is left alone').to.equal(true);
    expect((await rowsOf()).length).to.be.greaterThan(0);
  });

  it('startEmbeddedPostgres shuts down a postgres orphaned by a SIGKILLed owner and starts afresh', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, dir, String(port)], {
      cwd: path.resolve(here, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const ready = await waitFor(() => output.includes('ready') || child.exitCode !== null, 60_000);
    expect(ready && output.includes('ready'), `child output: ${output}`).to.equal(true);
    const orphanPid = postmasterPid(dir);
    expect(isProcessAlive(orphanPid)).to.equal(true);

    child.kill('SIGKILL');
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
    expect(isProcessAlive(orphanPid), 'postgres outlives its killed owner').to.equal(true);

    await start();
    expect(await waitFor(() => !isProcessAlive(orphanPid), 5_000), 'the orphan is shut down').to.equal(true);
    expect(postmasterPid(dir)).to.not.equal(orphanPid);
    expect((await rowsOf()).length).to.be.greaterThan(0);
  });

  it('startEmbeddedPostgres refuses a cluster that a live Node process is running', async () => {
    await start();
    const ownPid = postmasterPid(dir);
    await expectConfigError(startEmbeddedPostgres({ dir, port: await freePort() }), /Another atlas-ops process \(pid \d+\) is running the embedded PostgreSQL/);
    expect(postmasterPid(dir)).to.equal(ownPid);
    expect((await rowsOf()).length).to.be.greaterThan(0);
  });

  it('startEmbeddedPostgres refuses a busy port with a ConfigError naming the port', async () => {
    const blocker = net.createServer();
    const busyPort = await freePort();
    await new Promise<void>((resolve) => blocker.listen(busyPort, '127.0.0.1', resolve));
    try {
      await expectConfigError(startEmbeddedPostgres({ dir, port: busyPort }), new RegExp(`Port ${busyPort} .*in use.*EMBEDDED_PG_PORT`));
      expect(existsSync(path.join(dir, 'postmaster.pid')), 'no postgres was started').to.equal(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('startEmbeddedPostgres refuses a non-empty folder that holds no cluster, and leaves it alone', async () => {
    const notACluster = path.join(root, 'not-a-cluster');
    mkdirSync(notACluster);
    writeFileSync(path.join(notACluster, 'precious.txt'), 'do not delete');
    await expectConfigError(startEmbeddedPostgres({ dir: notACluster, port: await freePort() }), /not empty but holds no PostgreSQL cluster/);
    expect(readdirSync(notACluster)).to.deep.equal(['precious.txt']);
  });

  it('startEmbeddedPostgres refuses a damaged cluster folder with a ConfigError saying what to do', async () => {
    const damaged = path.join(root, 'damaged');
    mkdirSync(damaged);
    writeFileSync(path.join(damaged, 'PG_VERSION'), '17\n');
    const error = await expectConfigError(startEmbeddedPostgres({ dir: damaged, port: await freePort() }), /did not start/);
    expect(error.message).to.match(/move it away/);
    expect(error.message).to.not.match(/\n/);
  });
});
