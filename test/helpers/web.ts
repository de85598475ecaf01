// The real web app on an ephemeral port. Import this module lazily (`await import(...)` in a hook): AdminJS cannot be
// require()d, so a test file importing it statically is loaded as ESM by mocha and gets its own copy of
// test/helpers/db.ts, whose test server the root hooks never started.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { loadConfig, type Config } from '../../src/config.js';
import type { Pool } from '../../src/db/pool.js';
import { createWebApp } from '../../src/http/app.js';
import type { RunbookService } from '../../src/runbooks/runbook-service.js';
import { unusedRunbookService } from './runbook-doubles.js';

export const TEST_SECRETS = { admin: 'a'.repeat(40), system: 's'.repeat(40) };

export interface RunningApp {
  baseUrl: string;
  config: Config;
  close(): Promise<void>;
}

export async function startWebApp(
  pool: Pool,
  options: { env?: Record<string, string>; runbooks?: RunbookService } = {},
): Promise<RunningApp> {
  const config = loadConfig({ NODE_ENV: 'test', ...options.env });
  const web = await createWebApp({ config, pool, secrets: TEST_SECRETS, runbooks: options.runbooks ?? unusedRunbookService });
  const server: Server = await new Promise((resolve) => {
    const listening = web.app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    config,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await web.close();
    },
  };
}

