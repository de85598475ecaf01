// What every operator screen shares: the JSON API client (same origin, the session cookie), the API's shapes as the
// screens read them, status/outcome badges, number and time formatting, and the operator's capabilities.
// Bundled into the components bundle, which is served before login: nothing secret lives here.
import { Badge, Box, Text } from '@adminjs/design-system';
import { useCurrentAdmin } from 'adminjs';
import React from 'react';

export const SYSTEM_ROOT = '/system';
export const OPS_ROOT = `${SYSTEM_ROOT}/ops`;
const API_ROOT = `${OPS_ROOT}/api`;

export const capabilityNames = {
  opsView: 'platform.ops.view',
  runbooksView: 'platform.runbooks.view',
  runbooksRun: 'platform.runbooks.run',
} as const;

// ---------------------------------------------------------------- API shapes (see src/http/ops-api.ts)

export interface RunbookRuleInfo {
  key: string;
  label: string;
  description: string;
}

export interface RunbookInfo {
  key: string;
  title: string;
  description: string;
  capability: string;
  confirmationPhrase: string;
  rules: RunbookRuleInfo[];
  lastRun: { id: number; status: string; outcome: string; createdAt: string; completedAt: string | null } | null;
}

export interface TenantOption {
  id: number;
  externalId: string;
  name: string;
  workspace: string;
}

export interface Preflight {
  runbookKey: string;
  scope: 'single_tenant' | 'all_tenants';
  tenant: { id: number; externalId: string; name: string } | null;
  tenantsInScope: number;
  findingsTotal: number;
  findingsWouldChange: number;
  duplicateGroups: number;
  rules: Record<string, number>;
  counts: Record<string, number>;
  computedAt: string;
}

export interface RunSummary {
  id: number;
  runbook: string;
  scope: 'single_tenant' | 'all_tenants';
  tenantId: number | null;
  tenantName: string | null;
  tenantExternalId: string | null;
  status: string;
  outcome: string;
  cancelRequested: boolean;
  initiator: string;
  initiatorType: string;
  source: string;
  reason: string;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  durationSeconds: number | null;
  url: string;
}

export interface AuditTrailEntry {
  id: number;
  occurredAt: string;
  action: string;
  actorType: string;
  actorLabel: string | null;
  ip: string | null;
  metadata: Record<string, unknown>;
}

export interface RunDetail extends RunSummary {
  tenant: { id: number; externalId: string; name: string } | null;
  idempotencyKey: string | null;
  failureMessage: string | null;
  cancelledBy: string | null;
  counts: Record<string, number>;
  items: { total: number; queued?: number; running?: number; succeeded: number; failed: number; cancelled: number };
  progress: {
    tenantsDone: number;
    tenantsTotal: number;
    fraction: number;
    findingsProcessed: number;
    findingsExpected: number;
    findingsFraction: number;
    elapsedSeconds: number | null;
    etaSeconds: number | null;
  };
  failures: { itemId: number; tenantId: number; tenantExternalId: string; tenantName: string; message: string | null; attempts: number }[];
  context: Record<string, unknown>;
  auditTrail: AuditTrailEntry[];
}

export interface NotificationEntry {
  id: number;
  type: string;
  runId: number | null;
  data: Record<string, unknown>;
  read: boolean;
  createdAt: string;
  url: string | null;
}

