// Typed application errors: each carries a stable code, mapped once to an HTTP status and a CLI exit code.

export type ErrorCode =
  | 'validation'
  | 'not_found'
  | 'forbidden'
  | 'lock_conflict'
  | 'illegal_transition'
  | 'throttled'
  | 'config'
  | 'database_unavailable';

/** Marks our errors across module copies (a bundler or test loader may load this file twice; instanceof would fail). */
const APP_ERROR = Symbol.for('atlas-ops.AppError');

export class AppError extends Error {
  readonly [APP_ERROR] = true;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, readonly field?: string, details: Record<string, unknown> = {}) {
    super('validation', message, field ? { field, ...details } : details);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super('not_found', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You do not have permission to do this.') {
    super('forbidden', message);
  }
}

/** A start that overlaps an active run; `activeRunId` names the run in the way. */
export class LockConflictError extends AppError {
  constructor(readonly activeRunId: number, message?: string) {
    super('lock_conflict', message ?? `Run #${activeRunId} is already active for this runbook and scope.`, { activeRunId });
  }
}

export class IllegalTransitionError extends AppError {
  constructor(message: string) {
    super('illegal_transition', message);
  }
}

export class ConfigError extends AppError {
  constructor(message: string) {
    super('config', message);
  }
}

export function isAppError(error: unknown): error is AppError {
  return typeof error === 'object' && error !== null && (error as { [APP_ERROR]?: boolean })[APP_ERROR] === true;
}

export function isAppErrorWithCode<C extends ErrorCode>(error: unknown, code: C): error is AppError & { code: C } {
  return isAppError(error) && error.code === code;
}

const httpStatusByCode: Record<ErrorCode, number> = {
  validation: 400,
  not_found: 404,
  forbidden: 403,
  lock_conflict: 409,
  illegal_transition: 409,
  throttled: 429,
  config: 500,
  database_unavailable: 503,
};

/** CLI exit codes: 0 success; 1 run did not succeed; 2 refused input; 3 lock conflict; 4 not found/forbidden; 5 other. */
export const exitCodes = {
  ok: 0,
  runNotSucceeded: 1,
  refused: 2,
  conflict: 3,
  notFound: 4,
  unexpected: 5,
} as const;

const exitCodeByCode: Record<ErrorCode, number> = {
  validation: exitCodes.refused,
  not_found: exitCodes.notFound,
  forbidden: exitCodes.notFound,
  lock_conflict: exitCodes.conflict,
  illegal_transition: exitCodes.refused,
  throttled: exitCodes.refused,
  config: exitCodes.refused,
  database_unavailable: exitCodes.unexpected,
};

export function httpStatusOf(error: unknown): number {
  return isAppError(error) ? httpStatusByCode[error.code] : 500;
}

export function exitCodeOf(error: unknown): number {
  return isAppError(error) ? exitCodeByCode[error.code] : exitCodes.unexpected;
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
