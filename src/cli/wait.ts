// Waiting for a run from the CLI and the deploy hook: a progress bar on a terminal, plain lines otherwise.
import cliProgress from 'cli-progress';
import { waitForRun, type RunProgress } from '../runs/run-queries.js';
import type { Runtime } from '../runtime.js';

/** Waits for the run, helping with the work in this process unless told not to; a bar on a terminal, lines otherwise. */
export async function waitAndReport(runtime: Runtime, runId: number, options: { json: boolean; work: boolean; timeoutSeconds: number }): Promise<RunProgress> {
  if (options.work) await runtime.startWorker(runtime.config.workerConcurrency);
  const tty = process.stderr.isTTY && !options.json;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: 'run #{run} [{bar}] {done}/{tenants} tenants | {changed} findings changed | {state}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let started = false;
  let lastLine = '';
  const progress = await waitForRun(runtime.pool, runId, {
    timeoutMs: options.timeoutSeconds * 1000,
    pollMs: 300,
    onProgress: (current) => {
      const done = current.items.succeeded + current.items.failed + current.items.cancelled;
      const payload = { run: runId, done, tenants: current.items.total, changed: current.counts.findings_changed ?? 0, state: current.run.status };
      if (bar) {
        if (!started) bar.start(Math.max(current.items.total, 1), done, payload);
        started = true;
        bar.setTotal(Math.max(current.items.total, 1));
        bar.update(done, payload);
      } else if (!options.json) {
        const line = `run #${runId}: ${current.run.status} ${done}/${current.items.total} tenants, ${payload.changed} findings changed`;
        if (line !== lastLine) process.stderr.write(`${line}\n`);
        lastLine = line;
      }
    },
  });
  bar?.stop();
  if (progress.run.status !== 'completed') process.stderr.write(`Run #${runId} is still ${progress.run.status} after ${options.timeoutSeconds} s.\n`);
  return progress;
}

