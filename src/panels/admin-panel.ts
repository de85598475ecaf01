// The /admin AdminJS instance (customer users): their own workspace's tenants and findings, read-only.
// Isolation is the resources' SQL scope (every list, show, search, filter, reference and bulk fetch), not the UI.
// No maintenance trigger exists unless ADMIN_MAINTENANCE_ACTIONS is on; then one legacy tenant action calls the
// runbook service with source admin_legacy.
import AdminJS, { type ActionContext, type ActionRequest, type ResourceWithOptions } from 'adminjs';
import { findCustomerIdentity, type CustomerIdentity } from '../auth/identities.repository.js';
import { authenticateCustomerUser } from '../auth/login.js';
import type { Pool } from '../db/pool.js';
import { ValidationError } from '../errors.js';
import type { RunbookService } from '../runbooks/runbook-service.js';
import { PLATFORM_TENANT_EXTERNAL_ID } from '../tenants/tenants.repository.js';
import { componentLoader, Components, loginLocale } from './component-loader.js';
import type { PlaneAuth } from './plane-router.js';
import { isPlaneUserOf, type PlaneUser } from './plane-user.js';
import { readOnlyActions, type PlanePolicy } from './route-access.js';
import { ScopedSqlResource, type TableDef } from './sql-resource.js';

export const ADMIN_ROOT = '/admin';
export const LEGACY_BACKFILL_ACTION = 'rebuildFindingsLifecycle';
export const LIFECYCLE_RUNBOOK_KEY = 'findings.lifecycle.backfill';

function toPlaneUser(identity: CustomerIdentity): PlaneUser {
  return { plane: 'admin', id: identity.id, email: identity.email, title: identity.name, capabilities: [], workspaceId: identity.workspaceId };
}

export function adminAuth(pool: Pool): PlaneAuth {
  return {
    async authenticate(email, password) {
      const identity = await authenticateCustomerUser(pool, email, password);
      return identity ? toPlaneUser(identity) : null;
    },
    async load(id) {
      const identity = await findCustomerIdentity(pool, id);
      return identity?.isActive ? toPlaneUser(identity) : null;
    },
  };
}

/** The user's workspace's tenants, never the platform tenant. */
function ownTenants(user: PlaneUser, bind: (value: unknown) => string): string | null {
  if (user.plane !== 'admin' || user.workspaceId === null) return null;
  return `SELECT t.id FROM tenants t WHERE t.workspace_id = ${bind(user.workspaceId)}::bigint AND t.external_id <> ${bind(PLATFORM_TENANT_EXTERNAL_ID)}::text`;
}

const tenantsTable: TableDef = {
  table: 'tenants',
  defaultSort: { column: 'name', direction: 'asc' },
  scope: (user, bind) => {
    const tenants = ownTenants(user, bind);
    return tenants && `r.id IN (${tenants})`;
  },
  columns: [
    { name: 'id', type: 'number', nullable: false },
    { name: 'name', type: 'string', nullable: false },
    { name: 'external_id', type: 'string', nullable: false },
    { name: 'created_at', type: 'datetime', nullable: false },
  ],
};

const findingsTable: TableDef = {
  table: 'findings',
  defaultSort: { column: 'id', direction: 'desc' },
  scope: (user, bind) => {
    const tenants = ownTenants(user, bind);
    return tenants && `r.tenant_id IN (${tenants})`;
  },
  columns: [
    { name: 'id', type: 'number', nullable: false },
    { name: 'tenant_id', type: 'reference', reference: 'tenants', nullable: false },
    { name: 'finding_type', type: 'string', nullable: false },
    { name: 'severity', type: 'string', values: ['low', 'medium', 'high', 'critical'], nullable: false },
    {
      name: 'status',
      type: 'string',
      values: ['new', 'triaged', 'in_progress', 'reopened', 'resolved', 'closed', 'risk_accepted', 'open', 'acknowledged', 'fixed', 'ignored'],
      nullable: false,
    },
    { name: 'subject_type', type: 'string' },
    { name: 'subject_external_id', type: 'string' },
    { name: 'fingerprint', type: 'string', nullable: false },
    { name: 'recurrence_key', type: 'string' },
    { name: 'evidence', type: 'key-value', nullable: false },
    { name: 'first_seen_at', type: 'datetime' },
    { name: 'last_seen_at', type: 'datetime' },
    { name: 'times_seen', type: 'number' },
    { name: 'sla_days', type: 'number' },
    { name: 'due_at', type: 'datetime' },
    { name: 'resolved_at', type: 'datetime' },
    { name: 'closed_at', type: 'datetime' },
    { name: 'closed_reason', type: 'string', values: ['duplicate', 'resolved', 'false_positive', 'accepted', 'obsolete'] },
    { name: 'duplicate_of_finding_id', type: 'reference', reference: 'findings' },
    { name: 'created_at', type: 'datetime', nullable: false },
    { name: 'updated_at', type: 'datetime', nullable: false },
  ],
};

