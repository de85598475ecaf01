// The web application: both panels, the JSON API and the health check, composed on one express app.
import express from 'express';
import type { Config, SessionSecrets } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { RunbookService } from '../runbooks/runbook-service.js';

export interface WebDeps {
  config: Config;
  pool: Pool;
  secrets: SessionSecrets;
  runbooks: RunbookService;
}

export interface WebApp {
  app: express.Express;
  close(): Promise<void>;
}

export async function createWebApp(deps: WebDeps): Promise<WebApp> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', async (_req, res) => {
    try {
      await deps.pool.query('SELECT 1');
      res.json({ status: 'ok', database: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'unreachable' });
    }
  });
  return { app, close: async () => undefined };
}
