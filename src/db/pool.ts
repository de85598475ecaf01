// Connection pools and transactions. Types mark code that must run inside a transaction.
import pg from 'pg';
import { log } from '../log.js';
import { codeOf, sqlState } from './pg-errors.js';

// bigint (int8) and numeric come back as JS numbers: our ids and counts stay far below 2^53.
pg.types.setTypeParser(20, (value) => Number(value));
pg.types.setTypeParser(1700, (value) => Number(value));

export type Pool = pg.Pool;
/** Anything that runs a query: a pool, or a client inside or outside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

declare const inTransaction: unique symbol;
declare const readOnly: unique symbol;
/** A client inside an open transaction: functions that lock rows take this type. */
export type Tx = pg.PoolClient & { readonly [inTransaction]: true };
/** A client inside a READ ONLY transaction: preflights take this type. */
export type ReadOnlyTx = Tx & { readonly [readOnly]: true };

export function createPool(connectionString: string, options: { max?: number; applicationName?: string } = {}): Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'atlas-ops',
    connectionTimeoutMillis: 10_000,
  });
  // Postgres shutting down (57P01) or a dropped connection must not kill the process. An idle connection closed by
  // a server shutdown is expected when we stop (the embedded server stops with us): not worth a warning.
  pool.on('error', (error) => {
    if (codeOf(error) === sqlState.adminShutdown) log.debug('db.pool_connection_closed', { error });
    else log.warn('db.pool_error', { error });
  });
  return pool;
}

async function runInTransaction<T>(pool: Pool, begin: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

export function withTransaction<T>(pool: Pool, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return runInTransaction(pool, 'BEGIN', (client) => fn(client as Tx));
}

/** A READ ONLY, REPEATABLE READ transaction: one consistent snapshot, and Postgres refuses any write. */
export function withReadOnlyTransaction<T>(pool: Pool, fn: (tx: ReadOnlyTx) => Promise<T>): Promise<T> {
  return runInTransaction(pool, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', (client) => fn(client as ReadOnlyTx));
}
