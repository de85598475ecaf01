// The /system AdminJS instance (platform operators): runs, run items, audit log, own notifications — all read-only
// but for marking a notification read. Each resource's capability is declared once and used by both the guard
// (real 403) and AdminJS's synchronous isAccessible (hides what the guard would refuse).
import AdminJS, { type ActionContext, type ActionRequest, type ResourceWithOptions } from 'adminjs';
import express from 'express';
import { capabilities, hasCapability } from '../auth/capabilities.js';
import { findPlatformIdentity, type PlatformIdentity } from '../auth/identities.repository.js';
import { authenticatePlatformUser } from '../auth/login.js';
import type { Pool } from '../db/pool.js';
import { markNotificationRead } from '../notifications/notifications.repository.js';
import { itemStatuses, runOutcomes, runScopes, runSources, runStatuses } from '../runs/run-status.js';
import { componentLoader, Components, loginLocale } from './component-loader.js';
import type { PlaneAuth } from './plane-router.js';
import { isPlaneUserOf, type PlaneUser } from './plane-user.js';
import { readOnlyActions, type PlanePolicy, type ResourceRule } from './route-access.js';
import { ScopedSqlResource, type TableDef } from './sql-resource.js';

export const SYSTEM_ROOT = '/system';

function toPlaneUser(identity: PlatformIdentity): PlaneUser {
  return {
    plane: 'system',
    id: identity.id,
    email: identity.email,
    title: identity.name,
    capabilities: [...identity.capabilities].sort(),
    workspaceId: null,
  };
}

export function systemAuth(pool: Pool): PlaneAuth {
  return {
    async authenticate(email, password) {
      const identity = await authenticatePlatformUser(pool, email, password);
      return identity ? toPlaneUser(identity) : null;
    },
    async load(id) {
      const identity = await findPlatformIdentity(pool, id);
      return identity?.isActive ? toPlaneUser(identity) : null;
    },
  };
}

const everyRow = () => 'true';

const runsTable: TableDef = {
  table: 'operation_runs',
  defaultSort: { column: 'created_at', direction: 'desc' },
  scope: everyRow,
  columns: [
    { name: 'id', type: 'number', nullable: false },
    { name: 'type', type: 'string', nullable: false },
    { name: 'scope', type: 'string', values: runScopes, nullable: false },
    { name: 'workspace_id', type: 'number', nullable: false },
    { name: 'tenant_id', type: 'number' },
    { name: 'status', type: 'string', values: runStatuses, nullable: false },
    { name: 'outcome', type: 'string', values: runOutcomes, nullable: false },
    { name: 'source', type: 'string', values: runSources, nullable: false },
    { name: 'initiator_type', type: 'string', values: ['platform_user', 'cli', 'deploy'], nullable: false },
    { name: 'initiator_platform_user_id', type: 'number' },
    { name: 'initiator_name', type: 'string', nullable: false },
    { name: 'reason', type: 'string', nullable: false },
    { name: 'idempotency_key', type: 'string' },
    { name: 'summary_counts', type: 'key-value', nullable: false },
    { name: 'context', type: 'key-value', nullable: false },
    { name: 'failure_message', type: 'string' },
    { name: 'cancel_requested_at', type: 'datetime' },
    { name: 'cancelled_by', type: 'string' },
    { name: 'started_at', type: 'datetime' },
    { name: 'completed_at', type: 'datetime' },
    { name: 'created_at', type: 'datetime', nullable: false },
    { name: 'updated_at', type: 'datetime', nullable: false },
  ],
};

const runItemsTable: TableDef = {
  table: 'operation_run_items',
  defaultSort: { column: 'id', direction: 'asc' },
  scope: everyRow,
  columns: [
    { name: 'id', type: 'number', nullable: false },
    { name: 'run_id', type: 'reference', reference: 'operation_runs', nullable: false },
    { name: 'tenant_id', type: 'number', nullable: false },
    { name: 'status', type: 'string', values: itemStatuses, nullable: false },
    { name: 'phase', type: 'string', values: ['batches', 'tenant_pass', 'done'], nullable: false },
    { name: 'attempts', type: 'number', nullable: false },
    { name: 'batches_done', type: 'number', nullable: false },
    { name: 'cursor_id', type: 'number', nullable: false },
    { name: 'counts', type: 'key-value', nullable: false },
    { name: 'error_message', type: 'string' },
    { name: 'started_at', type: 'datetime' },
    { name: 'completed_at', type: 'datetime' },
    { name: 'updated_at', type: 'datetime', nullable: false },
  ],
};

