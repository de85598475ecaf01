// docs/schema.sql is the schema the migrations build: reviewers read DDL diffs there, so it must never drift.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dumpSchema, schemaDumpPath } from '../../src/db/schema-dump.js';
import { createTestDatabase } from '../helpers/db.js';

describe('dumpSchema', () => {
  it('dumpSchema of a freshly migrated database equals docs/schema.sql (run `npm run schema:dump` after a migration)', async () => {
    const db = await createTestDatabase();
    const dump = await dumpSchema(db.pool);
    expect(dump).to.contain('CREATE TABLE operation_runs (');
    expect(dump).to.contain('CREATE UNIQUE INDEX operation_runs_one_active_per_scope');
    expect(dump, `${schemaDumpPath} is out of date: run npm run schema:dump`).to.equal(readFileSync(schemaDumpPath, 'utf8'));
  });
});
