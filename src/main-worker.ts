// `npm run worker`: a worker process (any number, on any machine reaching the database) sharing the run work.
import { loadConfig } from './config.js';
import { exitWithError, onShutdownSignal } from './entry.js';
import { openRuntime } from './runtime.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const runtime = await openRuntime(config, { worker: true, reuseRunningEmbedded: true });
  onShutdownSignal(() => runtime.close());
  process.stdout.write(`atlas-ops worker ${process.pid} started (concurrency ${config.workerConcurrency})\n`);
}

main().catch((error: unknown) => exitWithError(error));
