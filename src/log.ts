// Structured logging: one JSON line per event on stderr, with fields, never string concatenation.

type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function threshold(): number {
  const wanted = (process.env.LOG_LEVEL ?? (process.env.DEBUG ? 'debug' : 'info')) as Level;
  return order[wanted] ?? order.info;
}

function write(level: Level, event: string, fields: Record<string, unknown>): void {
  if (order[level] < threshold()) return;
  const line: Record<string, unknown> = { t: new Date().toISOString(), level, event, ...fields };
  for (const [key, value] of Object.entries(line)) {
    if (value instanceof Error) line[key] = { message: value.message, ...(process.env.DEBUG ? { stack: value.stack } : {}) };
  }
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

export const log = {
  debug: (event: string, fields: Record<string, unknown> = {}) => write('debug', event, fields),
  info: (event: string, fields: Record<string, unknown> = {}) => write('info', event, fields),
  warn: (event: string, fields: Record<string, unknown> = {}) => write('warn', event, fields),
  error: (event: string, fields: Record<string, unknown> = {}) => write('error', event, fields),
};
