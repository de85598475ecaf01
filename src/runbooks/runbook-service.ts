// The runbook service: the only way to preflight, start or cancel a run (UI, CLI, deploy hook and legacy flag all call it).
import { auditActions, writeAudit, type AuditActor, type AuditPlane } from '../audit/audit.js';
import { capabilities, hasAllCapabilities, type Capability } from '../auth/capabilities.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { withReadOnlyTransaction, withTransaction, type Pool, type Queryable } from '../db/pool.js';
import { ForbiddenError, LockConflictError, NotFoundError, ValidationError } from '../errors.js';
import { log } from '../log.js';
import type { Enqueuer } from '../queue/queue.js';
import { runSources, type RunScope, type RunSource } from '../runs/run-status.js';
import { cancelRun as cancelRunTransition } from '../runs/run-transitions.js';
import {
  findLatestRun,
  findOverlappingActiveRun,
  findRun,
  findRunByIdempotencyKey,
  insertRun,
  lockRunbookStarts,
  type OperationRun,
} from '../runs/runs.repository.js';
import {
  findAllowedTenantByExternalId,
  findAllowedTenantById,
  findPlatformWorkspaceId,
  listAllowedTenantIds,
  type Tenant,
} from '../tenants/tenants.repository.js';
import { findRunbook, getRunbook, runbookCatalog } from './catalog.js';
import type { RunbookCounts, RunbookDefinition } from './runbook.js';

/** Where a run should act, as callers say it. */
export type ScopeInput =
  | { scope: 'all_tenants' }
  | { scope: 'single_tenant'; tenantId?: number; tenantExternalId?: string };

/**
 * Who asks. Platform users (in the UI, or named with the CLI's --operator) are checked against their capabilities;
 * the CLI's OS user and the deploy hook are trusted local callers with database access anyway.
 */
export type Initiator =
  | { type: 'platform_user'; platformUserId: number; label: string; capabilities: readonly string[] }
  | { type: 'cli'; label: string }
  | { type: 'deploy'; label: string };

export interface RequestContext {
  ip?: string | null;
  userAgent?: string | null;
}

export interface RunbookSummary {
  key: string;
  title: string;
  description: string;
  capability: string;
  confirmationPhrase: string;
  rules: { key: string; label: string; description: string }[];
  lastRun: { id: number; status: string; outcome: string; createdAt: string; completedAt: string | null } | null;
}

export interface PreflightResult {
  runbookKey: string;
  scope: 'single_tenant' | 'all_tenants';
  tenant: { id: number; externalId: string; name: string } | null;
  tenantsInScope: number;
  findingsTotal: number;
  findingsWouldChange: number;
  duplicateGroups: number;
  /** Per rule key (r1_status … r9_duplicates) the number of rows the rule would change. */
  rules: Record<string, number>;
  counts: RunbookCounts;
  computedAt: string;
}

export interface StartRunInput {
  runbookKey: string;
  scope: ScopeInput;
  initiator: Initiator;
  source: RunSource;
  reason: string;
  /** Required, exactly the runbook's phrase, for all tenants. */
  confirmation?: string | null;
  idempotencyKey?: string | null;
  request?: RequestContext;
}

export interface StartRunResult {
  run: OperationRun;
  /** false when an earlier start with the same idempotency key is returned. */
  created: boolean;
}

export interface RunbookService {
  listRunbooks(): Promise<RunbookSummary[]>;
  preflight(runbookKey: string, scope: ScopeInput, initiator: Initiator, request?: RequestContext): Promise<PreflightResult>;
  /** Throws ValidationError (400), ForbiddenError (403), NotFoundError (404) or LockConflictError (409). */
  startRun(input: StartRunInput): Promise<StartRunResult>;
  cancelRun(runId: number, initiator: Initiator, request?: RequestContext): Promise<OperationRun>;
}

// ---------------------------------------------------------------- implementation

export interface RunbookServiceDeps {
  pool: Pool;
  enqueue: Pick<Enqueuer, 'orchestrate'>;
}

const REASON_MIN = 5;
const REASON_MAX = 500;
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

