import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig, resolveSessionSecrets } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const secretA = 'a'.repeat(32);
const secretB = 'b'.repeat(40);

function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('loadConfig applies the defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.nodeEnv).to.equal('development');
    expect(config.isProduction).to.equal(false);
    expect(config.databaseUrl).to.equal(null);
    expect(config.port).to.equal(3000);
    expect(config.batchSize).to.equal(5000);
    expect(config.workerConcurrency).to.equal(2);
    expect(config.adminMaintenanceActions).to.equal(false);
    expect(config.embeddedPgPort).to.not.equal(5432);
    expect(config.dataDir).to.equal(path.resolve('.data'));
    expect(config.adminSessionSecret).to.equal(null);
    expect(config.systemSessionSecret).to.equal(null);
  });

  it('loadConfig reads valid values', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://app:pw@db.internal:5433/atlas',
      PORT: '8080',
      BATCH_SIZE: '500',
      ADMIN_MAINTENANCE_ACTIONS: 'true',
      ADMIN_SESSION_SECRET: secretA,
      SYSTEM_SESSION_SECRET: secretB,
    });
    expect(config.isProduction).to.equal(true);
    expect(config.databaseUrl).to.equal('postgresql://app:pw@db.internal:5433/atlas');
    expect(config.port).to.equal(8080);
    expect(config.batchSize).to.equal(500);
    expect(config.adminMaintenanceActions).to.equal(true);
    expect(config.adminSessionSecret).to.equal(secretA);
    expect(config.systemSessionSecret).to.equal(secretB);
  });

  const badEnvironments: { title: string; env: Record<string, string>; names: string; message?: RegExp }[] = [
    { title: 'a non-numeric PORT', env: { PORT: 'abc' }, names: 'PORT', message: /whole number/ },
    { title: 'a PORT out of range', env: { PORT: '70000' }, names: 'PORT' },
    { title: 'a mysql DATABASE_URL', env: { DATABASE_URL: 'mysql://root@localhost/atlas' }, names: 'DATABASE_URL', message: /postgres:\/\// },
    { title: 'an unparseable DATABASE_URL', env: { DATABASE_URL: 'not a url' }, names: 'DATABASE_URL' },
    { title: 'production without secrets', env: { NODE_ENV: 'production' }, names: 'ADMIN_SESSION_SECRET', message: /required/ },
    {
      title: 'production without the system secret',
      env: { NODE_ENV: 'production', ADMIN_SESSION_SECRET: secretA },
      names: 'SYSTEM_SESSION_SECRET',
      message: /required/,
    },
    { title: 'a short secret', env: { SYSTEM_SESSION_SECRET: 'short' }, names: 'SYSTEM_SESSION_SECRET', message: /at least 32/ },
    { title: 'ADMIN_MAINTENANCE_ACTIONS=maybe', env: { ADMIN_MAINTENANCE_ACTIONS: 'maybe' }, names: 'ADMIN_MAINTENANCE_ACTIONS', message: /true or false/ },
    { title: 'BATCH_SIZE=0', env: { BATCH_SIZE: '0' }, names: 'BATCH_SIZE' },
    { title: 'LOG_LEVEL=verbose', env: { LOG_LEVEL: 'verbose' }, names: 'LOG_LEVEL' },
    { title: 'a negative WORKER_CONCURRENCY', env: { WORKER_CONCURRENCY: '-1' }, names: 'WORKER_CONCURRENCY' },
    { title: 'an unknown NODE_ENV', env: { NODE_ENV: 'staging' }, names: 'NODE_ENV' },
  ];
  for (const { title, env, names, message } of badEnvironments) {
    it(`loadConfig refuses ${title}, naming ${names}`, () => {
      const error = configErrorOf(env);
      expect(error.message).to.include(names);
      if (message) expect(error.message).to.match(message);
      expect(error.code).to.equal('config');
    });
  }
});

describe('resolveSessionSecrets', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'atlas-config-')), 'data');
  });
  afterEach(() => rmSync(path.dirname(dataDir), { recursive: true, force: true }));

  it('resolveSessionSecrets generates secrets once, keeps them under DATA_DIR and reuses them', () => {
    const first = resolveSessionSecrets(loadConfig({ DATA_DIR: dataDir }));
    expect(first.admin).to.have.length.of.at.least(32);
    expect(first.system).to.have.length.of.at.least(32);
    expect(first.admin).to.not.equal(first.system);
    const file = path.join(dataDir, 'secrets.json');
    expect(existsSync(file)).to.equal(true);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal(first);

    const second = resolveSessionSecrets(loadConfig({ DATA_DIR: dataDir }));
    expect(second).to.deep.equal(first);
  });

  it('resolveSessionSecrets prefers secrets from the environment', () => {
    const secrets = resolveSessionSecrets(loadConfig({ DATA_DIR: dataDir, ADMIN_SESSION_SECRET: secretA, SYSTEM_SESSION_SECRET: secretB }));
    expect(secrets).to.deep.equal({ admin: secretA, system: secretB });
    expect(existsSync(path.join(dataDir, 'secrets.json'))).to.equal(false);
  });

  it('resolveSessionSecrets replaces hand-edited secrets that are too short, and keeps the new ones', () => {
    resolveSessionSecrets(loadConfig({ DATA_DIR: dataDir }));
    const file = path.join(dataDir, 'secrets.json');
    writeFileSync(file, JSON.stringify({ admin: 'short', system: 'x' }));
    const secrets = resolveSessionSecrets(loadConfig({ DATA_DIR: dataDir }));
    expect(secrets.admin).to.have.length.of.at.least(32);
    expect(secrets.system).to.have.length.of.at.least(32);
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal(secrets);
  });

  it('resolveSessionSecrets refuses a corrupted secrets file with a ConfigError naming it', () => {
    resolveSessionSecrets(loadConfig({ DATA_DIR: dataDir }));
    const file = path.join(dataDir, 'secrets.json');
    writeFileSync(file, '{ not json');
    expect(() => resolveSessionSecrets(loadConfig({ DATA_DIR: dataDir }))).to.throw(ConfigError, file);
  });
});
