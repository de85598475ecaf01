// Structured logging: one JSON line per event on stderr, with fields, never string concatenation.

export const logLevels = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof logLevels)[number];
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** DEBUG=1 (any value but empty, 0, false, no, off) adds stack traces and debug logs. */
export function isDebug(): boolean {
  const raw = process.env.DEBUG?.trim().toLowerCase();
  return !!raw && !['0', 'false', 'no', 'off'].includes(raw);
}

function threshold(): number {
  const wanted = (process.env.LOG_LEVEL ?? (isDebug() ? 'debug' : 'info')) as Level;
  return order[wanted] ?? order.info;
}

function write(level: Level, event: string, fields: Record<string, unknown>): void {
  if (order[level] < threshold()) return;
  const line: Record<string, unknown> = { t: new Date().toISOString(), level, event, ...fields };
  for (const [key, value] of Object.entries(line)) {
    if (value instanceof Error) line[key] = { message: value.message, ...(isDebug() ? { stack: value.stack } : {}) };
  }
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

export const log = {
  debug: (event: string, fields: Record<string, unknown> = {}) => write('debug', event, fields),
  info: (event: string, fields: Record<string, unknown> = {}) => write('info', event, fields),
  warn: (event: string, fields: Record<string, unknown> = {}) => write('warn', event, fields),
  error: (event: string, fields: Record<string, unknown> = {}) => write('error', event, fields),
};
