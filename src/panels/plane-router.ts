// One plane (/admin or /system) as an express router: its own session cookie and table, login and logout,
// throttling and audit, then the guard (404 / 403 / login redirect) in front of AdminJS and the plane's own routes.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { buildRouter } from '@adminjs/express';
import type AdminJS from 'adminjs';
import connectPgSimple from 'connect-pg-simple';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { auditActions, writeAudit, type AuditActor } from '../audit/audit.js';
import type { Pool } from '../db/pool.js';
import { ValidationError } from '../errors.js';
import { statusAndMessageOf } from '../http/error-handler.js';
import type { LoginThrottle } from '../http/login-throttle.js';
import { originCheck } from '../http/origin-check.js';
import { log } from '../log.js';
import type { PlaneName, PlaneUser } from './plane-user.js';
import { isPlaneUserOf } from './plane-user.js';
import { ScopedSqlResource } from './sql-resource.js';
import { classifyPlanePath, decideAccess, type HttpMethod, type PlanePolicy } from './route-access.js';

declare module 'express-session' {
  interface SessionData {
    /** The name AdminJS reads `currentAdmin` from. */
    adminUser?: PlaneUser;
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    planeUser?: PlaneUser;
  }
}

export interface PlaneAuth {
  /** Checks credentials; null for an unknown e-mail, a wrong password or a deactivated user, in about equal time. */
  authenticate(email: string, password: string): Promise<PlaneUser | null>;
  /** The user as the database has it now; null when gone or deactivated. */
  load(id: number): Promise<PlaneUser | null>;
}

/** What one plane needs to recognise its own sessions (its own, and the other plane's guard). */
export interface PlaneSessionKit {
  name: PlaneName;
  rootPath: string;
  cookieName: string;
  /** Set on the other plane's path at login: lets that plane tell "signed in here" from anonymous. */
  presenceCookieName: string;
  secret: string;
  idleMinutes: number;
  secure: boolean;
  store: session.Store & { close(): Promise<void> | void };
  auth: PlaneAuth;
}

export interface PlaneRouterOptions {
  kit: PlaneSessionKit;
  peer: PlaneSessionKit;
  admin: AdminJS;
  policy: PlanePolicy;
  pool: Pool;
  throttle: LoginThrottle;
  /** The plane's own routes (aliases, JSON API), mounted behind the guard, before AdminJS. */
  routes?: express.Router;
}

const MAX_BODY_BYTES = 1024 * 1024;
const googleFontsLink = /<link[^>]+href="https:\/\/fonts\.googleapis\.com[^"]*"[^>]*>/g;
const MAX_EMAIL_LENGTH = 320;
const MAX_PASSWORD_LENGTH = 200;

export function createSessionStore(pool: Pool, table: string, pruneIntervalSeconds: number | false = 15 * 60): PlaneSessionKit['store'] {
  const PgStore = connectPgSimple(session);
  return new PgStore({ pool, tableName: table, createTableIfMissing: false, pruneSessionInterval: pruneIntervalSeconds });
}

function presenceSignature(secret: string, sid: string): string {
  return createHmac('sha256', secret).update(`presence:${sid}`).digest('base64url');
}

function presenceValue(kit: PlaneSessionKit, sid: string): string {
  return `${sid}.${presenceSignature(kit.secret, sid)}`;
}

function sessionIdFromPresence(kit: PlaneSessionKit, value: string): string | null {
  const dot = value.lastIndexOf('.');
  if (dot <= 0 || value.length > 300) return null;
  const sid = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(presenceSignature(kit.secret, sid));
  return given.length === expected.length && timingSafeEqual(given, expected) ? sid : null;
}

function readCookie(req: Request, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

function loadSession(store: session.Store, sid: string): Promise<session.SessionData | null> {
  return new Promise((resolve, reject) => {
    store.get(sid, (error: unknown, data?: session.SessionData | null) => (error ? reject(error) : resolve(data ?? null)));
  });
}

/** Is the request signed in to the peer plane (by the presence cookie the peer set on this plane's path)? */
async function isSignedInToPeer(req: Request, peer: PlaneSessionKit): Promise<boolean> {
  const value = readCookie(req, peer.presenceCookieName);
  if (!value) return false;
  const sid = sessionIdFromPresence(peer, value);
  if (!sid) return false;
  const data = await loadSession(peer.store, sid);
  const user = data?.adminUser;
  if (!isPlaneUserOf(user, peer.name)) return false;
  return (await peer.auth.load(user.id)) !== null;
}

function cookieOptions(kit: PlaneSessionKit, path: string): express.CookieOptions {
  return { path, httpOnly: true, sameSite: 'strict', secure: kit.secure };
}

function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

function fieldOf(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((error: unknown) => (error ? reject(error) : resolve())));
}

function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error: unknown) => (error ? reject(error) : resolve())));
}

