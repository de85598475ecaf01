// The rules R1–R9 of "Rebuild Findings Lifecycle" as SQL. One projection of R1–R8 serves the preview,
// the batched apply and the single-statement baseline, so all three agree by construction.

/** Statuses that count as open for R7 and R9. */
export const OPEN_STATUSES = ['new', 'triaged', 'in_progress', 'reopened'] as const;
const openList = OPEN_STATUSES.map((status) => `'${status}'`).join(', ');

/** Rule keys in order, as stored in counts. */
export const RULE_KEYS = [
  'r1_status',
  'r2_first_seen',
  'r3_last_seen',
  'r4_times_seen',
  'r5_recurrence',
  'r6_sla',
  'r7_due',
  'r8_terminal',
  'r9_duplicates',
] as const;

/**
 * R1–R8 over the rows of `source` (a relation with the findings columns): each row's new values (n_*)
 * and, per rule, whether it changes the row (c1…c8). Later rules see earlier results (R3 and R7 use n_first_seen).
 */
export function projectRowRules(source: string): string {
  return `
  p1 AS (
    SELECT s.id, s.tenant_id, s.status, s.severity, s.first_seen_at, s.last_seen_at, s.times_seen, s.recurrence_key,
           s.sla_days, s.due_at, s.resolved_at, s.closed_at, s.created_at, s.updated_at,
           CASE s.status WHEN 'open' THEN 'new' WHEN 'acknowledged' THEN 'triaged'
                         WHEN 'fixed' THEN 'resolved' WHEN 'ignored' THEN 'risk_accepted' ELSE s.status END AS n_status,
           coalesce(s.first_seen_at, s.created_at) AS n_first_seen,
           CASE WHEN s.times_seen IS NULL OR s.times_seen < 1 THEN 1 ELSE s.times_seen END AS n_times_seen,
           coalesce(s.recurrence_key, s.fingerprint) AS n_recurrence_key,
           coalesce(s.sla_days, CASE s.severity WHEN 'critical' THEN 3 WHEN 'high' THEN 7 WHEN 'medium' THEN 14 ELSE 30 END) AS n_sla_days
      FROM ${source} s
  ),
  proj AS (
    SELECT p1.*,
           CASE WHEN p1.last_seen_at IS NULL OR p1.last_seen_at < p1.n_first_seen
                THEN greatest(p1.n_first_seen, p1.updated_at) ELSE p1.last_seen_at END AS n_last_seen,
           CASE WHEN p1.n_status IN (${openList}) AND p1.due_at IS NULL
                THEN p1.n_first_seen + make_interval(days => p1.n_sla_days) ELSE p1.due_at END AS n_due_at,
           CASE WHEN p1.n_status = 'resolved' AND p1.resolved_at IS NULL THEN p1.updated_at ELSE p1.resolved_at END AS n_resolved_at,
           CASE WHEN p1.n_status = 'closed' AND p1.closed_at IS NULL THEN p1.updated_at ELSE p1.closed_at END AS n_closed_at
      FROM p1
  ),
  flagged AS (
    SELECT proj.*,
           proj.status IS DISTINCT FROM proj.n_status AS c1,
           proj.first_seen_at IS DISTINCT FROM proj.n_first_seen AS c2,
           proj.last_seen_at IS DISTINCT FROM proj.n_last_seen AS c3,
           proj.times_seen IS DISTINCT FROM proj.n_times_seen AS c4,
           proj.recurrence_key IS DISTINCT FROM proj.n_recurrence_key AS c5,
           proj.sla_days IS DISTINCT FROM proj.n_sla_days AS c6,
           proj.due_at IS DISTINCT FROM proj.n_due_at AS c7,
           (proj.resolved_at IS DISTINCT FROM proj.n_resolved_at OR proj.closed_at IS DISTINCT FROM proj.n_closed_at) AS c8
      FROM proj
  ),
  rows_r18 AS (
    SELECT flagged.*, (c1 OR c2 OR c3 OR c4 OR c5 OR c6 OR c7 OR c8) AS changed FROM flagged
  )`;
}

const rowRuleCounts = `
  count(*)::int AS findings_total,
  count(*) FILTER (WHERE c1)::int AS r1_status,
  count(*) FILTER (WHERE c2)::int AS r2_first_seen,
  count(*) FILTER (WHERE c3)::int AS r3_last_seen,
  count(*) FILTER (WHERE c4)::int AS r4_times_seen,
  count(*) FILTER (WHERE c5)::int AS r5_recurrence,
  count(*) FILTER (WHERE c6)::int AS r6_sla,
  count(*) FILTER (WHERE c7)::int AS r7_due,
  count(*) FILTER (WHERE c8)::int AS r8_terminal`;

