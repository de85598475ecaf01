// Runbook "Rebuild Findings Lifecycle" (findings.lifecycle.backfill): rules R1–R9 of SPEC section 3.
import { capabilities } from '../../auth/capabilities.js';
import type { RunbookCounts, RunbookDefinition } from '../runbook.js';
import { applyBatchSql, applyDuplicatesSql, preflightDuplicatesSql, preflightRowRulesSql, RULE_KEYS } from './lifecycle.sql.js';

type CountRow = Record<string, number | null>;

function pickCounts(row: CountRow | undefined, keys: readonly string[]): RunbookCounts {
  const counts: RunbookCounts = {};
  for (const key of keys) counts[key] = Number(row?.[key] ?? 0);
  return counts;
}

const countKeys = ['findings_total', 'findings_changed', ...RULE_KEYS, 'duplicate_groups'] as const;
const batchKeys = ['findings_total', 'findings_changed', ...RULE_KEYS.filter((key) => key !== 'r9_duplicates')];
const tenantPassKeys = ['findings_changed', 'r9_duplicates', 'duplicate_groups'];

export const findingsLifecycleRunbook: RunbookDefinition = {
  key: 'findings.lifecycle.backfill',
  title: 'Rebuild Findings Lifecycle',
  description:
    'Backfills lifecycle fields on findings that predate the lifecycle model (status, first/last seen, times seen, ' +
    'recurrence key, SLA, due date, resolved/closed timestamps) and merges open duplicates. Idempotent: a second run changes nothing.',
  capability: capabilities.findingsLifecycleBackfill,
  confirmationPhrase: 'BACKFILL ALL TENANTS',
  rules: [
    { key: 'r1_status', label: 'R1 status', description: 'Legacy status open/acknowledged/fixed/ignored → new/triaged/resolved/risk_accepted.' },
    { key: 'r2_first_seen', label: 'R2 first seen', description: 'Missing first seen → created at.' },
    { key: 'r3_last_seen', label: 'R3 last seen', description: 'Missing, or earlier than first seen → the later of first seen and updated at.' },
    { key: 'r4_times_seen', label: 'R4 times seen', description: 'Missing or below 1 → 1.' },
    { key: 'r5_recurrence', label: 'R5 recurrence key', description: 'Missing recurrence key → the fingerprint.' },
    { key: 'r6_sla', label: 'R6 SLA days', description: 'Missing SLA → by severity: critical 3, high 7, medium 14, low 30 days.' },
    { key: 'r7_due', label: 'R7 due date', description: 'Open finding without due date → first seen + SLA days.' },
    { key: 'r8_terminal', label: 'R8 terminal timestamps', description: 'Resolved without resolved at, closed without closed at → updated at.' },
    {
      key: 'r9_duplicates',
      label: 'R9 duplicates',
      description: 'Open findings of a tenant sharing a recurrence key: the earliest becomes canonical, the others are closed as duplicates.',
    },
  ],
  countKeys,

  async preflight(tx, tenantIds) {
    // Two passes in the caller's one snapshot: all rows through R1–R8, then only duplicate-group rows through R9.
    // Sequential: a transaction's client runs one query at a time.
    const rowRules = await tx.query<CountRow>(preflightRowRulesSql, [tenantIds]);
    const duplicates = await tx.query<CountRow>(preflightDuplicatesSql, [tenantIds]);
    const counts = pickCounts({ ...rowRules.rows[0], ...duplicates.rows[0] }, countKeys);
    counts.findings_changed = (counts.findings_changed ?? 0) + Number(duplicates.rows[0]?.also_changed ?? 0);
    return counts;
  },

  async applyBatch(tx, { tenantId, asOf, afterId, limit }) {
    const { rows } = await tx.query<CountRow & { last_id: number | null }>(applyBatchSql, [tenantId, afterId, limit, asOf]);
    return { lastId: rows[0]?.last_id ?? null, counts: pickCounts(rows[0], batchKeys) };
  },

  async applyTenantPass(tx, { tenantId, asOf }) {
    const { rows } = await tx.query<CountRow>(applyDuplicatesSql, [tenantId, asOf]);
    return pickCounts(rows[0], tenantPassKeys);
  },
};
