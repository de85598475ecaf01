// `npm start`: one process with the database (embedded unless DATABASE_URL), migrations, demo data, both panels and the worker.
import type { Server } from 'node:http';
import { loadConfig, resolveSessionSecrets } from './config.js';
import { exitWithError, listen, onShutdownSignal } from './entry.js';
import { createWebApp } from './http/app.js';
import { log } from './log.js';
import { openRuntime } from './runtime.js';
import { demoLogins, DEMO_PASSWORD, isDatabaseEmpty, seedDemoData } from './seed/demo.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const secrets = resolveSessionSecrets(config);
  const runtime = await openRuntime(config, { worker: true });
  let server: Server | null = null;
  onShutdownSignal(async () => {
    server?.close();
    await runtime.close();
  });
  try {
    let seeded = false;
    if (!config.isProduction && (await isDatabaseEmpty(runtime.pool))) {
      const summary = await seedDemoData(runtime.pool);
      seeded = summary.seeded;
    }
    const web = await createWebApp({ config, pool: runtime.pool, secrets, runbooks: runtime.runbooks });
    server = await listen(web.app, config.host, config.port);
    const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
    const lines = [
      '',
      'atlas-ops is running',
      `  operator panel   ${base}/system/login`,
      `  customer panel   ${base}/admin/login`,
      `  health           ${base}/healthz`,
      `  database         ${config.databaseUrl ? 'DATABASE_URL' : `embedded PostgreSQL in ${config.dataDir}/postgres`}${seeded ? ' (demo data seeded)' : ''}`,
      '',
    ];
    if (!config.isProduction) {
      lines.push(`  demo logins (password: ${DEMO_PASSWORD})`);
      for (const login of demoLogins.filter((entry) => entry.isActive)) {
        lines.push(`    /${login.plane.padEnd(7)} ${login.email.padEnd(24)} ${login.canDo}`);
      }
      lines.push('');
    }
    lines.push('Stop with Ctrl+C.', '');
    process.stdout.write(lines.join('\n'));
    log.info('app.started', { port: config.port });
  } catch (error) {
    server?.close();
    await runtime.close();
    throw error;
  }
}

main().catch((error: unknown) => exitWithError(error));
