// The operator JSON API under /system/ops/api: what the runbooks, runs and notifications screens (and scripts) use.
// Thin: it parses, calls the runbook service or the read-side queries, and maps typed errors to HTTP statuses.
// The plane guard in front of it has already authenticated the operator and checked the route's capability.
import express, { type NextFunction, type Request, type Response } from 'express';
import { capabilities, type Capability } from '../auth/capabilities.js';
import type { Pool } from '../db/pool.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { errorPayloadOf, logError } from './error-handler.js';
import { listNotifications, markNotificationRead } from '../notifications/notifications.repository.js';
import type { Initiator, RunbookService, ScopeInput } from '../runbooks/runbook-service.js';
import { countRuns, getRunDetail, listRuns, parseRunFilters, type RunDetail, type RunListEntry } from '../runs/run-queries.js';
import type { OperationRun } from '../runs/runs.repository.js';
import { searchAllowedTenants } from '../tenants/tenants.repository.js';

export const OPS_API_PREFIX = '/ops/api';
export const RUN_PAGE_PATH = '/system/ops/runs';

/** Route → capability, for the plane guard's policy (deny by default: a route not listed here answers 404). */
export const opsApiRules: readonly { method: 'GET' | 'POST'; pattern: RegExp; capability: Capability | null }[] = [
  { method: 'GET', pattern: /^\/ops\/api\/runbooks$/, capability: capabilities.runbooksView },
  { method: 'GET', pattern: /^\/ops\/api\/tenants$/, capability: capabilities.runbooksView },
  { method: 'POST', pattern: /^\/ops\/api\/runbooks\/[^/]+\/preflight$/, capability: capabilities.runbooksView },
  { method: 'POST', pattern: /^\/ops\/api\/runbooks\/[^/]+\/runs$/, capability: capabilities.runbooksRun },
  { method: 'GET', pattern: /^\/ops\/api\/runs$/, capability: capabilities.opsView },
  { method: 'GET', pattern: /^\/ops\/api\/runs\/[^/]+$/, capability: capabilities.opsView },
  { method: 'POST', pattern: /^\/ops\/api\/runs\/[^/]+\/cancel$/, capability: capabilities.runbooksRun },
  { method: 'GET', pattern: /^\/ops\/api\/notifications$/, capability: null },
  { method: 'POST', pattern: /^\/ops\/api\/notifications\/[^/]+\/read$/, capability: null },
];

export interface OpsApiDeps {
  pool: Pool;
  runbooks: RunbookService;
}

interface Operator {
  id: number;
  email: string;
  capabilities: readonly string[];
}

function operatorOf(req: Request): Operator {
  const user = req.planeUser;
  if (!user || user.plane !== 'system') throw new NotFoundError();
  return { id: user.id, email: user.email, capabilities: user.capabilities };
}

function initiatorOf(operator: Operator): Initiator {
  return { type: 'platform_user', platformUserId: operator.id, label: operator.email, capabilities: operator.capabilities };
}

function requestContext(req: Request) {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}

function idParam(raw: string | undefined, what: string): number {
  if (!raw || !/^\d{1,15}$/.test(raw) || Number(raw) <= 0) throw new ValidationError(`The ${what} must be a positive whole number.`, what.replace(' ', '_'));
  return Number(raw);
}

function body(req: Request): Record<string, unknown> {
  const value: unknown = req.body;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError('Send a JSON object.');
  return value as Record<string, unknown>;
}