function destroySession(req: Request): Promise<void> {
  return new Promise((resolve) => {
    req.session.destroy((error: unknown) => {
      if (error) log.warn('session.destroy_failed', { error });
      resolve();
    });
  });
}

function sameUser(a: PlaneUser, b: PlaneUser): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** AdminJS's /api/… and the plane's own …/api/… routes answer JSON. */
function isApiPath(path: string): boolean {
  return /(^|\/)api\//.test(path);
}

/** A plain, self-contained 403 page (no scripts, no external assets) that says what to do next. */
function forbiddenPage(rootPath: string, email: string): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not allowed</title>
<style>body{font-family:system-ui,sans-serif;background:#f6f7fb;color:#1c1c38;margin:0}main{max-width:560px;margin:12vh auto;background:#fff;padding:32px 40px;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.08)}a{color:#3040d6;margin-right:20px}</style></head>
<body><main><h1>You do not have permission to open this page</h1>
<p>You are signed in as <strong>${escape(email)}</strong>, and your account lacks the capability this page needs.
Ask a platform administrator to grant it.</p>
<p><a href="${rootPath}">Back to the start page</a><a href="${rootPath}/logout">Sign out</a></p></main></body></html>`;
}

function wantsHtml(req: Request): boolean {
  return !isApiPath(req.path) && req.accepts(['html', 'json']) === 'html';
}

export function createPlaneRouter(options: PlaneRouterOptions): express.Router {
  const { kit, peer, admin, policy, pool, throttle } = options;
  const router = express.Router();
  const loginPath = `${kit.rootPath}/login`;

  const audit = (req: Request, action: string, actor: AuditActor, metadata: Record<string, unknown> = {}) =>
    writeAudit(pool, { plane: kit.name, actor, action, ip: clientIp(req), userAgent: req.get('user-agent') ?? null, metadata });

  const renderLogin = async (res: Response, status: number, errorMessage: string | null) => {
    const html = await admin.renderLogin({ action: loginPath, errorMessage });
    res.status(status).type('html').send(html);
  };

  router.use((req, res, next) => {
    const length = Number(req.get('content-length') ?? 0);
    if (length > MAX_BODY_BYTES) {
      res.status(413).type('text/plain').send('Request too large.');
      return;
    }
    next();
  });

  // AdminJS's page templates hard-code a Google Fonts stylesheet; the CSP blocks it, and removing it keeps pages
  // free of the violation and of any attempt to reach the internet (the UI falls back to system fonts).
  router.use((_req, res, next) => {
    const send = res.send.bind(res);
    res.send = (body?: unknown) => send(typeof body === 'string' ? body.replace(googleFontsLink, '') : body);
    next();
  });

  router.use(
    originCheck((req) => {
      void audit(req, auditActions.accessDenied, { type: 'anonymous' }, { reason: 'cross_site_request', method: req.method, path: req.originalUrl.slice(0, 300) });
    }),
  );

  router.use(
    session({
      name: kit.cookieName,
      secret: kit.secret,
      store: kit.store,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      unset: 'destroy',
      cookie: { ...cookieOptions(kit, kit.rootPath), maxAge: kit.idleMinutes * 60_000 },
    }),
  );

  // Who is this? The session names a user; the database says whether they still may be here.
  router.use(async (req, _res, next) => {
    try {
      const stored = req.session.adminUser;
      if (stored === undefined) {
        next();
        return;
      }
      const fresh = isPlaneUserOf(stored, kit.name) ? await kit.auth.load(stored.id) : null;
      if (!fresh) {
        await destroySession(req);
      } else {
        if (!sameUser(stored, fresh)) req.session.adminUser = fresh;
        req.planeUser = fresh;
      }
      next();
    } catch (error) {
      next(error);
    }
  });

  router.get('/login', async (req, res, next) => {
    try {
      if (req.planeUser) {
        res.redirect(302, kit.rootPath);
        return;
      }
      await renderLogin(res, 200, null);
    } catch (error) {
      next(error);
    }
  });

  router.post('/login', express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }), async (req, res, next) => {
    try {
      const email = fieldOf(req.body, 'email');
      const password = fieldOf(req.body, 'password');
      if (typeof email !== 'string' || typeof password !== 'string' || email.trim() === '' || password === '') {
        await renderLogin(res, 400, 'Enter your e-mail address and password.');
        return;
      }
      if (email.length > MAX_EMAIL_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
        await renderLogin(res, 400, 'E-mail address or password is too long.');
        return;
      }
      const normalized = email.trim().toLowerCase();
      const ip = clientIp(req);
      const verdict = await throttle.consume(ip, normalized);
      if (!verdict.allowed) {
        await audit(req, auditActions.loginThrottled, { type: 'anonymous', label: normalized }, { email: normalized, retryAfterSeconds: verdict.retryAfterSeconds });
        res.set('Retry-After', String(verdict.retryAfterSeconds));
        await renderLogin(res, 429, 'Too many sign-in attempts. Try again in a minute.');
        return;
      }
      const user = await kit.auth.authenticate(normalized, password);
      if (!user) {
        await audit(req, auditActions.loginFailed, { type: 'anonymous', label: normalized }, { email: normalized });
        await renderLogin(res, 401, 'Invalid e-mail address or password.');
        return;
      }
      // A new session id on every login: an id planted before login is worthless after it.
      await regenerate(req);
      req.session.adminUser = user;
      await saveSession(req);
      await throttle.reset(ip, normalized);
      res.cookie(kit.presenceCookieName, presenceValue(kit, req.session.id), cookieOptions(kit, peer.rootPath));
      await audit(req, auditActions.loginSucceeded, { type: kit.name === 'system' ? 'platform_user' : 'user', id: user.id, label: user.email });
      res.redirect(302, kit.rootPath);
    } catch (error) {
      next(error);
    }
  });

  const logout = async (req: Request, res: Response, next: NextFunction) => {
    try {
      const user = req.planeUser;
      if (user) await audit(req, auditActions.logout, { type: kit.name === 'system' ? 'platform_user' : 'user', id: user.id, label: user.email });
      await destroySession(req);
      res.clearCookie(kit.cookieName, cookieOptions(kit, kit.rootPath));
      res.clearCookie(kit.presenceCookieName, cookieOptions(kit, peer.rootPath));
      res.redirect(302, loginPath);
    } catch (error) {
      next(error);
    }
  };
  router.get('/logout', logout);
  router.post('/logout', logout);

  // The guard: anonymous → login; signed in only to the other plane → 404; missing capability → 403.
  router.use(async (req, res, next) => {
    try {
      const route = classifyPlanePath(req.path);
      if (route === null) {
        next(new ValidationError('Malformed URL.'));
        return;
      }
      if (route.kind === 'public') {
        next();
        return;
      }
      const user = req.planeUser;
      if (!user) {
        if (await isSignedInToPeer(req, peer)) {
          if (isApiPath(req.path)) res.status(404).json({ error: { status: 404, code: 'not_found', message: 'Not found.' } });
          else res.status(404).type('text/plain').send('Not found.');
          return;
        }
        if (wantsHtml(req) && req.method === 'GET') res.redirect(302, loginPath);
        else res.status(401).json({ error: { status: 401, code: 'unauthenticated', message: 'Sign in first.' } });
        return;
      }
      const method: HttpMethod | null = req.method === 'GET' || req.method === 'HEAD' ? 'GET' : req.method === 'POST' ? 'POST' : null;
      const decision = method ? decideAccess(policy, route, method, user.capabilities) : ({ allow: false, status: 404, reason: 'method' } as const);
      if (!decision.allow) {
        if (decision.status === 403) {
          await audit(req, auditActions.accessDenied, { type: kit.name === 'system' ? 'platform_user' : 'user', id: user.id, label: user.email }, {
            method: req.method,
            path: req.originalUrl.slice(0, 300),
            reason: decision.reason,
          });
        }
        const message = decision.status === 403 ? 'You do not have permission for this.' : 'Not found.';
        if (isApiPath(req.path)) res.status(decision.status).json({ error: { status: decision.status, code: decision.status === 403 ? 'forbidden' : 'not_found', message } });
        else if (decision.status === 403 && wantsHtml(req)) res.status(403).type('html').send(forbiddenPage(kit.rootPath, user.email));
        else res.status(decision.status).type('text/plain').send(message);
        return;
      }
      // Record routes: a record outside the user's scope does not exist for them (AdminJS would answer 200).
      if (route.kind === 'record') {
        const resource = admin.findResource(route.resourceId);
        const visible = resource instanceof ScopedSqlResource && (await resource.isVisibleTo(route.recordId, user));
        if (!visible) {
          if (isApiPath(req.path)) res.status(404).json({ error: { status: 404, code: 'not_found', message: 'Not found.' } });
          else res.status(404).type('text/plain').send('Not found.');
          return;
        }
      }
      next();
    } catch (error) {
      next(error);
    }
  });

  // The plane's own routes first: they parse their own (JSON) bodies, which AdminJS's formidable would consume.
  if (options.routes) router.use(options.routes);
  router.use(buildRouter(admin, null, { maxFieldsSize: MAX_BODY_BYTES, maxFields: 200, maxFileSize: 0, multiples: false }));

  // A body AdminJS could not parse is the client's fault, not ours.
  router.use((error: unknown, req: Request, _res: Response, next: NextFunction) => {
    if (req.method === 'POST' && !('fields' in req) && statusAndMessageOf(error).status >= 500) {
      next(new ValidationError('The request body could not be read.'));
      return;
    }
    next(error);
  });
  return router;
}