function auditActorOf(initiator: Initiator): AuditActor {
  if (initiator.type === 'platform_user') return { type: 'platform_user', id: initiator.platformUserId, label: initiator.label };
  return { type: initiator.type, label: initiator.label };
}

function planeOf(source: RunSource): AuditPlane {
  switch (source) {
    case 'system_ui':
      return 'system';
    case 'admin_legacy':
      return 'admin';
    case 'deploy_hook':
      return 'deploy';
    default:
      return 'cli';
  }
}

function requireCapabilities(initiator: Initiator, needed: readonly Capability[], what: string): void {
  if (initiator.type !== 'platform_user') return;
  if (!hasAllCapabilities(initiator.capabilities, needed)) {
    throw new ForbiddenError(`You need ${needed.join(' and ')} to ${what}.`);
  }
}

/**
 * Reason: 5–500 characters after trimming, counted as characters (not UTF-16 units); invisible ones (zero-width
 * spaces, lone combining marks, blank fillers) do not count towards the minimum; control characters other than line
 * breaks and tabs are refused.
 */
function validateReason(reason: unknown): string {
  if (typeof reason !== 'string' || reason.trim() === '') throw new ValidationError('A reason is required.', 'reason');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(reason)) throw new ValidationError('The reason contains control characters.', 'reason');
  const trimmed = reason.trim();
  // Invisible characters (format characters, lone combining marks, blank "fillers") do not make a reason.
  const visible = [...trimmed.replace(/[\p{Cf}\p{M}\u2800\u3164\u115f\u1160\uffa0]/gu, '').trim()].length;
  if (visible < REASON_MIN) throw new ValidationError(`The reason must be at least ${REASON_MIN} characters long.`, 'reason');
  if ([...trimmed].length > REASON_MAX) throw new ValidationError(`The reason must be at most ${REASON_MAX} characters long.`, 'reason');
  return trimmed;
}

function validateIdempotencyKey(key: unknown): string | null {
  if (key === undefined || key === null || key === '') return null;
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ValidationError('The idempotency key must be 1–200 printable characters without spaces.', 'idempotencyKey');
  }
  return key;
}

interface ResolvedScope {
  scope: RunScope;
  tenant: Tenant | null;
}

async function resolveScope(db: Queryable, input: ScopeInput): Promise<ResolvedScope> {
  if (input?.scope === 'all_tenants') return { scope: 'all_tenants', tenant: null };
  if (input?.scope !== 'single_tenant') throw new ValidationError('Scope must be all_tenants or single_tenant.', 'scope');
  let tenant: Tenant | null = null;
  if (input.tenantId !== undefined && input.tenantId !== null) {
    if (!Number.isSafeInteger(input.tenantId) || input.tenantId <= 0) throw new ValidationError('Tenant id must be a positive whole number.', 'tenant');
    tenant = await findAllowedTenantById(db, input.tenantId);
    // Both ways of naming the tenant given: they must name the same one, or we would silently act on one of them.
    const externalId = typeof input.tenantExternalId === 'string' ? input.tenantExternalId.trim() : '';
    if (tenant && externalId !== '' && externalId !== tenant.externalId) {
      throw new ValidationError('tenantId and tenantExternalId name different tenants: give one of them.', 'tenant');
    }
  } else if (typeof input.tenantExternalId === 'string' && input.tenantExternalId.trim() !== '') {
    // Text with a NUL cannot be a tenant (Postgres text cannot even hold it).
    tenant = input.tenantExternalId.includes('\u0000') ? null : await findAllowedTenantByExternalId(db, input.tenantExternalId.trim());
  } else {
    throw new ValidationError('Choose a tenant for a single-tenant run.', 'tenant');
  }
  // The platform tenant and unknown tenants get the same answer: neither is in the allowed universe.
  if (!tenant) throw new ValidationError('Unknown tenant: no customer tenant has that id or external id.', 'tenant');
  return { scope: 'single_tenant', tenant };
}