/**
 * R9 over a relation `open_rows` (id, tenant_id, key, first_seen, last_seen, times_seen): groups of two or more
 * open findings of one tenant sharing a key; the canonical is the earliest first seen, lowest id on a tie.
 */
const duplicateGroups = `
  groups AS (
    SELECT tenant_id, key, min(first_seen) AS min_first_seen, max(last_seen) AS max_last_seen, sum(times_seen)::int AS sum_times_seen
      FROM open_rows GROUP BY tenant_id, key HAVING count(*) > 1
  ),
  ranked AS (
    SELECT o.*, g.min_first_seen, g.max_last_seen, g.sum_times_seen,
           row_number() OVER (PARTITION BY o.tenant_id, o.key ORDER BY o.first_seen, o.id) AS rank,
           first_value(o.id) OVER (PARTITION BY o.tenant_id, o.key ORDER BY o.first_seen, o.id) AS canonical_id
      FROM open_rows o JOIN groups g ON g.tenant_id = o.tenant_id AND g.key = o.key
  ),
  r9 AS (
    SELECT ranked.*,
           rank = 1 AND (first_seen IS DISTINCT FROM min_first_seen OR last_seen IS DISTINCT FROM max_last_seen
                         OR times_seen IS DISTINCT FROM sum_times_seen) AS canonical_changed
      FROM ranked
  )`;

/** Statuses that are open once R1 has mapped legacy values (open → new, acknowledged → triaged). */
const openAfterR1List = [...OPEN_STATUSES, 'open', 'acknowledged'].map((status) => `'${status}'`).join(', ');

/**
 * Preview, part 1: what R1–R8 would change over all findings of the given tenants ($1 bigint[]). One streaming
 * (parallel) pass; nothing is materialised.
 */
export const preflightRowRulesSql = `
  WITH ${projectRowRules('(SELECT * FROM findings WHERE tenant_id = ANY($1::bigint[]))')}
  SELECT ${rowRuleCounts},
         count(*) FILTER (WHERE changed)::int AS findings_changed
    FROM rows_r18`;

/**
 * Preview, part 2: R9 over the same tenants. Groups are counted from the index findings_open_recurrence (its
 * expression and predicate are repeated here exactly, so the planner can use it). Only findings in a duplicate group
 * (open after R1, sharing the R5 key with another) get the full R1–R8 projection; \`also_changed\` counts the group rows R1–R8 leave unchanged but R9
 * changes, so the two parts add up to the distinct rows changed. Run both in one snapshot.
 */
export const preflightDuplicatesSql = `
  WITH duplicate_keys AS (
    SELECT tenant_id, coalesce(recurrence_key, fingerprint) AS key
      FROM findings WHERE tenant_id = ANY($1::bigint[]) AND status IN (${openAfterR1List})
     GROUP BY tenant_id, coalesce(recurrence_key, fingerprint) HAVING count(*) > 1
  ),
  member_rows AS (
    SELECT f.* FROM findings f
      JOIN duplicate_keys d ON d.tenant_id = f.tenant_id AND d.key = coalesce(f.recurrence_key, f.fingerprint)
     WHERE f.tenant_id = ANY($1::bigint[]) AND f.status IN (${openAfterR1List})
  ),
  ${projectRowRules('member_rows')},
  open_rows AS (
    SELECT id, tenant_id, n_recurrence_key AS key, n_first_seen AS first_seen, n_last_seen AS last_seen,
           n_times_seen AS times_seen, changed
      FROM rows_r18
  ),
  ${duplicateGroups}
  SELECT (SELECT count(*) FROM r9 WHERE rank > 1)::int AS r9_duplicates,
         (SELECT count(*) FROM groups)::int AS duplicate_groups,
         (SELECT count(*) FROM r9 WHERE NOT changed AND (rank > 1 OR canonical_changed))::int AS also_changed`;

/**
 * One keyset batch of R1–R8 for one tenant: rows with id > $2 in id order, at most $3; changed rows get
 * updated_at = $4 (the run's as-of time). Returns the counts and the last id seen.
 */
