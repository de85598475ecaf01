-- Open findings (after R1's mapping) by tenant and recurrence key: the duplicate groups of R9, for the preflight
-- (group counts straight from the index) and the per-tenant duplicate pass.
CREATE INDEX findings_open_recurrence ON findings (tenant_id, (coalesce(recurrence_key, fingerprint)))
  WHERE status IN ('new', 'triaged', 'in_progress', 'reopened', 'open', 'acknowledged');