function optionalString(source: Record<string, unknown>, key: string, max = 1000): string | undefined {
  const value = source[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ValidationError(`${key} must be text.`, key);
  if (value.length > max) throw new ValidationError(`${key} is too long (at most ${max} characters).`, key);
  return value;
}

/** A query parameter given at most once, as text; repeated or nested parameters are refused, not ignored. (The app refuses NUL in any address before this.) */
function singleQueryValue(value: unknown, key: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ValidationError(`Give ${key} at most once, as plain text.`, key);
  return value;
}

/** The scope as the screens send it: {scope: 'all_tenants'} or {scope: 'single_tenant', tenantId}. */
export function parseScope(source: Record<string, unknown>): ScopeInput {
  const scope = source.scope;
  if (scope === 'all_tenants') return { scope };
  if (scope === 'single_tenant') {
    const tenantId = source.tenantId;
    const externalId = optionalString(source, 'tenantExternalId', 200);
    if (tenantId !== undefined && tenantId !== null) {
      if (typeof tenantId !== 'number' || !Number.isSafeInteger(tenantId) || tenantId <= 0) {
        throw new ValidationError('Choose a tenant from the list.', 'tenant');
      }
      return { scope, tenantId };
    }
    if (externalId) return { scope, tenantExternalId: externalId };
    throw new ValidationError('Choose a tenant for a single-tenant run.', 'tenant');
  }
  throw new ValidationError('Choose a scope: all tenants or a single tenant.', 'scope');
}

/** The tenant a run names: joined in lists, else the snapshot the run keeps in its context. */
function tenantOf(run: OperationRun | RunListEntry): { name: string | null; externalId: string | null } | null {
  if ('tenantName' in run) return { name: run.tenantName, externalId: run.tenantExternalId };
  const snapshot = run.context.tenant as { name?: unknown; externalId?: unknown } | null | undefined;
  if (!snapshot) return null;
  return { name: typeof snapshot.name === 'string' ? snapshot.name : null, externalId: typeof snapshot.externalId === 'string' ? snapshot.externalId : null };
}

export function runSummaryJson(run: OperationRun | RunListEntry) {
  const tenant = tenantOf(run);
  return {
    id: run.id,
    runbook: run.type,
    scope: run.scope,
    tenantId: run.tenantId,
    tenantName: tenant?.name ?? null,
    tenantExternalId: tenant?.externalId ?? null,
    status: run.status,
    outcome: run.outcome,
    cancelRequested: run.cancelRequestedAt !== null,
    initiator: run.initiatorName,
    initiatorType: run.initiatorType,
    source: run.source,
    reason: run.reason,
    createdAt: run.createdAt.toISOString(),
    startedAt: run.startedAt?.toISOString() ?? null,
    completedAt: run.completedAt?.toISOString() ?? null,
    durationSeconds: run.completedAt && run.startedAt ? Math.round((run.completedAt.getTime() - run.startedAt.getTime()) / 1000) : null,
    url: `${RUN_PAGE_PATH}/${run.id}`,
  };
}

function runDetailJson(detail: RunDetail) {
  const { run } = detail;
  return {
    ...runSummaryJson(run),
    tenant: detail.tenant,
    idempotencyKey: run.idempotencyKey,
    failureMessage: run.failureMessage,
    cancelledBy: run.cancelledBy,
    counts: run.status === 'completed' ? run.summaryCounts : detail.counts,
    items: detail.items,
    progress: {
      tenantsDone: detail.items.succeeded + detail.items.failed + detail.items.cancelled,
      tenantsTotal: detail.items.total,
      fraction: detail.fraction,
      findingsProcessed: Math.min(detail.findings.processed, detail.findings.expected),
      findingsExpected: detail.findings.expected,
      findingsFraction: detail.findings.fraction,
      elapsedSeconds: detail.elapsedSeconds,
      etaSeconds: detail.etaSeconds,
    },
    failures: detail.failures,
    context: run.context,
    auditTrail: detail.auditTrail.map((entry) => ({ ...entry, occurredAt: entry.occurredAt.toISOString() })),
  };
}

/** Errors as JSON, by the app's one mapping, plus a link to the run in the way for lock conflicts. */
function sendError(req: Request, res: Response, error: unknown): void {
  const payload = errorPayloadOf(error);
  logError(req, error, payload);
  const body = payload.activeRunId === undefined ? payload : { ...payload, activeRunUrl: `${RUN_PAGE_PATH}/${payload.activeRunId}` };
  res.status(payload.status).json({ error: body });
}

type Handler = (req: Request, res: Response) => Promise<void>;
const handle = (fn: Handler) => (req: Request, res: Response) => {
  fn(req, res).catch((error: unknown) => sendError(req, res, error));
};

export function createOpsApi(deps: OpsApiDeps): express.Router {
  const { pool, runbooks } = deps;
  const router = express.Router();
  router.use(express.json({ limit: '32kb', strict: true }));
  // A POST body that is not JSON would parse as nothing and fail later with a confusing message: say what is wrong.
  router.use((req: Request, res: Response, next: NextFunction) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (req.method === 'POST' && hasBody && !req.is('application/json')) {
      res.status(415).json({ error: { status: 415, code: 'unsupported_media_type', message: 'Send the request body as JSON (Content-Type: application/json).' } });
      return;
    }
    next();
  });

  router.get(
    '/runbooks',
    handle(async (_req, res) => {
      res.json({ runbooks: await runbooks.listRunbooks() });
    }),
  );

  router.get(
    '/tenants',
    handle(async (req, res) => {
      const q = singleQueryValue(req.query.q, 'q')?.trim() ?? '';
      if (q.length > 100) throw new ValidationError('Search for at most 100 characters.', 'q');
      const limitRaw = singleQueryValue(req.query.limit, 'limit') ?? '20';
      if (!/^\d{1,3}$/.test(limitRaw) || Number(limitRaw) < 1 || Number(limitRaw) > 50) throw new ValidationError('limit must be 1–50.', 'limit');
      const tenants = await searchAllowedTenants(pool, q, Number(limitRaw));
      res.json({ tenants: tenants.map((tenant) => ({ id: tenant.id, externalId: tenant.externalId, name: tenant.name, workspace: tenant.workspaceName })) });
    }),
  );

  router.post(
    '/runbooks/:key/preflight',
    handle(async (req, res) => {
      const operator = operatorOf(req);
      const result = await runbooks.preflight(String(req.params.key), parseScope(body(req)), initiatorOf(operator), requestContext(req));
      res.json({ preflight: result });
    }),
  );

  router.post(
    '/runbooks/:key/runs',
    handle(async (req, res) => {
      const operator = operatorOf(req);
      const input = body(req);
      const { run, created } = await runbooks.startRun({
        runbookKey: String(req.params.key),
        scope: parseScope(input),
        initiator: initiatorOf(operator),
        source: 'system_ui',
        reason: optionalString(input, 'reason', 2000) ?? '',
        confirmation: optionalString(input, 'confirmation', 200) ?? null,
        idempotencyKey: optionalString(input, 'idempotencyKey', 200) ?? null,
        request: requestContext(req),
      });
      const message = created
        ? `Run #${run.id} queued`
        : `Run #${run.id} was already started with this request (${run.status === 'completed' ? run.outcome : run.status})`;
      res.status(created ? 202 : 200).json({ run: runSummaryJson(run), created, message });
    }),
  );

  router.get(
    '/runs',
    handle(async (req, res) => {
      const query = Object.fromEntries(Object.entries(req.query).map(([key, value]) => [key, singleQueryValue(value, key)]));
      const filters = parseRunFilters(query);
      const [runs, total] = await Promise.all([listRuns(pool, filters), countRuns(pool, filters)]);
      const limit = filters.limit ?? 50;
      const last = runs.at(-1);
      const more = runs.length === limit && last !== undefined;
      const oldestFirst = filters.order === 'oldest';
      res.json({
        runs: runs.map(runSummaryJson),
        total,
        nextBeforeId: more && !oldestFirst ? last.id : null,
        nextAfterId: more && oldestFirst ? last.id : null,
      });
    }),
  );

  router.get(
    '/runs/:id',
    handle(async (req, res) => {
      const detail = await getRunDetail(pool, idParam(req.params.id, 'run id'));
      if (!detail) throw new NotFoundError('No such run.');
      res.json({ run: runDetailJson(detail) });
    }),
  );

  router.post(
    '/runs/:id/cancel',
    handle(async (req, res) => {
      const operator = operatorOf(req);
      const run = await runbooks.cancelRun(idParam(req.params.id, 'run id'), initiatorOf(operator), requestContext(req));
      res.json({ run: runSummaryJson(run) });
    }),
  );

  router.get(
    '/notifications',
    handle(async (req, res) => {
      const operator = operatorOf(req);
      const unreadParam = singleQueryValue(req.query.unread, 'unread');
      if (unreadParam !== undefined && unreadParam !== 'true' && unreadParam !== 'false') throw new ValidationError('unread must be true or false.', 'unread');
      const unreadOnly = unreadParam === 'true';
      const { items, unread } = await listNotifications(pool, operator.id, { unreadOnly, limit: 50 });
      res.json({
        unread,
        notifications: items.map((item) => ({
          id: item.id,
          type: item.type,
          runId: item.runId,
          data: item.data,
          read: item.readAt !== null,
          createdAt: item.createdAt.toISOString(),
          url: item.runId === null ? null : `${RUN_PAGE_PATH}/${item.runId}`,
        })),
      });
    }),
  );

  router.post(
    '/notifications/:id/read',
    handle(async (req, res) => {
      const operator = operatorOf(req);
      const marked = await markNotificationRead(pool, operator.id, idParam(req.params.id, 'notification id'));
      if (!marked) throw new NotFoundError('No such notification.');
      res.json({ id: marked.id, read: true });
    }),
  );

  router.use((req: Request, res: Response) => sendError(req, res, new NotFoundError('No such API endpoint.')));
  // Malformed or oversized JSON bodies arrive here from the body parser.
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    sendError(req, res, error);
  });
  return router;
}