/** The same start again: same runbook, scope and initiator (a key is no way to reach someone else's run). */
function sameRequest(run: OperationRun, runbookKey: string, scope: ResolvedScope, initiator: Initiator): boolean {
  const sameInitiator =
    initiator.type === 'platform_user' ? run.initiatorPlatformUserId === initiator.platformUserId : run.initiatorType === initiator.type && run.initiatorName === initiator.label;
  return sameInitiator && run.type === runbookKey && run.scope === scope.scope && run.tenantId === (scope.tenant?.id ?? null);
}

function toPreflightResult(runbook: RunbookDefinition, scope: ResolvedScope, tenantsInScope: number, counts: RunbookCounts): PreflightResult {
  const rules: Record<string, number> = {};
  for (const rule of runbook.rules) rules[rule.key] = counts[rule.key] ?? 0;
  return {
    runbookKey: runbook.key,
    scope: scope.scope,
    tenant: scope.tenant ? { id: scope.tenant.id, externalId: scope.tenant.externalId, name: scope.tenant.name } : null,
    tenantsInScope,
    findingsTotal: counts.findings_total ?? 0,
    findingsWouldChange: counts.findings_changed ?? 0,
    duplicateGroups: counts.duplicate_groups ?? 0,
    rules,
    counts,
    computedAt: new Date().toISOString(),
  };
}

