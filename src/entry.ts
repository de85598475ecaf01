// Shared start-up plumbing for the entry points: one clear line on fatal errors, graceful shutdown on signals.
import type { Server } from 'node:http';
import type { Express } from 'express';
import { ConfigError, isAppErrorWithCode, messageOf } from './errors.js';
import { isDebug, log } from './log.js';

/** Prints one line (a stack only with DEBUG) and exits non-zero. */
export function exitWithError(error: unknown, code = 1): never {
  const message = isAppErrorWithCode(error, 'config') ? messageOf(error) : `atlas-ops failed to start: ${messageOf(error)}`;
  process.stderr.write(`error: ${message}\n`);
  if (isDebug() && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(code);
}

/**
 * Runs `shutdown` once on SIGINT/SIGTERM, then exits; a second signal exits at once. Also shuts down when the
 * parent process goes away: `kill <npm pid>` stops npm and its shell but does not reach this process, which would
 * otherwise keep serving (and keep the embedded Postgres) as an orphan.
 */
export function onShutdownSignal(shutdown: () => Promise<void>): void {
  let stopping = false;
  const handler = (reason: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    log.info('app.shutting_down', { reason });
    shutdown()
      .catch((error: unknown) => process.stderr.write(`error during shutdown: ${messageOf(error)}\n`))
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', () => handler('SIGINT received'));
  process.on('SIGTERM', () => handler('SIGTERM received'));
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) handler('parent process exited');
  }, 1000);
  watch.unref();
}

/** Listens, turning a busy port into one clear ConfigError. */
export function listen(app: Express, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new ConfigError(`Port ${port} is already in use: stop the other program or set PORT to a free port.`)
          : error,
      );
    });
  });
}

