// The web application: both panels, the JSON API and the health check, composed on one express app.
import express from 'express';
import type { Config, SessionSecrets } from '../config.js';
import type { Pool } from '../db/pool.js';
import { adminAuth, adminPolicy, ADMIN_ROOT, createAdminAdmin } from '../panels/admin-panel.js';
import { prepareBundle } from '../panels/bundle.js';
import { createPlaneRouter, createSessionStore, type PlaneSessionKit } from '../panels/plane-router.js';
import { createSystemAdmin, SYSTEM_ROOT, systemAuth, systemPolicy, systemRoutes } from '../panels/system-panel.js';
import type { RunbookService } from '../runbooks/runbook-service.js';
import { errorHandler } from './error-handler.js';
import { createOpsApi, OPS_API_PREFIX, opsApiRules } from './ops-api.js';
import { createLoginThrottle } from './login-throttle.js';
import { securityHeaders } from './security-headers.js';

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

/** Login attempts per IP and e-mail per minute: SPEC's 10 on /system, looser for customers. */
export const loginLimits = { system: 10, admin: 30 } as const;

export async function createWebApp(deps: WebDeps): Promise<WebApp> {
  const { config, pool, secrets } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Behind a proxy (production), req.ip and req.protocol come from X-Forwarded-*; the throttle key uses req.ip.
  if (config.isProduction) app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.use(securityHeaders({ isProduction: config.isProduction }));
  // A NUL can never be valid input here (Postgres text cannot hold one): refuse it before any handler sees it.
  app.use((req, res, next) => {
    if (!/%00/i.test(req.originalUrl)) {
      next();
      return;
    }
    const message = 'The address contains a NUL character.';
    if (/(^|\/)api\//.test(req.path)) res.status(400).json({ error: { status: 400, code: 'validation', message } });
    else res.status(400).type('text/plain').send(message);
  });

  // Browsers ask for it on every page; there is none, and a 404 in every console is noise.
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
    app.get('/healthz', async (_req, res) => {
    try {
      await pool.query('SELECT 1');
      res.json({ status: 'ok', database: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'unreachable' });
    }
  });

  const systemAdmin = createSystemAdmin(pool);
  const adminAdmin = createAdminAdmin(pool, { runbooks: deps.runbooks, maintenanceActions: config.adminMaintenanceActions });
  await prepareBundle(systemAdmin);
  // AdminJS's initialize() (run by the router builder) bundles again in production unless told not to; the bundle
  // is ready now, and two concurrent builds would write the same file.
  if (config.isProduction) process.env.ADMIN_JS_SKIP_BUNDLE = 'true';

  const pruneInterval = config.nodeEnv === 'test' ? false : 15 * 60;
  const systemKit: PlaneSessionKit = {
    name: 'system',
    rootPath: SYSTEM_ROOT,
    cookieName: 'atlas_system_sid',
    presenceCookieName: 'atlas_system_presence',
    secret: secrets.system,
    idleMinutes: config.systemSessionIdleMinutes,
    secure: config.isProduction,
    store: createSessionStore(pool, 'system_sessions', pruneInterval),
    auth: systemAuth(pool),
  };
  const adminKit: PlaneSessionKit = {
    name: 'admin',
    rootPath: ADMIN_ROOT,
    cookieName: 'atlas_admin_sid',
    presenceCookieName: 'atlas_admin_presence',
    secret: secrets.admin,
    idleMinutes: config.adminSessionIdleMinutes,
    secure: config.isProduction,
    store: createSessionStore(pool, 'admin_sessions', pruneInterval),
    auth: adminAuth(pool),
  };

  app.use(
    SYSTEM_ROOT,
    createPlaneRouter({
      kit: systemKit,
      peer: adminKit,
      admin: systemAdmin,
      policy: { ...systemPolicy, custom: [...systemPolicy.custom, ...opsApiRules] },
      pool,
      throttle: createLoginThrottle(pool, { keyPrefix: 'system_login', attempts: loginLimits.system, windowSeconds: 60 }),
      routes: systemRoutes().use(OPS_API_PREFIX, createOpsApi({ pool, runbooks: deps.runbooks })),
    }),
  );
  app.use(
    ADMIN_ROOT,
    createPlaneRouter({
      kit: adminKit,
      peer: systemKit,
      admin: adminAdmin,
      policy: adminPolicy({ maintenanceActions: config.adminMaintenanceActions }),
      pool,
      throttle: createLoginThrottle(pool, { keyPrefix: 'admin_login', attempts: loginLimits.admin, windowSeconds: 60 }),
    }),
  );
  // JSON parsing only after the admin routers: AdminJS reads its own request bodies (formidable).
  app.use(express.json({ limit: '100kb' }));
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found.');
  });
  app.use(errorHandler());

  return {
    app,
    close: async () => {
      await Promise.all([systemKit.store.close(), adminKit.store.close()]);
    },
  };
}
