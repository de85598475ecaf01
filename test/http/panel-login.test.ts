// Sessions and login of both planes over real HTTP: cookies, fixation, logout, deactivation, throttling, timing, audit.
import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { TEST_PASSWORD } from '../helpers/fixtures.js';
import { HttpClient, parseSetCookie } from '../helpers/http-client.js';
import { seedPanelWorld, signedIn, type PanelWorld } from '../helpers/panel-world.js';
import type { RunningApp } from '../helpers/web.js';

async function auditRows(db: TestDatabase, action: string, label: string): Promise<{ plane: string; ip: string | null; user_agent: string | null; metadata: Record<string, unknown> }[]> {
  const { rows } = await db.pool.query(
    'SELECT plane, ip, user_agent, metadata FROM audit_logs WHERE action = $1 AND actor_label = $2 ORDER BY id',
    [action, label],
  );
  return rows;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

describe('panel login and sessions (real HTTP)', function () {
  let db: TestDatabase;
  let app: RunningApp;
  let world: PanelWorld;
  let startWebApp: typeof import('../helpers/web.js').startWebApp;

  before(async () => {
    ({ startWebApp } = await import('../helpers/web.js'));
    db = await createTestDatabase();
    world = await seedPanelWorld(db.pool);
    app = await startWebApp(db.pool);
  });

  after(async () => {
    await app?.close();
  });

  beforeEach(async () => {
    await db.pool.query('DELETE FROM login_rate_limits');
  });

  it('login to /system sets an HttpOnly, SameSite=Strict session cookie on path /system only, not Secure outside production', async () => {
    const client = new HttpClient(app.baseUrl);
    const response = await client.post('/system/login', { email: world.operatorEmails.admin, password: TEST_PASSWORD });
    expect(response.status).to.equal(302);
    const cookies = response.setCookies.map(parseSetCookie);
    const sid = cookies.find((cookie) => cookie.name === 'atlas_system_sid');
    expect(sid, 'system cookie').to.not.equal(undefined);
    expect(sid?.attributes.get('path')).to.equal('/system');
    expect(sid?.attributes.has('httponly')).to.equal(true);
    expect(sid?.attributes.get('samesite')).to.equal('Strict');
    expect(sid?.attributes.has('secure')).to.equal(false);
    // Idle timeout: 8 h by default for /system.
    const expires = Date.parse(sid?.attributes.get('expires') ?? '');
    expect(Math.abs(expires - (Date.now() + 480 * 60_000))).to.be.below(60_000);
    // The presence marker only reaches /admin (for the cross-plane 404), with the same flags.
    const presence = cookies.find((cookie) => cookie.name === 'atlas_system_presence');
    expect(presence?.attributes.get('path')).to.equal('/admin');
    expect(presence?.attributes.get('samesite')).to.equal('Strict');
    expect(cookies.map((cookie) => cookie.name)).to.not.include('atlas_admin_sid');
  });

  it('login to /admin uses its own cookie name on path /admin and its own session table', async () => {
    const client = new HttpClient(app.baseUrl);
    const response = await client.post('/admin/login', { email: world.a.email, password: TEST_PASSWORD });
    const sid = response.setCookies.map(parseSetCookie).find((cookie) => cookie.name === 'atlas_admin_sid');
    expect(sid?.attributes.get('path')).to.equal('/admin');
    expect(sid?.attributes.get('samesite')).to.equal('Strict');
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM admin_sessions WHERE sess::jsonb -> 'adminUser' ->> 'email' = $1`,
      [world.a.email],
    );
    expect(rows[0]?.n).to.equal(1);
    const inSystem = await db.pool.query(`SELECT 1 FROM system_sessions WHERE sess::jsonb -> 'adminUser' ->> 'email' = $1`, [world.a.email]);
    expect(inSystem.rowCount).to.equal(0);
  });

  it('session cookie is Secure in production', async () => {
    const prod = await startWebApp(db.pool, {
      env: { NODE_ENV: 'production', ADMIN_SESSION_SECRET: 'x'.repeat(40), SYSTEM_SESSION_SECRET: 'y'.repeat(40) },
    });
    try {
      // Behind a TLS-terminating proxy the app sees X-Forwarded-Proto (trusted from loopback).
      const client = new HttpClient(prod.baseUrl);
      const response = await client.post('/system/login', { email: world.operatorEmails.admin, password: TEST_PASSWORD }, { 'x-forwarded-proto': 'https' });
      expect(response.status).to.equal(302);
      const sid = response.setCookies.map(parseSetCookie).find((cookie) => cookie.name === 'atlas_system_sid');
      expect(sid?.attributes.has('secure')).to.equal(true);
      expect(response.headers.get('strict-transport-security')).to.match(/max-age=/);
    } finally {
      await prod.close();
    }
  });

  it('login regenerates the session id: a session id planted before login is useless after it', async () => {
    const client = new HttpClient(app.baseUrl);
    // An attacker's pre-login session: any cookie value the server would accept as a session id.
    const before = await client.post('/system/login', { email: world.operatorEmails.admin, password: 'wrong password' });
    expect(before.status).to.equal(401);
    client.setCookie('atlas_system_sid', 's%3Aplanted-session-id.invalidsig', '/system');
    const planted = client.cookie('atlas_system_sid');
    const login = await client.post('/system/login', { email: world.operatorEmails.admin, password: TEST_PASSWORD });
    expect(login.status).to.equal(302);
    const after = client.cookie('atlas_system_sid');
    expect(after).to.not.equal(planted);
    // Replaying the pre-login id gets the anonymous treatment.
    const attacker = new HttpClient(app.baseUrl);
    attacker.setCookie('atlas_system_sid', planted ?? '', '/system');
    const replay = await attacker.get('/system');
    expect(replay.status).to.equal(302);
    expect(replay.headers.get('location')).to.equal('/system/login');
  });

  it('login regenerates the session id of an existing session, and the old id stops working', async () => {
    const first = await signedIn(app.baseUrl, 'system', world.operatorEmails.viewer);
    const oldId = first.cookie('atlas_system_sid');
    const again = await first.post('/system/login', { email: world.operatorEmails.viewer, password: TEST_PASSWORD });
    expect(again.status).to.equal(302);
    expect(first.cookie('atlas_system_sid')).to.not.equal(oldId);
    const stale = new HttpClient(app.baseUrl);
    stale.setCookie('atlas_system_sid', oldId ?? '', '/system');
    expect((await stale.get('/system')).status).to.equal(302);
  });

  it('logout destroys the session row, clears the cookie, is audited, and the old cookie no longer works', async () => {
    const client = await signedIn(app.baseUrl, 'system', world.operatorEmails.viewer);
    const cookie = client.cookie('atlas_system_sid') ?? '';
    const sid = decodeURIComponent(cookie).slice(2).split('.')[0];
    expect((await db.pool.query('SELECT 1 FROM system_sessions WHERE sid = $1', [sid])).rowCount).to.equal(1);
    const logout = await client.get('/system/logout');
    expect(logout.status).to.equal(302);
    expect(logout.headers.get('location')).to.equal('/system/login');
    expect((await db.pool.query('SELECT 1 FROM system_sessions WHERE sid = $1', [sid])).rowCount).to.equal(0);
    expect(client.cookie('atlas_system_sid')).to.equal(undefined);
    const replay = new HttpClient(app.baseUrl);
    replay.setCookie('atlas_system_sid', cookie, '/system');
    expect((await replay.get('/system/api/resources/operation_runs/actions/list')).status).to.equal(401);
    expect(await auditRows(db, 'auth.logout', world.operatorEmails.viewer)).to.have.length.greaterThan(0);
  });

  it('deactivated operators cannot log in (same answer as a wrong password) and lose their open session at once', async () => {
    const client = await signedIn(app.baseUrl, 'system', world.operatorEmails.nocaps);
    expect((await client.get('/system')).status).to.equal(200);
    await db.pool.query('UPDATE platform_users SET is_active = false WHERE id = $1', [world.operators.nocaps]);
    try {
      const after = await client.get('/system');
      expect(after.status).to.equal(302);
      expect(after.headers.get('location')).to.equal('/system/login');
      const login = await new HttpClient(app.baseUrl).post('/system/login', { email: world.operatorEmails.nocaps, password: TEST_PASSWORD });
      const unknown = await new HttpClient(app.baseUrl).post('/system/login', { email: 'nobody@atlas.test', password: TEST_PASSWORD });
      expect(login.status).to.equal(401);
      expect(unknown.status).to.equal(401);
      expect(login.body).to.include('Invalid e-mail address or password.');
      expect(unknown.body).to.include('Invalid e-mail address or password.');
    } finally {
      await db.pool.query('UPDATE platform_users SET is_active = true WHERE id = $1', [world.operators.nocaps]);
    }
  });

  it('a customer cannot sign in to /system and an operator cannot sign in to /admin', async () => {
    const customer = await new HttpClient(app.baseUrl).post('/system/login', { email: world.a.email, password: TEST_PASSWORD });
    const operator = await new HttpClient(app.baseUrl).post('/admin/login', { email: world.operatorEmails.admin, password: TEST_PASSWORD });
    expect(customer.status).to.equal(401);
    expect(operator.status).to.equal(401);
  });

  it('someone signed in to both planes uses each with its own session, and logging out of one keeps the other', async () => {
    const client = await signedIn(app.baseUrl, 'system', world.operatorEmails.admin);
    const login = await client.post('/admin/login', { email: world.a.email, password: TEST_PASSWORD });
    expect(login.status).to.equal(302);
    expect((await client.get('/admin/api/resources/findings/actions/list')).status).to.equal(200);
    expect((await client.get('/system/api/resources/operation_runs/actions/list')).status).to.equal(200);
    await client.get('/admin/logout');
    expect((await client.get('/system/api/resources/operation_runs/actions/list')).status).to.equal(200);
    expect((await client.get('/admin/api/resources/findings/actions/list')).status).to.equal(404);
  });

  it('successful and failed logins are audited with e-mail, IP and user agent, never the password', async () => {
    const client = new HttpClient(app.baseUrl, { userAgent: 'audit-check/1.0' });
    await client.post('/system/login', { email: 'Ghost@Atlas.test', password: 'guess-1' });
    await client.post('/system/login', { email: world.operatorEmails.viewer, password: TEST_PASSWORD });
    const failed = await auditRows(db, 'auth.login_failed', 'ghost@atlas.test');
    expect(failed).to.have.length(1);
    expect(failed[0]).to.deep.include({ plane: 'system', ip: '127.0.0.1', user_agent: 'audit-check/1.0' });
    expect(failed[0]?.metadata).to.deep.equal({ email: 'ghost@atlas.test' });
    const succeeded = await auditRows(db, 'auth.login_succeeded', world.operatorEmails.viewer);
    expect(succeeded.at(-1)?.user_agent).to.equal('audit-check/1.0');
    const leaked = await db.pool.query(`SELECT 1 FROM audit_logs WHERE metadata::text LIKE '%guess-1%' OR metadata::text LIKE $1`, [`%${TEST_PASSWORD}%`]);
    expect(leaked.rowCount).to.equal(0);
  });

  it('login throttle on /system: 10 attempts pass, the 11th gets 429 with Retry-After, and is audited', async () => {
    const client = new HttpClient(app.baseUrl);
    const email = 'Brute@Atlas.test';
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      // Case changes do not make a new key.
      const tried = attempt % 2 ? email : email.toLowerCase();
      statuses.push((await client.post('/system/login', { email: tried, password: `wrong-${attempt}` })).status);
    }
    expect(statuses).to.deep.equal(Array(10).fill(401));
    const eleventh = await client.post('/system/login', { email, password: 'wrong-11' });
    expect(eleventh.status).to.equal(429);
    const retryAfter = Number(eleventh.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, 60);
    expect(await auditRows(db, 'auth.login_failed', 'brute@atlas.test')).to.have.length(10);
    const throttled = await auditRows(db, 'auth.login_throttled', 'brute@atlas.test');
    expect(throttled).to.have.length(1);
    expect(throttled[0]?.metadata).to.deep.include({ email: 'brute@atlas.test' });
    // Even the right password is refused while throttled; another e-mail from the same IP is not.
    await db.pool.query(`UPDATE platform_users SET email = 'brute@atlas.test' WHERE id = $1`, [world.operators.viewer]);
    try {
      expect((await client.post('/system/login', { email, password: TEST_PASSWORD })).status).to.equal(429);
      expect((await client.post('/system/login', { email: world.operatorEmails.admin, password: 'wrong' })).status).to.equal(401);
    } finally {
      await db.pool.query('UPDATE platform_users SET email = $1 WHERE id = $2', [world.operatorEmails.viewer, world.operators.viewer]);
    }
  });

  it('login throttle holds across two app instances sharing the database (and so across a restart)', async () => {
    // Its own pool and its own limiter: the only thing shared is the database.
    const second = await startWebApp(db.newPool(2));
    try {
      const email = 'spread@atlas.test';
      const apps = [app, second];
      for (let attempt = 0; attempt < 10; attempt++) {
        const target = apps[attempt % 2];
        if (!target) throw new Error('no app');
        expect((await new HttpClient(target.baseUrl).post('/system/login', { email, password: 'x' })).status).to.equal(401);
      }
      expect((await new HttpClient(second.baseUrl).post('/system/login', { email, password: 'x' })).status).to.equal(429);
      expect((await new HttpClient(app.baseUrl).post('/system/login', { email, password: 'x' })).status).to.equal(429);
    } finally {
      await second.close();
    }
    // A fresh instance (a restart) still refuses.
    const restarted = await startWebApp(db.newPool(2));
    try {
      expect((await new HttpClient(restarted.baseUrl).post('/system/login', { email: 'spread@atlas.test', password: 'x' })).status).to.equal(429);
    } finally {
      await restarted.close();
    }
  });

  it('login throttle on /admin is looser (30 a minute) and counted apart from /system', async () => {
    const client = new HttpClient(app.baseUrl);
    const email = 'someone@acme.test';
    for (let attempt = 0; attempt < 11; attempt++) {
      expect((await client.post('/admin/login', { email, password: 'x' })).status).to.equal(401);
    }
    expect((await client.post('/system/login', { email, password: 'x' })).status).to.equal(401);
    for (let attempt = 11; attempt < 30; attempt++) await client.post('/admin/login', { email, password: 'x' });
    expect((await client.post('/admin/login', { email, password: 'x' })).status).to.equal(429);
  });

  it('a successful login clears the throttle count for that IP and e-mail', async () => {
    const client = new HttpClient(app.baseUrl);
    for (let attempt = 0; attempt < 9; attempt++) await client.post('/system/login', { email: world.operatorEmails.viewer, password: 'x' });
    expect((await client.post('/system/login', { email: world.operatorEmails.viewer, password: TEST_PASSWORD })).status).to.equal(302);
    for (let attempt = 0; attempt < 10; attempt++) {
      expect((await new HttpClient(app.baseUrl).post('/system/login', { email: world.operatorEmails.viewer, password: 'x' })).status).to.equal(401);
    }
  });

  it('login of an unknown e-mail takes about as long as a wrong password for a real one (relative bound)', async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    const time = async (email: string) => {
      const started = performance.now();
      const response = await new HttpClient(app.baseUrl).post('/system/login', { email, password: 'not-the-password' });
      expect(response.status).to.equal(401);
      return performance.now() - started;
    };
    // Warm-up (bcrypt's dummy hash, connection pool), then interleaved samples under the throttle limit.
    await time('warmup@atlas.test');
    for (let round = 0; round < 10; round++) {
      known.push(await time(world.operatorEmails.admin));
      unknown.push(await time(`nobody-${round}@atlas.test`));
    }
    const ratio = median(unknown) / median(known);
    // Without the dummy comparison an unknown e-mail skips bcrypt entirely and answers measurably faster.
    expect(ratio, `unknown ${median(unknown).toFixed(2)} ms vs known ${median(known).toFixed(2)} ms`).to.be.within(0.5, 2);
  });
});
