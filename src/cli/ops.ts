// `npm run ops -- <command>`: the operator CLI. Thin: every action goes through the runbook service.
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { exitCodes, NotFoundError, ValidationError } from '../errors.js';
import { runbookCatalog } from '../runbooks/catalog.js';
import type { PreflightResult, ScopeInput } from '../runbooks/runbook-service.js';
import { getRunProgress, listRuns, parseRunFilters, type RunProgress } from '../runs/run-queries.js';
import { osIdentity, parseId, printJson, reportError, resolveInitiator, withRuntime } from './cli-support.js';
import { addOperatorCommands } from './operators.js';
import { waitAndReport } from './wait.js';

const DEFAULT_RUNBOOK = runbookCatalog[0]?.key ?? 'findings.lifecycle.backfill';

interface ScopeOptions {
  tenant?: string;
  allTenants?: boolean;
}

function scopeOf(options: ScopeOptions): ScopeInput {
  if (options.tenant && options.allTenants) throw new ValidationError('Give either --tenant or --all-tenants, not both.', 'scope');
  if (options.allTenants) return { scope: 'all_tenants' };
  if (options.tenant) return { scope: 'single_tenant', tenantExternalId: options.tenant };
  throw new ValidationError('Say where to act: --tenant EXTERNAL_ID or --all-tenants.', 'scope');
}

function printPreflight(result: PreflightResult): void {
  const where = result.tenant ? `tenant ${result.tenant.externalId} (${result.tenant.name})` : 'all tenants';
  const lines = [
    `Preflight of ${result.runbookKey} on ${where}`,
    `  tenants in scope        ${result.tenantsInScope}`,
    `  findings total          ${result.findingsTotal}`,
    `  findings that change    ${result.findingsWouldChange}`,
    `  duplicate groups        ${result.duplicateGroups}`,
    ...Object.entries(result.rules).map(([rule, count]) => `  ${rule.padEnd(22)}  ${count}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function describeRun(progress: RunProgress): string {
  const { run, items, counts } = progress;
  const where = run.scope === 'all_tenants' ? 'all tenants' : `tenant ${String(run.context.options && (run.context.options as Record<string, unknown>).tenantExternalId)}`;
  return [
    `Run #${run.id} ${run.type} on ${where}`,
    `  status       ${run.status}${run.status === 'completed' ? ` (${run.outcome})` : run.cancelRequestedAt ? ' (cancelling)' : ''}`,
    `  source       ${run.source}, by ${run.initiatorName}`,
    `  reason       ${run.reason}`,
    `  tenants      ${items.succeeded + items.failed + items.cancelled}/${items.total} done (${items.failed} failed, ${items.cancelled} cancelled)`,
    `  findings     ${counts.findings_changed ?? 0} changed of ${counts.findings_total ?? 0} processed`,
    ...progress.failures.map((failure) => `  failed       ${failure.tenantExternalId}: ${failure.message ?? 'unknown error'} (${failure.attempts} attempts)`),
  ].join('\n');
}

function runJson(progress: RunProgress): Record<string, unknown> {
  const { run } = progress;
  return {
    id: run.id,
    type: run.type,
    scope: run.scope,
    tenantId: run.tenantId,
    status: run.status,
    outcome: run.outcome,
    source: run.source,
    initiator: run.initiatorName,
    reason: run.reason,
    cancelRequested: run.cancelRequestedAt !== null,
    items: progress.items,
    counts: run.status === 'completed' ? run.summaryCounts : progress.counts,
    failures: progress.failures,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    completedAt: run.completedAt,
  };
}

function exitCodeForRun(progress: RunProgress): number {
  return progress.run.status === 'completed' && progress.run.outcome === 'succeeded' ? exitCodes.ok : exitCodes.runNotSucceeded;
}

async function askPhrase(phrase: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(`This changes findings of ALL tenants. Type ${phrase} to continue: `);
  } finally {
    rl.close();
  }
}

