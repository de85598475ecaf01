// Mocha root hooks: one Postgres for the whole suite (embedded, or TEST_DATABASE_URL).
import { startTestServer, stopTestServer } from './db.js';

// Quiet structured logs during tests (set LOG_LEVEL=info or DEBUG=1 to see them).
process.env.LOG_LEVEL ??= 'warn';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    await startTestServer();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopTestServer();
  },
};
