// `npm run web`: the panels and API only, against DATABASE_URL (or the embedded server `npm start` runs).
import type { Server } from 'node:http';
import { loadConfig, resolveSessionSecrets } from './config.js';
import { exitWithError, listen, onShutdownSignal } from './entry.js';
import { createWebApp } from './http/app.js';
import { openRuntime } from './runtime.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const secrets = resolveSessionSecrets(config);
  const runtime = await openRuntime(config, { worker: false, reuseRunningEmbedded: true });
  let server: Server | null = null;
  onShutdownSignal(async () => {
    server?.close();
    await runtime.close();
  });
  const web = await createWebApp({ config, pool: runtime.pool, secrets, runbooks: runtime.runbooks });
  server = await listen(web.app, config.host, config.port);
  process.stdout.write(`atlas-ops web listening on http://${config.host}:${config.port} (/system, /admin)\n`);
}

main().catch((error: unknown) => exitWithError(error));
