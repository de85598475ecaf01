// `npm run seed`: demo data (idempotent), or with --tenants and --findings-per-tenant a large benchmark dataset.
import { Command, CommanderError } from 'commander';
import { loadConfig } from '../config.js';
import { openDatabase, type DatabaseHandle } from '../db/database.js';
import { createPool } from '../db/pool.js';
import { ConfigError, ValidationError, exitCodeOf, exitCodes, messageOf } from '../errors.js';
import { DEMO_PASSWORD, demoLogins, seedDemoData } from '../seed/demo.js';
import { generateLargeDataset, largeDatasetLimits, type LargeDatasetOptions } from '../seed/large.js';
import { isDebug } from '../log.js';

type SeedRequest = { kind: 'demo' } | ({ kind: 'large' } & LargeDatasetOptions);

interface RawOptions {
  tenants?: string;
  findingsPerTenant?: string;
  seed?: string;
}

function wholeNumber(raw: string, flag: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError(`${flag} must be a whole number between ${min} and ${max}, got "${raw}".`, flag);
  }
  return value;
}

/** Turns the flags into a request, or refuses before anything touches the database. */
function parseSeedRequest(options: RawOptions): SeedRequest {
  const { tenants, findingsPerTenant, seed } = options;
  if (tenants === undefined && findingsPerTenant === undefined) {
    if (seed !== undefined) throw new ValidationError('--seed only applies with --tenants and --findings-per-tenant.', '--seed');
    return { kind: 'demo' };
  }
  if (tenants === undefined || findingsPerTenant === undefined) {
    throw new ValidationError('--tenants and --findings-per-tenant go together: give both, e.g. --tenants 1000 --findings-per-tenant 1000.');
  }
  const request: SeedRequest = {
    kind: 'large',
    tenants: wholeNumber(tenants, '--tenants', 1, largeDatasetLimits.maxTenants),
    findingsPerTenant: wholeNumber(findingsPerTenant, '--findings-per-tenant', 1, largeDatasetLimits.maxFindingsPerTenant),
    seed: seed === undefined ? 1 : wholeNumber(seed, '--seed', 0, largeDatasetLimits.maxSeed),
  };
  if (request.tenants * request.findingsPerTenant > largeDatasetLimits.maxFindings) {
    throw new ValidationError(`--tenants × --findings-per-tenant must stay at or below ${largeDatasetLimits.maxFindings}.`);
  }
  return request;
}

async function seed(request: SeedRequest, db: DatabaseHandle): Promise<void> {
  const pool = createPool(db.url, { max: 2, applicationName: 'atlas-ops seed' });
  try {
    if (request.kind === 'large') {
      const result = await generateLargeDataset(pool, request);
      process.stdout.write(`${JSON.stringify({ tenants: result.tenants, findings: result.findings, ms: result.ms, seed: request.seed, prefix: result.prefix })}\n`);
      return;
    }
    const summary = await seedDemoData(pool);
    if (!summary.seeded) {
      process.stdout.write('Demo data is already present: nothing written.\n');
      return;
    }
    process.stdout.write(
      `Demo data seeded: ${summary.workspaces} workspaces, ${summary.tenants} tenants, ${summary.findings} findings, ` +
        `${summary.platformUsers} operators, ${summary.users} customer users.\n` +
        `Demo logins (password ${DEMO_PASSWORD}):\n` +
        demoLogins.map((login) => `  ${`/${login.plane}`.padEnd(8)} ${login.email.padEnd(24)} ${login.canDo}\n`).join(''),
    );
  } finally {
    await pool.end();
  }
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('seed')
    .description('Seed demo data, or a large benchmark dataset with --tenants and --findings-per-tenant.')
    .option('--tenants <n>', 'number of tenants to generate')
    .option('--findings-per-tenant <m>', 'findings per generated tenant')
    .option('--seed <s>', 'seed of the generated data (default 1)')
    .exitOverride()
    .parse(argv);
  const request = parseSeedRequest(program.opts<RawOptions>());
  // Checked before loadConfig, whose first complaint in production would be missing secrets.
  if (process.env.NODE_ENV?.trim() === 'production') {
    throw new ConfigError('Refusing to seed: NODE_ENV=production. Demo and benchmark data never go into a production database.');
  }
  const config = loadConfig();
  const db = await openDatabase(config, { reuseRunningEmbedded: true });
  try {
    await seed(request, db);
  } finally {
    await db.stop();
  }
}

main(process.argv).then(
  () => process.exit(exitCodes.ok),
  (error: unknown) => {
    // Commander has already printed its own message (or the help text).
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? exitCodes.ok : exitCodes.refused);
    process.stderr.write(`atlas-ops seed: ${messageOf(error)}\n`);
    if (isDebug() && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exit(exitCodeOf(error));
  },
);
