// The one mapping from a thrown error to an HTTP answer: a status from the error's code (or the 4xx a framework set),
// a short message, the input field at fault where there is one — never a stack trace or SQL. Unexpected errors are
// logged with their details and answered with a plain 500.
import type { NextFunction, Request, Response } from 'express';
import { httpStatusOf, isAppError } from '../errors.js';
import { log } from '../log.js';

export interface ErrorPayload {
  status: number;
  code: string;
  message: string;
  field?: string;
  activeRunId?: number;
}

function clientStatusOf(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const candidate = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  return typeof candidate === 'number' && candidate >= 400 && candidate < 500 ? candidate : null;
}

function clientMessageOf(error: unknown, status: number): string {
  if ((error as { type?: unknown }).type === 'entity.parse.failed') return 'The request body is not valid JSON.';
  const messages: Record<number, string> = {
    403: 'Forbidden.',
    404: 'Not found.',
    413: 'The request body is too large.',
    415: 'Unsupported request body.',
  };
  return messages[status] ?? 'Bad request.';
}

export function errorPayloadOf(error: unknown): ErrorPayload {
  if (isAppError(error)) {
    const payload: ErrorPayload = { status: httpStatusOf(error), code: error.code, message: error.message };
    if (typeof error.details.field === 'string') payload.field = error.details.field;
    if (typeof error.details.activeRunId === 'number') payload.activeRunId = error.details.activeRunId;
    return payload;
  }
  const status = clientStatusOf(error);
  if (status !== null) return { status, code: 'bad_request', message: clientMessageOf(error, status) };
  return { status: 500, code: 'internal', message: 'Something went wrong on our side; it has been logged.' };
}

export function statusAndMessageOf(error: unknown): { status: number; message: string } {
  const { status, message } = errorPayloadOf(error);
  return { status, message };
}

/** Logs what the operator may not see: 5xx with details, 4xx at debug. */
export function logError(req: Request, error: unknown, payload: ErrorPayload): void {
  if (payload.status >= 500) log.error('http.unhandled_error', { method: req.method, path: req.path, error });
  else log.debug('http.client_error', { method: req.method, path: req.path, status: payload.status, message: payload.message });
}

export function errorHandler() {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const payload = errorPayloadOf(error);
    logError(req, error, payload);
    const wantsJson = req.path.includes('/api/') || (req.get('accept') ?? '').includes('application/json');
    if (wantsJson) res.status(payload.status).json({ error: payload });
    else res.status(payload.status).type('text/plain').send(payload.message);
  };
}
