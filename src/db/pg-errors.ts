// SQLSTATE and connection-error mapping: the one place that knows Postgres error codes.

export const sqlState = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  readOnlyTransaction: '25006',
  adminShutdown: '57P01',
  invalidCatalogName: '3D000',
  invalidPassword: '28P01',
  invalidAuthorization: '28000',
  queryCanceled: '57014',
} as const;

export function codeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (codeOf(error) !== sqlState.uniqueViolation) return false;
  return constraint === undefined || (error as { constraint?: string }).constraint === constraint;
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** One line an operator can act on, for a failure to reach the database at start-up. */
export function describeConnectionError(error: unknown, url: string): string {
  const code = codeOf(error);
  const where = redact(url);
  switch (code) {
    case 'ECONNREFUSED':
      return `Cannot reach PostgreSQL at ${where}: connection refused. Is the server running, and are host and port right?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot reach PostgreSQL at ${where}: the host name does not resolve.`;
    case 'ETIMEDOUT':
      return `Cannot reach PostgreSQL at ${where}: the connection timed out.`;
    case sqlState.invalidPassword:
    case sqlState.invalidAuthorization:
      return `PostgreSQL at ${where} refused the login: check the user name and password in DATABASE_URL.`;
    case sqlState.invalidCatalogName:
      return `The database named in ${where} does not exist: create it (createdb) or fix DATABASE_URL.`;
    default:
      return `Cannot use PostgreSQL at ${where}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