/** Who may do what in /admin. A route missing here is a 404: with the flag off, the legacy action does not exist. */
export function adminPolicy(options: { maintenanceActions: boolean }): PlanePolicy {
  return {
    dashboard: null,
    pages: {},
    resources: {
      tenants: {
        capability: null,
        actions: options.maintenanceActions
          ? { ...readOnlyActions, [LEGACY_BACKFILL_ACTION]: { kind: 'record', capability: null, methods: ['GET', 'POST'] } }
          : readOnlyActions,
      },
      findings: { capability: null, actions: readOnlyActions },
    },
    custom: [],
  };
}

function userOf(context: { currentAdmin?: unknown }): PlaneUser | null {
  return isPlaneUserOf(context.currentAdmin, 'admin') ? context.currentAdmin : null;
}

const isCustomer = (context: { currentAdmin?: unknown }): boolean => userOf(context) !== null;

const readOnly = {
  new: { isAccessible: false },
  edit: { isAccessible: false },
  delete: { isAccessible: false },
  bulkDelete: { isAccessible: false },
  list: { isAccessible: isCustomer },
  search: { isAccessible: isCustomer },
  show: { isAccessible: isCustomer },
};

function reasonOf(payload: unknown): string {
  const reason = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>).reason : undefined;
  if (typeof reason !== 'string') throw new ValidationError('A reason is required.', 'reason');
  return reason;
}

function userAgentOf(request: ActionRequest): string | null {
  // AdminJS hands actions a copy of the express request, headers included.
  const headers = (request as { headers?: Record<string, unknown> }).headers;
  const value = headers?.['user-agent'];
  return typeof value === 'string' ? value : null;
}

function legacyBackfillAction(runbooks: RunbookService) {
  return {
    actionType: 'record' as const,
    icon: 'RefreshCw',
    component: Components.LegacyBackfillAction,
    isAccessible: isCustomer,
    // GET (opening the page) only shows the tenant; POST starts the run. The record was already fetched
    // through the scoped resource, so it is one of the user's own tenants.
    handler: async (request: ActionRequest, _response: unknown, context: ActionContext) => {
      const user = userOf(context);
      const record = context.record;
      if (!user || !record) throw new Error('record action without user or record');
      if (request.method !== 'post') return { record: record.toJSON(context.currentAdmin) };
      const { run, created } = await runbooks.startRun({
        runbookKey: LIFECYCLE_RUNBOOK_KEY,
        scope: { scope: 'single_tenant', tenantId: Number(record.id()) },
        initiator: { type: 'cli', label: `admin:${user.email}` },
        source: 'admin_legacy',
        reason: reasonOf(request.payload),
        request: { userAgent: userAgentOf(request) },
      });
      return {
        record: record.toJSON(context.currentAdmin),
        notice: { message: created ? `Run #${run.id} queued.` : `Run #${run.id} was already started.`, type: 'success' as const },
      };
    },
  };
}

export function createAdminAdmin(pool: Pool, options: { runbooks: RunbookService; maintenanceActions: boolean }): AdminJS {
  const tenants: ResourceWithOptions = {
    resource: new ScopedSqlResource(pool, tenantsTable),
    options: {
      id: 'tenants',
      navigation: { name: 'Workspace', icon: 'Home' },
      titleProperty: 'name',
      sort: { sortBy: 'name', direction: 'asc' },
      listProperties: ['id', 'name', 'external_id', 'created_at'],
      filterProperties: ['name', 'external_id', 'created_at'],
      actions: {
        ...readOnly,
        ...(options.maintenanceActions ? { [LEGACY_BACKFILL_ACTION]: legacyBackfillAction(options.runbooks) } : {}),
      },
    },
  };
  const findings: ResourceWithOptions = {
    resource: new ScopedSqlResource(pool, findingsTable),
    options: {
      id: 'findings',
      navigation: { name: 'Workspace', icon: 'Home' },
      titleProperty: 'finding_type',
      sort: { sortBy: 'id', direction: 'desc' },
      listProperties: ['id', 'tenant_id', 'finding_type', 'severity', 'status', 'subject_external_id', 'due_at', 'last_seen_at'],
      filterProperties: ['tenant_id', 'severity', 'status', 'finding_type', 'subject_external_id', 'due_at', 'first_seen_at', 'last_seen_at'],
      actions: readOnly,
    },
  };
  return new AdminJS({
    rootPath: ADMIN_ROOT,
    loginPath: `${ADMIN_ROOT}/login`,
    logoutPath: `${ADMIN_ROOT}/logout`,
    componentLoader,
    branding: { companyName: 'Atlas', withMadeWithLove: false, logo: false },
    locale: loginLocale('Atlas', 'Sign in to see the tenants and findings of your workspace.'),
    dashboard: { component: Components.AdminHome },
    settings: { defaultPerPage: 25 },
    resources: [tenants, findings],
  });
}
