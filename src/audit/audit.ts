// The audit writer. Fail-safe by design: a failed audit write is logged and never stops the caller.
import type { Queryable } from '../db/pool.js';
import { log } from '../log.js';

export type AuditPlane = 'system' | 'admin' | 'cli' | 'deploy' | 'worker';
export type AuditActorType = 'platform_user' | 'user' | 'cli' | 'deploy' | 'system' | 'anonymous';

export interface AuditActor {
  type: AuditActorType;
  id?: number | null;
  label?: string | null;
}

export interface AuditEvent {
  plane: AuditPlane;
  actor: AuditActor;
  action: string;
  target?: { type: string; id: string | number } | null;
  ip?: string | null;
  userAgent?: string | null;
  metadata?: Record<string, unknown>;
}

export const auditActions = {
  loginSucceeded: 'auth.login_succeeded',
  loginFailed: 'auth.login_failed',
  loginThrottled: 'auth.login_throttled',
  logout: 'auth.logout',
  accessDenied: 'auth.access_denied',
  preflight: 'runbook.preflight',
  runStarted: 'run.started',
  runCancelRequested: 'run.cancel_requested',
  runCompleted: 'run.completed',
  operatorCreated: 'operator.created',
  operatorUpdated: 'operator.updated',
  operatorActivated: 'operator.activated',
  operatorDeactivated: 'operator.deactivated',
} as const;

export const systemActor: AuditActor = { type: 'system', label: 'atlas-ops worker' };

const insertAuditSql = `
  INSERT INTO audit_logs (plane, actor_type, actor_id, actor_label, action, target_type, target_id, ip, user_agent, metadata)
  VALUES ($1::text, $2::text, $3::bigint, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, $10::jsonb)`;

function paramsOf(event: AuditEvent): unknown[] {
  return [
    event.plane,
    event.actor.type,
    event.actor.id ?? null,
    event.actor.label?.slice(0, 320) ?? null,
    event.action,
    event.target?.type ?? null,
    event.target ? String(event.target.id) : null,
    event.ip?.slice(0, 100) ?? null,
    event.userAgent?.slice(0, 500) ?? null,
    JSON.stringify(event.metadata ?? {}),
  ];
}

/**
 * Writes one audit row on its own (autocommit) query, so the caller's transaction never depends on it.
 * Never throws.
 */
export async function writeAudit(db: Queryable, event: AuditEvent): Promise<boolean> {
  try {
    await db.query(insertAuditSql, paramsOf(event));
    return true;
  } catch (error) {
    log.error('audit.write_failed', { action: event.action, target: event.target ?? null, error });
    return false;
  }
}