const auditTable: TableDef = {
  table: 'audit_logs',
  defaultSort: { column: 'occurred_at', direction: 'desc' },
  scope: everyRow,
  columns: [
    { name: 'id', type: 'number', nullable: false },
    { name: 'occurred_at', type: 'datetime', nullable: false },
    { name: 'plane', type: 'string', values: ['system', 'admin', 'cli', 'deploy', 'worker'], nullable: false },
    { name: 'action', type: 'string', nullable: false },
    { name: 'actor_type', type: 'string', values: ['platform_user', 'user', 'cli', 'deploy', 'system', 'anonymous'], nullable: false },
    { name: 'actor_id', type: 'number' },
    { name: 'actor_label', type: 'string' },
    { name: 'target_type', type: 'string' },
    { name: 'target_id', type: 'string' },
    { name: 'ip', type: 'string' },
    { name: 'user_agent', type: 'string' },
    { name: 'metadata', type: 'key-value', nullable: false },
  ],
};

const notificationsTable: TableDef = {
  table: 'notifications',
  defaultSort: { column: 'created_at', direction: 'desc' },
  // An operator's own notifications, and no one else's.
  scope: (user, bind) => `r.platform_user_id = ${bind(user.id)}::bigint`,
  columns: [
    { name: 'id', type: 'number', nullable: false },
    { name: 'type', type: 'string', values: ['OperationRunCompleted'], nullable: false },
    { name: 'run_id', type: 'reference', reference: 'operation_runs' },
    { name: 'data', type: 'key-value', nullable: false },
    { name: 'read_at', type: 'datetime' },
    { name: 'created_at', type: 'datetime', nullable: false },
  ],
};

const MARK_READ = 'markRead';

/** Who may do what in /system. A route missing here is a 404. */
export const systemPolicy: PlanePolicy = {
  dashboard: null,
  // AdminJS's own page URLs (/system/pages/…) of the operator screens; the sidebar links their /system/ops/… URLs.
  pages: { runbooks: capabilities.runbooksView, runs: capabilities.opsView, notifications: null },
  resources: {
    operation_runs: { capability: capabilities.opsView, actions: readOnlyActions },
    operation_run_items: { capability: capabilities.opsView, actions: readOnlyActions },
    audit_logs: { capability: capabilities.opsView, actions: readOnlyActions },
    notifications: {
      capability: null,
      actions: { ...readOnlyActions, [MARK_READ]: { kind: 'record', capability: null, methods: ['GET', 'POST'] } },
    },
  },
  custom: [
    { method: 'GET', pattern: /^\/ops\/runbooks$/, capability: capabilities.runbooksView },
    { method: 'GET', pattern: /^\/ops\/runs$/, capability: capabilities.opsView },
    { method: 'GET', pattern: /^\/ops\/runs\/[1-9]\d{0,14}$/, capability: capabilities.opsView },
    { method: 'GET', pattern: /^\/ops\/notifications$/, capability: null },
  ],
};

function userOf(context: { currentAdmin?: unknown }): PlaneUser | null {
  return isPlaneUserOf(context.currentAdmin, 'system') ? context.currentAdmin : null;
}

/** AdminJS's own check, from the same rule as the guard: must stay synchronous (a Promise is truthy). */
function accessibleBy(rule: ResourceRule) {
  return (context: { currentAdmin?: unknown }): boolean => {
    const user = userOf(context);
    return user !== null && (rule.capability === null || hasCapability(user.capabilities, rule.capability));
  };
}

const disabledActions = {
  new: { isAccessible: false },
  edit: { isAccessible: false },
  delete: { isAccessible: false },
  bulkDelete: { isAccessible: false },
};

function readOnlyResource(pool: Pool, def: TableDef, rule: ResourceRule, options: Record<string, unknown>): ResourceWithOptions {
  const isAccessible = accessibleBy(rule);
  return {
    resource: new ScopedSqlResource(pool, def),
    options: {
      ...options,
      sort: { sortBy: def.defaultSort.column, direction: def.defaultSort.direction },
      actions: {
        ...disabledActions,
        list: { isAccessible },
        search: { isAccessible },
        show: { isAccessible },
        ...((options.actions as Record<string, unknown> | undefined) ?? {}),
      },
    },
  };
}

const badge = { components: { list: Components.RunStatusBadge, show: Components.RunStatusBadge } };
const opsNavigation = { name: 'Operations', icon: 'Activity' };

function resourceRule(id: string): ResourceRule {
  const rule = systemPolicy.resources[id];
  if (!rule) throw new Error(`no policy for resource ${id}`);
  return rule;
}

