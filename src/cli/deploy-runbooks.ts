// `npm run deploy:runbooks`: runs the deploy runbook set on all tenants through the runbook service, once per release.
import { readFileSync } from 'node:fs';
import { exitCodes, isAppErrorWithCode } from '../errors.js';
import { deployRunbookKeys, getRunbook } from '../runbooks/catalog.js';
import { waitAndReport } from './wait.js';
import { printJson, reportError, withRuntime } from './cli-support.js';

function releaseId(): string {
  const fromEnv = process.env.RELEASE_ID?.trim();
  if (fromEnv) return fromEnv;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `v${pkg.version}`;
}

async function main(): Promise<number> {
  const json = process.argv.includes('--json');
  const release = releaseId();
  try {
    return await withRuntime(async (runtime) => {
      const results: Record<string, unknown>[] = [];
      let code: number = exitCodes.ok;
      for (const key of deployRunbookKeys) {
        const runbook = getRunbook(key);
        const { run, created } = await runtime.runbooks.startRun({
          runbookKey: key,
          scope: { scope: 'all_tenants' },
          initiator: { type: 'deploy', label: `deploy ${release}` },
          source: 'deploy_hook',
          reason: `Deploy runbooks for release ${release}`,
          confirmation: runbook.confirmationPhrase,
          idempotencyKey: `deploy:${release}:${key}`,
        });
        if (!json) {
          process.stdout.write(
            created
              ? `${key}: run #${run.id} started for release ${release}.\n`
              : `${key}: release ${release} already has run #${run.id} (${run.status}${run.status === 'completed' ? `, ${run.outcome}` : ''}); nothing new started.\n`,
          );
        }
        const progress = await waitAndReport(runtime, run.id, { json, work: true, timeoutSeconds: Number(process.env.DEPLOY_TIMEOUT_SECONDS ?? 3600) });
        const succeeded = progress.run.status === 'completed' && progress.run.outcome === 'succeeded';
        if (!succeeded) code = exitCodes.runNotSucceeded;
        results.push({ runbook: key, runId: run.id, created, status: progress.run.status, outcome: progress.run.outcome, counts: progress.run.summaryCounts });
        if (!json) process.stdout.write(`${key}: run #${run.id} ${progress.run.status}/${progress.run.outcome}\n`);
      }
      if (json) printJson({ release, runs: results });
      return code;
    });
  } catch (error) {
    if (isAppErrorWithCode(error, 'lock_conflict') && !json) {
      process.stderr.write(`Another run of this runbook is active (run #${String(error.details.activeRunId)}); try the deploy hook again when it ends.\n`);
    }
    return reportError(error, json);
  }
}

process.exit(await main());