export function createRunbookService(deps: RunbookServiceDeps): RunbookService {
  const { pool, enqueue } = deps;

  async function computePreflight(runbook: RunbookDefinition, input: ScopeInput): Promise<PreflightResult> {
    return withReadOnlyTransaction(pool, async (tx) => {
      const scope = await resolveScope(tx, input);
      const tenantIds = scope.tenant ? [scope.tenant.id] : await listAllowedTenantIds(tx);
      const counts = await runbook.preflight(tx, tenantIds);
      return toPreflightResult(runbook, scope, tenantIds.length, counts);
    });
  }

  return {
    async listRunbooks() {
      return Promise.all(
        runbookCatalog.map(async (runbook) => {
          const last = await findLatestRun(pool, runbook.key);
          return {
            key: runbook.key,
            title: runbook.title,
            description: runbook.description,
            capability: runbook.capability,
            confirmationPhrase: runbook.confirmationPhrase,
            rules: runbook.rules.map((rule) => ({ ...rule })),
            lastRun: last
              ? {
                  id: last.id,
                  status: last.status,
                  outcome: last.outcome,
                  createdAt: last.createdAt.toISOString(),
                  completedAt: last.completedAt?.toISOString() ?? null,
                }
              : null,
          };
        }),
      );
    },

    async preflight(runbookKey, scopeInput, initiator, request) {
      const runbook = getRunbook(runbookKey);
      requireCapabilities(initiator, [capabilities.runbooksView], 'preview runbooks');
      const result = await computePreflight(runbook, scopeInput);
      await writeAudit(pool, {
        plane: initiator.type === 'platform_user' ? 'system' : initiator.type === 'deploy' ? 'deploy' : 'cli',
        actor: auditActorOf(initiator),
        action: auditActions.preflight,
        target: { type: 'runbook', id: runbook.key },
        ip: request?.ip,
        userAgent: request?.userAgent,
        metadata: { scope: result.scope, tenantId: result.tenant?.id ?? null, counts: result.counts },
      });
      return result;
    },

    async startRun(input) {
      const runbook = getRunbook(input.runbookKey);
      if (!runSources.includes(input.source)) throw new ValidationError('Unknown run source.', 'source');
      requireCapabilities(input.initiator, [capabilities.runbooksRun, runbook.capability], `run ${runbook.title}`);
      const reason = validateReason(input.reason);
      const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
      const scope = await resolveScope(pool, input.scope);
      if (scope.scope === 'all_tenants' && input.confirmation !== runbook.confirmationPhrase) {
        throw new ValidationError(`Type ${runbook.confirmationPhrase} exactly to run on all tenants.`, 'confirmation');
      }
      const workspaceId = scope.tenant ? scope.tenant.workspaceId : await findPlatformWorkspaceId(pool);
      if (workspaceId === null) throw new ValidationError('The platform workspace is missing: seed or migrate the database first.', 'scope');

      const earlier = idempotencyKey ? await findRunByIdempotencyKey(pool, idempotencyKey) : null;
      if (earlier) return answerRepeat(earlier, runbook.key, scope, input.initiator);

      const preflight = await computePreflight(runbook, input.scope);
      const initiator = input.initiator;
      const result = await withTransaction(pool, async (tx): Promise<StartRunResult> => {
        await lockRunbookStarts(tx, runbook.key);
        if (idempotencyKey) {
          const repeated = await findRunByIdempotencyKey(tx, idempotencyKey);
          if (repeated) return answerRepeat(repeated, runbook.key, scope, initiator);
        }
        const active = await findOverlappingActiveRun(tx, runbook.key, scope.tenant?.id ?? null);
        if (active) throw new LockConflictError(active.id);
        const run = await insertRun(tx, {
          type: runbook.key,
          workspaceId,
          tenantId: scope.tenant?.id ?? null,
          scope: scope.scope,
          initiatorType: initiator.type,
          initiatorPlatformUserId: initiator.type === 'platform_user' ? initiator.platformUserId : null,
          initiatorName: initiator.label,
          source: input.source,
          reason,
          idempotencyKey,
          context: {
            preflight,
            options: { runbook: runbook.key, scope: scope.scope, tenantExternalId: scope.tenant?.externalId ?? null },
            tenant: preflight.tenant,
          },
        });
        if (!run) {
          // The key was taken by a start of another runbook (this lock does not cover it).
          const repeated = idempotencyKey ? await findRunByIdempotencyKey(tx, idempotencyKey) : null;
          if (repeated) return answerRepeat(repeated, runbook.key, scope, initiator);
          throw new ValidationError('The idempotency key is already in use.', 'idempotencyKey');
        }
        await enqueue.orchestrate({ runId: run.id }, tx);
        return { run, created: true };
      }).catch(async (error: unknown) => {
        // The partial unique index is the last line of defence against overlapping active runs.
        if (isUniqueViolation(error, 'operation_runs_one_active_per_scope')) {
          const active = await findOverlappingActiveRun(pool, runbook.key, scope.tenant?.id ?? null);
          if (active) throw new LockConflictError(active.id);
        }
        throw error;
      });
      if (result.created) {
        await writeAudit(pool, {
          plane: planeOf(input.source),
          actor: auditActorOf(initiator),
          action: auditActions.runStarted,
          target: { type: 'operation_run', id: result.run.id },
          ip: input.request?.ip,
          userAgent: input.request?.userAgent,
          metadata: { runbook: runbook.key, scope: scope.scope, tenantId: scope.tenant?.id ?? null, reason, source: input.source },
        });
        log.info('run.started', { runId: result.run.id, runbook: runbook.key, scope: scope.scope, source: input.source });
      }
      return result;
    },

    async cancelRun(runId, initiator, request) {
      requireCapabilities(initiator, [capabilities.runbooksRun], 'cancel runs');
      if (!Number.isSafeInteger(runId) || runId <= 0) throw new ValidationError('Run id must be a positive whole number.', 'runId');
      const run = await findRun(pool, runId);
      if (!run) throw new NotFoundError(`Run #${runId} does not exist.`);
      // Cancelling a run is acting on its runbook: the runbook's own capability is needed too.
      const runbook = findRunbook(run.type);
      if (runbook) requireCapabilities(initiator, [capabilities.runbooksRun, runbook.capability], `cancel runs of ${runbook.title}`);
      return cancelRunTransition(pool, runId, {
        actor: auditActorOf(initiator),
        label: initiator.label,
        plane: initiator.type === 'platform_user' ? 'system' : initiator.type === 'deploy' ? 'deploy' : 'cli',
        ip: request?.ip,
        userAgent: request?.userAgent,
      });
    },
  };
}

function answerRepeat(run: OperationRun, runbookKey: string, scope: ResolvedScope, initiator: Initiator): StartRunResult {
  if (!sameRequest(run, runbookKey, scope, initiator)) {
    throw new ValidationError('This idempotency key was already used for a different run.', 'idempotencyKey', { runId: run.id });
  }
  return { run, created: false };
}
