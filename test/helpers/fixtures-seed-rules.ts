// The conditions of lifecycle rules R1–R9 (SPEC section 3), as SQL over `findings f`: which rows each rule would change.
// Written straight from the spec table, independent of the runbook's own SQL, so seed tests can prove every rule fires.

/** Status after R1. */
const statusAfterR1 = `CASE f.status WHEN 'open' THEN 'new' WHEN 'acknowledged' THEN 'triaged' WHEN 'fixed' THEN 'resolved'
  WHEN 'ignored' THEN 'risk_accepted' ELSE f.status END`;
const openStatuses = `('new', 'triaged', 'in_progress', 'reopened')`;

export const ruleConditions: Record<string, string> = {
  R1: `f.status IN ('open', 'acknowledged', 'fixed', 'ignored')`,
  R2: `f.first_seen_at IS NULL`,
  R3: `f.last_seen_at IS NULL OR f.last_seen_at < coalesce(f.first_seen_at, f.created_at)`,
  R4: `f.times_seen IS NULL OR f.times_seen < 1`,
  R5: `f.recurrence_key IS NULL`,
  R6: `f.sla_days IS NULL`,
  R7: `${statusAfterR1} IN ${openStatuses} AND f.due_at IS NULL`,
  R8: `(${statusAfterR1} = 'resolved' AND f.resolved_at IS NULL) OR (f.status = 'closed' AND f.closed_at IS NULL)`,
};

/** Duplicate groups R9 would merge: open (after R1) findings of one tenant sharing the (R5) recurrence key. */
export const duplicateGroupsSql = (tenantFilter = 'true') => `
  SELECT f.tenant_id, coalesce(f.recurrence_key, f.fingerprint) AS key, count(*)::int AS size,
         count(DISTINCT coalesce(f.first_seen_at, f.created_at))::int AS distinct_first_seen
    FROM findings f JOIN tenants t ON t.id = f.tenant_id
   WHERE ${statusAfterR1} IN ${openStatuses} AND (${tenantFilter})
   GROUP BY f.tenant_id, coalesce(f.recurrence_key, f.fingerprint)
  HAVING count(*) > 1`;

/** Rows no rule R1–R8 would change and that are in no duplicate group. */
export const untouchedByRowRules = Object.values(ruleConditions)
  .map((condition) => `NOT coalesce((${condition}), false)`)
  .join(' AND ');