export function buildProgram(): Command {
  const program = new Command('ops')
    .description('atlas-ops operator CLI: preflight, run, watch and cancel runbooks')
    .option('--json', 'machine-readable output', false)
    .showHelpAfterError()
    .exitOverride();
  const json = () => Boolean(program.opts<{ json: boolean }>().json);
  let exitCode: number = exitCodes.ok;
  const action =
    <A extends unknown[]>(fn: (...args: A) => Promise<number | void>) =>
    async (...args: A) => {
      try {
        exitCode = (await fn(...args)) ?? exitCodes.ok;
      } catch (error) {
        exitCode = reportError(error, json());
      }
    };

  program
    .command('runbooks')
    .description('list the runbooks')
    .action(
      action(async () => {
        await withRuntime(async (runtime) => {
          const list = await runtime.runbooks.listRunbooks();
          if (json()) return printJson(list);
          for (const runbook of list) {
            const last = runbook.lastRun ? `last run #${runbook.lastRun.id} ${runbook.lastRun.status}/${runbook.lastRun.outcome}` : 'never run';
            process.stdout.write(`${runbook.key}  ${runbook.title}  (${last})\n  ${runbook.description}\n`);
            for (const rule of runbook.rules) process.stdout.write(`    ${rule.label.padEnd(24)} ${rule.description}\n`);
            process.stdout.write(`  All tenants needs the phrase: ${runbook.confirmationPhrase}\n`);
          }
        });
      }),
    );

  program
    .command('preflight')
    .description('show what a run would change (read-only)')
    .option('--tenant <externalId>', 'one tenant, by external id')
    .option('--all-tenants', 'every tenant')
    .option('--runbook <key>', 'runbook key', DEFAULT_RUNBOOK)
    .option('--operator <email>', 'act as this platform user (its capabilities apply)')
    .action(
      action(async (options: ScopeOptions & { runbook: string; operator?: string }) => {
        const scope = scopeOf(options);
        await withRuntime(async (runtime) => {
          const initiator = await resolveInitiator(runtime.pool, options.operator, { type: 'cli', label: osIdentity() });
          const result = await runtime.runbooks.preflight(options.runbook, scope, initiator);
          if (json()) printJson(result);
          else printPreflight(result);
        });
      }),
    );

  program
    .command('run')
    .description('start a run (all tenants asks for the typed phrase unless --yes)')
    .option('--tenant <externalId>', 'one tenant, by external id')
    .option('--all-tenants', 'every tenant')
    .option('--runbook <key>', 'runbook key', DEFAULT_RUNBOOK)
    .option('--reason <text>', 'why (5–500 characters)')
    .option('--yes', 'confirm an all-tenants run without typing the phrase')
    .option('--idempotency-key <key>', 'repeat-safe key: the same key returns the same run')
    .option('--operator <email>', 'act as this platform user (its capabilities apply; it gets the completion notice)')
    .option('--wait', 'wait for the end, with progress; exit 0 only if the run succeeded')
    .option('--no-work', 'with --wait: only watch, leave the work to worker processes')
    .addOption(new Option('--timeout <seconds>', 'with --wait: give up waiting after this long').default('3600'))
    .action(
      action(
        async (
          options: ScopeOptions & {
            runbook: string;
            reason?: string;
            yes?: boolean;
            idempotencyKey?: string;
            operator?: string;
            wait?: boolean;
            work: boolean;
            timeout: string;
          },
        ) => {
          const scope = scopeOf(options);
          if (options.reason === undefined) throw new ValidationError('Say why with --reason "…" (5–500 characters).', 'reason');
          const timeoutSeconds = parseId(options.timeout, 'timeout');
          const runbook = runbookCatalog.find((entry) => entry.key === options.runbook);
          let confirmation: string | null = null;
          if (scope.scope === 'all_tenants') {
            if (options.yes) confirmation = runbook?.confirmationPhrase ?? null;
            else if (process.stdin.isTTY && !json()) confirmation = (await askPhrase(runbook?.confirmationPhrase ?? '')).trim();
            else throw new ValidationError('An all-tenants run needs --yes (or the typed phrase on a terminal).', 'confirmation');
          }
          return withRuntime(async (runtime) => {
            const initiator = await resolveInitiator(runtime.pool, options.operator, { type: 'cli', label: osIdentity() });
            const { run, created } = await runtime.runbooks.startRun({
              runbookKey: options.runbook,
              scope,
              initiator,
              source: 'cli',
              reason: options.reason ?? '',
              confirmation,
              idempotencyKey: options.idempotencyKey ?? null,
            });
            if (!json()) process.stderr.write(created ? `Run #${run.id} queued.\n` : `Run #${run.id} already exists for this idempotency key.\n`);
            if (!options.wait) {
              const progress = await getRunProgress(runtime.pool, run.id);
              if (json() && progress) printJson({ ...runJson(progress), created });
              return exitCodes.ok;
            }
            const progress = await waitAndReport(runtime, run.id, { json: json(), work: options.work, timeoutSeconds });
            if (json()) printJson({ ...runJson(progress), created });
            else process.stdout.write(`${describeRun(progress)}\n`);
            return exitCodeForRun(progress);
          });
        },
      ),
    );

  program
    .command('runs')
    .description('list runs, newest first')
    .option('--status <status>', 'queued, running or completed')
    .option('--outcome <outcome>', 'pending, succeeded, partially_succeeded, failed or cancelled')
    .option('--runbook <key>', 'runbook key')
    .option('--limit <n>', 'how many', '20')
    .action(
      action(async (options: { status?: string; outcome?: string; runbook?: string; limit: string }) => {
        const filters = parseRunFilters({ status: options.status, outcome: options.outcome, type: options.runbook, limit: options.limit });
        await withRuntime(async (runtime) => {
          const runs = await listRuns(runtime.pool, filters);
          if (json()) return printJson(runs);
          if (runs.length === 0) process.stdout.write('No runs.\n');
          else {
            const header = ['ID', 'STATUS', 'OUTCOME', 'RUNBOOK', 'SCOPE', 'SOURCE', 'INITIATOR', 'CREATED'];
            const rows = runs.map((run) => [
              `#${run.id}`,
              run.status,
              run.outcome,
              run.type,
              run.scope === 'all_tenants' ? 'all tenants' : (run.tenantExternalId ?? `tenant ${run.tenantId}`),
              run.source,
              run.initiatorName,
              run.createdAt.toISOString(),
            ]);
            const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
            for (const row of [header, ...rows]) process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`);
          }
        });
      }),
    );

  program
    .command('run:show')
    .description('show one run')
    .argument('<id>', 'run id')
    .action(
      action(async (id: string) => {
        const runId = parseId(id);
        await withRuntime(async (runtime) => {
          const progress = await getRunProgress(runtime.pool, runId);
          if (!progress) throw new NotFoundError(`Run #${runId} does not exist.`);
          if (json()) printJson(runJson(progress));
          else process.stdout.write(`${describeRun(progress)}\n`);
        });
      }),
    );

  program
    .command('run:cancel')
    .description('cancel a queued or running run')
    .argument('<id>', 'run id')
    .option('--operator <email>', 'act as this platform user')
    .action(
      action(async (id: string, options: { operator?: string }) => {
        const runId = parseId(id);
        await withRuntime(async (runtime) => {
          const initiator = await resolveInitiator(runtime.pool, options.operator, { type: 'cli', label: osIdentity() });
          const run = await runtime.runbooks.cancelRun(runId, initiator);
          const progress = await getRunProgress(runtime.pool, run.id);
          if (json() && progress) printJson(runJson(progress));
          else process.stdout.write(`Run #${run.id}: ${run.status === 'completed' ? `cancelled` : 'cancelling (in-flight batches finish first)'}\n`);
        });
      }),
    );

  addOperatorCommands(program, json, action);

  program.hook('postAction', () => {
    process.exitCode = exitCode;
  });
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    // commander already printed its message (unknown command, missing argument…); help and version exit 0.
    const code = (error as { exitCode?: number }).exitCode ?? exitCodes.refused;
    process.exit(code === 0 ? 0 : exitCodes.refused);
  }
  process.exit(process.exitCode ?? 0);
}

await main();
