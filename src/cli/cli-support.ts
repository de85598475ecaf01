// Shared CLI plumbing: output (human or --json), error → exit code, the initiator, and the run runtime.
import { hostname, userInfo } from 'node:os';
import { loadConfig } from '../config.js';
import type { Queryable } from '../db/pool.js';
import { exitCodeOf, isAppError, messageOf, NotFoundError, ValidationError } from '../errors.js';
import type { Initiator } from '../runbooks/runbook-service.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { isDebug } from '../log.js';

// CLI output is for people and scripts: progress logs only when asked (LOG_LEVEL=info or DEBUG).
process.env.LOG_LEVEL ??= isDebug() ? 'debug' : 'warn';

// Output piped into `head` and closed early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints a clear error (JSON on --json) and returns the exit code for it. */
export function reportError(error: unknown, json: boolean): number {
  const code = exitCodeOf(error);
  if (json) {
    const body: Record<string, unknown> = { error: { code: isAppError(error) ? error.code : 'unexpected', message: messageOf(error) } };
    if (isAppError(error) && Object.keys(error.details).length > 0) (body.error as Record<string, unknown>).details = error.details;
    printJson(body);
  } else {
    process.stderr.write(`error: ${messageOf(error)}\n`);
  }
  if (isDebug() && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return code;
}

export function parseId(raw: string, what = 'run id'): number {
  if (!/^\d{1,15}$/.test(raw) || Number(raw) <= 0) throw new ValidationError(`The ${what} must be a positive whole number, got "${raw}".`);
  return Number(raw);
}

/** The OS identity, or the platform user named by --operator (checked: active, and its capabilities apply). */
export async function resolveInitiator(db: Queryable, operatorEmail: string | undefined, fallback: Initiator): Promise<Initiator> {
  if (!operatorEmail) return fallback;
  const { rows } = await db.query<{ id: number; email: string; capabilities: string[] }>(
    'SELECT id, email, capabilities FROM platform_users WHERE email = lower($1::text) AND is_active',
    [operatorEmail.trim()],
  );
  const user = rows[0];
  if (!user) throw new NotFoundError(`No active platform user ${operatorEmail}.`);
  return { type: 'platform_user', platformUserId: user.id, label: user.email, capabilities: user.capabilities };
}

export function osIdentity(): string {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    name = process.env.USER ?? 'unknown';
  }
  return `${name}@${hostname()}`;
}

/** Opens the runtime for a CLI command (reusing a running embedded server) and always closes it. */
export async function withRuntime<T>(fn: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(loadConfig(), { worker: false, superviseQueue: false, reuseRunningEmbedded: true, poolSize: 4 });
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}
