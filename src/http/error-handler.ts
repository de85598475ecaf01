// The last word on errors: a status from the error's code (or a 4xx the framework set), a short message,
// never a stack trace or SQL. Unexpected errors are logged with their details and answered with a plain 500.
import type { NextFunction, Request, Response } from 'express';
import { httpStatusOf, isAppError } from '../errors.js';
import { log } from '../log.js';

function clientStatusOf(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const candidate = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  return typeof candidate === 'number' && candidate >= 400 && candidate < 500 ? candidate : null;
}

const genericMessages: Record<number, string> = {
  400: 'Bad request.',
  403: 'Forbidden.',
  404: 'Not found.',
  413: 'Request too large.',
  415: 'Unsupported request body.',
};

export function statusAndMessageOf(error: unknown): { status: number; message: string } {
  if (isAppError(error)) return { status: httpStatusOf(error), message: error.message };
  const status = clientStatusOf(error);
  if (status !== null) return { status, message: genericMessages[status] ?? 'Bad request.' };
  return { status: 500, message: 'Internal error.' };
}

export function errorHandler() {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { status, message } = statusAndMessageOf(error);
    if (status >= 500) log.error('http.unhandled_error', { method: req.method, path: req.path, error });
    else log.debug('http.client_error', { method: req.method, path: req.path, status, message });
    const wantsJson = req.path.includes('/api/') || (req.get('accept') ?? '').includes('application/json');
    if (wantsJson) res.status(status).json({ error: { status, message } });
    else res.status(status).type('text/plain').send(message);
  };
}
