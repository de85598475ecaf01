// Run and item statuses, their named subsets, and the allowed transitions as data.

export const runStatuses = ['queued', 'running', 'completed'] as const;
export type RunStatus = (typeof runStatuses)[number];
export const activeRunStatuses: readonly RunStatus[] = ['queued', 'running'];

export const runOutcomes = ['pending', 'succeeded', 'partially_succeeded', 'failed', 'cancelled'] as const;
export type RunOutcome = (typeof runOutcomes)[number];
export const terminalOutcomes: readonly RunOutcome[] = ['succeeded', 'partially_succeeded', 'failed', 'cancelled'];

export const runScopes = ['single_tenant', 'all_tenants'] as const;
export type RunScope = (typeof runScopes)[number];

export const runSources = ['system_ui', 'cli', 'deploy_hook', 'admin_legacy'] as const;
export type RunSource = (typeof runSources)[number];

/** A run's state is the pair (status, outcome); these are the only pairs the database allows. */
export type RunState =
  | { status: 'queued'; outcome: 'pending' }
  | { status: 'running'; outcome: 'pending' }
  | { status: 'completed'; outcome: Exclude<RunOutcome, 'pending'> };

export type RunStateName = 'queued' | 'running' | `completed/${Exclude<RunOutcome, 'pending'>}`;

export function stateName(status: RunStatus, outcome: RunOutcome): RunStateName {
  return status === 'completed' ? (`completed/${outcome}` as RunStateName) : status;
}

/** from → allowed next states. Anything not listed is refused. */
export const runTransitions: Record<RunStateName, readonly RunStateName[]> = {
  // The first tenant job (or the orchestrator) picks the run up; a queued run may also be cancelled
  // before any work starts, or fail if orchestration cannot even begin.
  queued: ['running', 'completed/cancelled', 'completed/failed'],
  // The job that finishes the last item decides the outcome from the items; a cancel ends as cancelled.
  running: ['completed/succeeded', 'completed/partially_succeeded', 'completed/failed', 'completed/cancelled'],
  // Terminal: a completed run never changes again.
  'completed/succeeded': [],
  'completed/partially_succeeded': [],
  'completed/failed': [],
  'completed/cancelled': [],
};

export function canTransition(from: RunStateName, to: RunStateName): boolean {
  return runTransitions[from].includes(to);
}

export const itemStatuses = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type ItemStatus = (typeof itemStatuses)[number];
export const openItemStatuses: readonly ItemStatus[] = ['pending', 'running'];

/** The outcome of a run whose items are all finished. */
export function outcomeFromItems(counts: { succeeded: number; failed: number; cancelled: number }, cancelRequested: boolean): Exclude<RunOutcome, 'pending'> {
  if (cancelRequested) return 'cancelled';
  const total = counts.succeeded + counts.failed + counts.cancelled;
  if (total === 0) return 'succeeded';
  if (counts.failed === 0 && counts.cancelled === 0) return 'succeeded';
  if (counts.succeeded === 0 && counts.cancelled === 0) return 'failed';
  return counts.succeeded > 0 ? 'partially_succeeded' : 'failed';
}
