import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { exitCodes } from '../../src/errors.js';
import { createEmptyDatabase, createTestDatabase } from '../helpers/db.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a CLI entry point as `npm run` would (through tsx), with a controlled environment. */
function runCli(script: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  const { DEBUG: _debug, DATABASE_URL: _url, ...inherited } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, script), ...args], {
      cwd: root,
      env: { ...inherited, NODE_ENV: 'test', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function expectOneCleanErrorLine(result: CliResult, message: RegExp): void {
  const lines = result.stderr.split('\n').filter(Boolean);
  expect(lines, result.stderr).to.have.length(1);
  expect(lines[0]).to.match(message);
  expect(result.stderr).to.not.match(/^\s+at /m);
}

describe('CLI start-up (migrate, seed)', function () {
  this.timeout(60_000);

  it('migrate CLI with an unreachable DATABASE_URL exits non-zero with one clear line and no stack', async () => {
    const result = await runCli('src/cli/migrate.ts', [], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x' });
    expect(result.code).to.equal(exitCodes.refused);
    expectOneCleanErrorLine(result, /^atlas-ops migrate: Cannot reach PostgreSQL at postgres:\/\/nobody@127\.0\.0\.1:1\/x: connection refused/);
    expect(result.stdout).to.equal('');
  });

  it('seed CLI with a non-Postgres DATABASE_URL exits non-zero naming DATABASE_URL', async () => {
    const result = await runCli('src/cli/seed.ts', [], { DATABASE_URL: 'mysql://root@localhost/atlas' });
    expect(result.code).to.equal(exitCodes.refused);
    expectOneCleanErrorLine(result, /^atlas-ops seed: DATABASE_URL must start with postgres:\/\//);
  });

  it('migrate CLI applies pending files, then reports the schema up to date', async () => {
    const { url } = await createEmptyDatabase();
    const first = await runCli('src/cli/migrate.ts', [], { DATABASE_URL: url });
    expect(first.code, first.stderr).to.equal(exitCodes.ok);
    expect(first.stdout).to.match(/^Applied 0001\.do\.domain\.sql, .*: schema version \d+\.\n$/);
    const second = await runCli('src/cli/migrate.ts', [], { DATABASE_URL: url });
    expect(second.code).to.equal(exitCodes.ok);
    expect(second.stdout).to.match(/^Schema is up to date \(version \d+\)\.\n$/);
  });

  describe('against a migrated database', () => {
    let url: string;
    let count: (table: string) => Promise<number>;

    before(async () => {
      const db = await createTestDatabase();
      url = db.url;
      count = async (table) => (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]?.n ?? -1;
    });

    it('seed CLI refuses NODE_ENV=production with exit 2 and writes nothing', async () => {
      const result = await runCli('src/cli/seed.ts', [], { DATABASE_URL: url, NODE_ENV: 'production' });
      expect(result.code).to.equal(exitCodes.refused);
      expectOneCleanErrorLine(result, /Refusing to seed: NODE_ENV=production/);
      expect(await count('workspaces')).to.equal(0);
    });

    const badArguments: { args: string[]; message: RegExp }[] = [
      { args: ['--tenants', 'abc', '--findings-per-tenant', '5'], message: /--tenants must be a whole number .* got "abc"/ },
      { args: ['--tenants', '0', '--findings-per-tenant', '5'], message: /--tenants must be a whole number/ },
      { args: ['--tenants', '3', '--findings-per-tenant', '-2'], message: /--findings-per-tenant must be a whole number/ },
      { args: ['--tenants', '3', '--findings-per-tenant', '2.5'], message: /--findings-per-tenant must be a whole number/ },
      { args: ['--tenants', '3'], message: /--tenants and --findings-per-tenant go together/ },
      { args: ['--tenants', '3', '--findings-per-tenant', '2', '--seed', 'x'], message: /--seed must be a whole number/ },
    ];
    for (const { args, message } of badArguments) {
      it(`seed CLI refuses ${args.join(' ')} with exit 2, one line, nothing written`, async () => {
        const result = await runCli('src/cli/seed.ts', args, { DATABASE_URL: url });
        expect(result.code).to.equal(exitCodes.refused);
        expectOneCleanErrorLine(result, message);
        expect(await count('tenants')).to.equal(0);
      });
    }

    it('seed CLI with --tenants and --findings-per-tenant generates them and prints JSON', async () => {
      const result = await runCli('src/cli/seed.ts', ['--tenants', '3', '--findings-per-tenant', '4', '--seed', '5'], { DATABASE_URL: url });
      expect(result.code, result.stderr).to.equal(exitCodes.ok);
      const printed = JSON.parse(result.stdout) as Record<string, unknown>;
      expect(printed).to.include({ tenants: 3, findings: 12, seed: 5, prefix: 'bench-5-' });
      expect(printed.ms).to.be.a('number');
      expect(await count('tenants')).to.equal(3);
      expect(await count('findings')).to.equal(12);
    });

    it('seed CLI seeds demo data once; a second run says so and exits 0', async () => {
      const first = await runCli('src/cli/seed.ts', [], { DATABASE_URL: url });
      expect(first.code, first.stderr).to.equal(exitCodes.ok);
      expect(first.stdout).to.match(/^Demo data seeded: 5 workspaces, 15 tenants, \d+ findings/);
      expect(first.stdout).to.include('ops-admin@atlas.test').and.include('atlas-demo-password');
      const findings = await count('findings');
      const second = await runCli('src/cli/seed.ts', [], { DATABASE_URL: url });
      expect(second.code).to.equal(exitCodes.ok);
      expect(second.stdout).to.equal('Demo data is already present: nothing written.\n');
      expect(await count('findings')).to.equal(findings);
    });
  });
});