export function createSystemAdmin(pool: Pool): AdminJS {
  const notificationsRule = resourceRule('notifications');
  return new AdminJS({
    rootPath: SYSTEM_ROOT,
    loginPath: `${SYSTEM_ROOT}/login`,
    logoutPath: `${SYSTEM_ROOT}/logout`,
    componentLoader,
    branding: { companyName: 'Atlas Ops · System', withMadeWithLove: false, logo: false },
    locale: loginLocale('Atlas Ops · System', 'The operator control plane: preflight, run and watch data repairs across tenants. Sign in with your operator account.'),
    settings: { defaultPerPage: 25 },
    dashboard: { component: Components.SystemOpsShell },
    pages: {
      runbooks: { component: Components.SystemOpsShell, icon: 'PlayCircle' },
      runs: { component: Components.SystemOpsShell, icon: 'List' },
      notifications: { component: Components.SystemOpsShell, icon: 'Bell' },
    },
    resources: [
      readOnlyResource(pool, runsTable, resourceRule('operation_runs'), {
        id: 'operation_runs',
        navigation: opsNavigation,
        titleProperty: 'type',
        listProperties: ['id', 'type', 'scope', 'tenant_id', 'status', 'outcome', 'source', 'initiator_name', 'created_at', 'completed_at'],
        filterProperties: ['type', 'status', 'outcome', 'source', 'scope', 'initiator_name', 'initiator_platform_user_id', 'tenant_id', 'created_at', 'completed_at'],
        showProperties: runsTable.columns.map((column) => column.name),
        properties: { status: badge, outcome: badge, reason: { type: 'textarea' } },
      }),
      readOnlyResource(pool, runItemsTable, resourceRule('operation_run_items'), {
        id: 'operation_run_items',
        navigation: opsNavigation,
        listProperties: ['id', 'run_id', 'tenant_id', 'status', 'phase', 'attempts', 'batches_done', 'error_message', 'completed_at'],
        filterProperties: ['run_id', 'tenant_id', 'status', 'phase'],
        properties: { status: badge },
      }),
      readOnlyResource(pool, auditTable, resourceRule('audit_logs'), {
        id: 'audit_logs',
        navigation: opsNavigation,
        titleProperty: 'action',
        listProperties: ['id', 'occurred_at', 'plane', 'action', 'actor_type', 'actor_label', 'target_type', 'target_id', 'ip'],
        filterProperties: ['action', 'plane', 'actor_type', 'actor_id', 'actor_label', 'target_type', 'target_id', 'occurred_at'],
      }),
      readOnlyResource(pool, notificationsTable, notificationsRule, {
        id: 'notifications',
        navigation: { name: 'Me', icon: 'Bell' },
        titleProperty: 'type',
        listProperties: ['id', 'type', 'run_id', 'read_at', 'created_at'],
        filterProperties: ['type', 'run_id', 'created_at'],
        actions: {
          [MARK_READ]: {
            actionType: 'record',
            icon: 'Check',
            component: Components.MarkNotificationRead,
            isAccessible: accessibleBy(notificationsRule),
            // GET (opening the action page) only shows the record; POST marks it read.
            handler: async (request: ActionRequest, _response: unknown, context: ActionContext) => {
              const user = userOf(context);
              const record = context.record;
              if (!user || !record) throw new Error('record action without user or record');
              if (request.method === 'post') {
                await markNotificationRead(pool, user.id, Number(record.id()));
                const fresh = await context.resource.findOne(String(record.id()), context);
                return {
                  record: (fresh ?? record).toJSON(context.currentAdmin),
                  notice: { message: 'Marked as read.', type: 'success' },
                };
              }
              return { record: record.toJSON(context.currentAdmin) };
            },
          },
        },
      }),
    ],
  });
}

/** The operator screens' URLs: each serves the AdminJS page, whose dashboard component shows the screen. */
export const OPS_SCREEN_PATHS = [/^\/ops\/runbooks$/, /^\/ops\/runs$/, /^\/ops\/runs\/[1-9]\d{0,14}$/, /^\/ops\/notifications$/];

/**
 * /system/ops/runbooks, /system/ops/runs, /system/ops/runs/{id}, /system/ops/notifications. AdminJS's page HTML is
 * the same for every URL (the React app routes on the client), so the request goes on to AdminJS's dashboard
 * route; the guard has already checked this URL's own capability.
 */
export function systemRoutes(): express.Router {
  const router = express.Router();
  router.get(OPS_SCREEN_PATHS, (req, _res, next) => {
    req.url = '/';
    next();
  });
  return router;
}