/** An error answer of the API: {error: {status, code, message, field?, activeRunId?, activeRunUrl?}}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
    readonly activeRunId: number | null = null,
    readonly activeRunUrl: string | null = null,
  ) {
    super(message);
  }
}

function errorOf(status: number, payload: unknown): ApiError {
  const error = typeof payload === 'object' && payload !== null ? (payload as { error?: Record<string, unknown> }).error : undefined;
  const text = (key: string) => (typeof error?.[key] === 'string' ? (error[key] as string) : null);
  const message = text('message') ?? (status === 403 ? 'You do not have permission to do this.' : `The server answered ${status}.`);
  const activeRunId = typeof error?.activeRunId === 'number' ? error.activeRunId : null;
  return new ApiError(status, text('code') ?? 'error', message, text('field'), activeRunId, text('activeRunUrl'));
}

/** Calls the operator API; resolves with the JSON body of a 2xx answer, rejects with an ApiError otherwise. */
export async function callApi<T>(path: string, init: { method?: 'GET' | 'POST'; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${API_ROOT}${path}`, {
      method: init.method ?? 'GET',
      credentials: 'same-origin',
      headers: init.body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
  } catch (error) {
    if ((error as { name?: string }).name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
  }
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) throw errorOf(response.status, payload);
  return payload as T;
}

export function isAbort(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'AbortError';
}

export function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : 'Something went wrong. Try again.';
}

/** Tells the sidebar (and any other listener) that the unread count may have changed. */
export const NOTIFICATIONS_CHANGED = 'atlas:notifications-changed';
export function announceNotificationsChanged(): void {
  window.dispatchEvent(new Event(NOTIFICATIONS_CHANGED));
}

// ---------------------------------------------------------------- the operator

/** The signed-in operator's capabilities, from the session AdminJS embeds in the page. */
export function useCapabilities(): readonly string[] {
  const [currentAdmin] = useCurrentAdmin();
  const granted = (currentAdmin as { capabilities?: unknown } | null)?.capabilities;
  return Array.isArray(granted) ? granted.filter((value): value is string => typeof value === 'string') : [];
}

export function canRunRunbook(granted: readonly string[], runbook: Pick<RunbookInfo, 'capability'>): boolean {
  return granted.includes(capabilityNames.runbooksRun) && granted.includes(runbook.capability);
}

// ---------------------------------------------------------------- presentation

// Distinct colours per value: one glance tells queued from running and failed from partially succeeded.
const badgeColours: Record<string, { bg: string; fg: string }> = {
  queued: { bg: '#6B7280', fg: '#FFFFFF' },
  running: { bg: '#2563EB', fg: '#FFFFFF' },
  completed: { bg: '#1F2937', fg: '#FFFFFF' },
  pending: { bg: '#E5E7EB', fg: '#1F2937' },
  succeeded: { bg: '#047857', fg: '#FFFFFF' },
  partially_succeeded: { bg: '#B45309', fg: '#FFFFFF' },
  failed: { bg: '#B91C1C', fg: '#FFFFFF' },
  cancelled: { bg: '#7C3AED', fg: '#FFFFFF' },
  skipped: { bg: '#E5E7EB', fg: '#1F2937' },
};

export const RunBadge: React.FC<{ value: string; kind: 'status' | 'outcome' }> = ({ value, kind }) => {
  const colours = badgeColours[value] ?? { bg: '#E5E7EB', fg: '#1F2937' };
  return (
    <Badge size="sm" mr="sm" style={{ background: colours.bg, color: colours.fg, borderColor: colours.bg }} data-testid={`run-${kind}`} data-value={value}>
      {value.replace(/_/g, ' ')}
    </Badge>
  );
};

export function formatNumber(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toLocaleString('en-US') : '—';
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

export function formatDuration(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} days ago`;
}

export function scopeLabel(run: Pick<RunSummary, 'scope' | 'tenantName' | 'tenantExternalId'>): string {
  if (run.scope === 'all_tenants') return 'All tenants';
  return run.tenantName ? `${run.tenantName} (${run.tenantExternalId ?? '?'})` : 'Single tenant';
}

export const sourceLabels: Record<string, string> = {
  system_ui: 'System panel',
  cli: 'CLI',
  deploy_hook: 'Deploy hook',
  admin_legacy: 'Admin (legacy)',
};

/** Makes a new idempotency key; getRandomValues works on plain http too (randomUUID needs a secure context). */
export function newIdempotencyKey(): string {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return `ui-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

export const ScreenTitle: React.FC<{ title: string; subtitle?: string; children?: React.ReactNode }> = ({ title, subtitle, children }) => (
  <Box flex flexDirection="row" justifyContent="space-between" alignItems="center" mb="xl">
    <Box>
      <Text as="h1" fontSize="h3" fontWeight="bold" data-testid="screen-title">
        {title}
      </Text>
      {subtitle && (
        <Text color="grey60" mt="sm">
          {subtitle}
        </Text>
      )}
    </Box>
    {children}
  </Box>
);

export const selectStyle: React.CSSProperties = {
  height: 38,
  padding: '0 8px',
  border: '1px solid #BBC3CB',
  borderRadius: 2,
  background: '#fff',
  fontSize: 14,
  minWidth: 140,
};
