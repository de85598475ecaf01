// What a runbook is: its identity, the capability it needs, its rules, and how it previews and applies them per tenant.
import type { Capability } from '../auth/capabilities.js';
import type { ReadOnlyTx, Tx } from '../db/pool.js';

/** Named counters, e.g. findings_total, findings_changed, one per rule, duplicate_groups. Summed across tenants. */
export type RunbookCounts = Record<string, number>;

export interface RunbookRule {
  key: string;
  label: string;
  description: string;
}

export interface BatchResult {
  /** Highest id handled; null when the tenant had nothing left after the cursor. */
  lastId: number | null;
  counts: RunbookCounts;
}

export interface RunbookDefinition {
  key: string;
  title: string;
  description: string;
  /** The runbook's own capability, needed together with platform.runbooks.run to start it. */
  capability: Capability;
  /** The phrase an operator types to start it on all tenants. */
  confirmationPhrase: string;
  rules: readonly RunbookRule[];
  /** The counter keys every preflight and item report, in display order. */
  countKeys: readonly string[];
  /** What the run would change for these tenants, computed in one read-only snapshot. */
  preflight(tx: ReadOnlyTx, tenantIds: readonly number[]): Promise<RunbookCounts>;
  /** Applies the row-local rules to the next keyset batch of one tenant (ids > afterId). */
  applyBatch(tx: Tx, args: { tenantId: number; asOf: Date; afterId: number; limit: number }): Promise<BatchResult>;
  /** Applies the tenant-wide rules after all batches of that tenant are done. */
  applyTenantPass(tx: Tx, args: { tenantId: number; asOf: Date }): Promise<RunbookCounts>;
}

export function addCounts(into: RunbookCounts, add: RunbookCounts): RunbookCounts {
  for (const [key, value] of Object.entries(add)) into[key] = (into[key] ?? 0) + value;
  return into;
}