export const applyBatchSql = `
  WITH batch AS (
    SELECT * FROM findings WHERE tenant_id = $1::bigint AND id > $2::bigint ORDER BY id LIMIT $3::int
  ),
  ${projectRowRules('batch')},
  updated AS (
    UPDATE findings f
       SET status = r.n_status, first_seen_at = r.n_first_seen, last_seen_at = r.n_last_seen,
           times_seen = r.n_times_seen, recurrence_key = r.n_recurrence_key, sla_days = r.n_sla_days,
           due_at = r.n_due_at, resolved_at = r.n_resolved_at, closed_at = r.n_closed_at, updated_at = $4::timestamptz
      FROM rows_r18 r
     WHERE f.id = r.id AND r.changed
    RETURNING f.id
  )
  SELECT ${rowRuleCounts},
         count(*) FILTER (WHERE changed)::int AS findings_changed,
         max(id) AS last_id
    FROM rows_r18`;

/**
 * R9 for one tenant ($1) after its batches: merges each duplicate group into its canonical finding and closes
 * the others at the as-of time ($2). `newly_changed` counts rows no batch of this run had changed already
 * (those carry updated_at = as-of).
 */
export const applyDuplicatesSql = `
  WITH open_rows AS (
    SELECT id, tenant_id, recurrence_key AS key, first_seen_at AS first_seen, last_seen_at AS last_seen,
           times_seen, updated_at
      FROM findings WHERE tenant_id = $1::bigint AND status IN (${openList}) AND recurrence_key IS NOT NULL
  ),
  ${duplicateGroups},
  merged AS (
    UPDATE findings f
       SET first_seen_at = r.min_first_seen, last_seen_at = r.max_last_seen, times_seen = r.sum_times_seen,
           updated_at = $2::timestamptz
      FROM r9 r
     WHERE f.id = r.id AND r.canonical_changed
    RETURNING f.id, r.updated_at IS DISTINCT FROM $2::timestamptz AS newly
  ),
  closed AS (
    UPDATE findings f
       SET status = 'closed', closed_reason = 'duplicate', closed_at = $2::timestamptz,
           duplicate_of_finding_id = r.canonical_id, updated_at = $2::timestamptz
      FROM r9 r
     WHERE f.id = r.id AND r.rank > 1
    RETURNING f.id, r.updated_at IS DISTINCT FROM $2::timestamptz AS newly
  )
  SELECT (SELECT count(*) FROM groups)::int AS duplicate_groups,
         (SELECT count(*) FROM closed)::int AS r9_duplicates,
         ((SELECT count(*) FROM merged WHERE newly) + (SELECT count(*) FROM closed WHERE newly))::int AS findings_changed`;

/**
 * The physical-limit baseline: R1–R9 for every finding of the given tenants ($1) in ONE statement, as-of $2.
 * Used by the benchmark (and tests) to check that the queued run ends in the identical state.
 */
export const applyAllInOneStatementSql = `
  WITH ${projectRowRules('(SELECT * FROM findings WHERE tenant_id = ANY($1::bigint[]))')},
  open_rows AS (
    SELECT id, tenant_id, n_recurrence_key AS key, n_first_seen AS first_seen, n_last_seen AS last_seen, n_times_seen AS times_seen
      FROM rows_r18 WHERE n_status IN (${openList})
  ),
  ${duplicateGroups},
  final AS (
    SELECT x.id,
           CASE WHEN r.rank > 1 THEN 'closed' ELSE x.n_status END AS status,
           CASE WHEN r.rank = 1 THEN r.min_first_seen ELSE x.n_first_seen END AS first_seen_at,
           CASE WHEN r.rank = 1 THEN r.max_last_seen ELSE x.n_last_seen END AS last_seen_at,
           CASE WHEN r.rank = 1 THEN r.sum_times_seen ELSE x.n_times_seen END AS times_seen,
           x.n_recurrence_key, x.n_sla_days, x.n_due_at, x.n_resolved_at,
           CASE WHEN r.rank > 1 THEN $2::timestamptz ELSE x.n_closed_at END AS closed_at,
           r.rank > 1 AS is_duplicate, r.canonical_id,
           x.changed OR coalesce(r.rank > 1 OR r.canonical_changed, false) AS changed
      FROM rows_r18 x LEFT JOIN r9 r ON r.id = x.id
  )
  UPDATE findings f
     SET status = final.status, first_seen_at = final.first_seen_at, last_seen_at = final.last_seen_at,
         times_seen = final.times_seen, recurrence_key = final.n_recurrence_key, sla_days = final.n_sla_days,
         due_at = final.n_due_at, resolved_at = final.n_resolved_at, closed_at = final.closed_at,
         closed_reason = CASE WHEN final.is_duplicate THEN 'duplicate' ELSE f.closed_reason END,
         duplicate_of_finding_id = CASE WHEN final.is_duplicate THEN final.canonical_id ELSE f.duplicate_of_finding_id END,
         updated_at = $2::timestamptz
    FROM final
   WHERE f.id = final.id AND final.changed`;
