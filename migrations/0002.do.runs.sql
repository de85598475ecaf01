-- Operation runs of runbooks and their per-tenant items.

CREATE TABLE operation_runs (
  id                         bigserial PRIMARY KEY,
  type                       text NOT NULL CHECK (type ~ '^[a-z0-9_.]+$'),
  workspace_id               bigint NOT NULL REFERENCES workspaces (id),
  tenant_id                  bigint REFERENCES tenants (id),
  scope                      text NOT NULL CHECK (scope IN ('single_tenant', 'all_tenants')),
  status                     text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed')),
  outcome                    text NOT NULL DEFAULT 'pending'
                               CHECK (outcome IN ('pending', 'succeeded', 'partially_succeeded', 'failed', 'cancelled')),
  initiator_type             text NOT NULL CHECK (initiator_type IN ('platform_user', 'cli', 'deploy')),
  initiator_platform_user_id bigint REFERENCES platform_users (id),
  initiator_name             text NOT NULL,
  source                     text NOT NULL CHECK (source IN ('system_ui', 'cli', 'deploy_hook', 'admin_legacy')),
  reason                     text NOT NULL CHECK (length(reason) BETWEEN 5 AND 500),
  idempotency_key            text UNIQUE CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 200),
  context                    jsonb NOT NULL DEFAULT '{}',
  summary_counts             jsonb NOT NULL DEFAULT '{}',
  cancel_requested_at        timestamptz,
  cancelled_by               text,
  failure_message            text,
  started_at                 timestamptz,
  completed_at               timestamptz,
  created_at                 timestamptz NOT NULL DEFAULT now(),
  updated_at                 timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT operation_runs_scope_tenant CHECK ((scope = 'single_tenant') = (tenant_id IS NOT NULL)),
  CONSTRAINT operation_runs_terminal_outcome CHECK ((status = 'completed') = (outcome <> 'pending')),
  CONSTRAINT operation_runs_completed_at CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
  CONSTRAINT operation_runs_platform_initiator CHECK ((initiator_type = 'platform_user') = (initiator_platform_user_id IS NOT NULL))
);
-- The database's own guard against two active runs of one runbook on one scope (the service also
-- serializes starts per runbook with an advisory lock, which covers all-tenants vs single-tenant overlap).
CREATE UNIQUE INDEX operation_runs_one_active_per_scope
  ON operation_runs (type, coalesce(tenant_id, 0)) WHERE status IN ('queued', 'running');
CREATE INDEX operation_runs_created ON operation_runs (created_at DESC, id DESC);
CREATE INDEX operation_runs_status ON operation_runs (status, created_at DESC);
CREATE INDEX operation_runs_type ON operation_runs (type, created_at DESC);
CREATE INDEX operation_runs_outcome ON operation_runs (outcome, created_at DESC);
CREATE INDEX operation_runs_initiator ON operation_runs (initiator_platform_user_id, created_at DESC);
CREATE INDEX operation_runs_tenant ON operation_runs (tenant_id, created_at DESC) WHERE tenant_id IS NOT NULL;

CREATE TABLE operation_run_items (
  id            bigserial PRIMARY KEY,
  run_id        bigint NOT NULL REFERENCES operation_runs (id),
  tenant_id     bigint NOT NULL REFERENCES tenants (id),
  status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  -- Which part of the per-tenant work is next: row-local batches, then the tenant-wide pass.
  phase         text NOT NULL DEFAULT 'batches' CHECK (phase IN ('batches', 'tenant_pass', 'done')),
  cursor_id     bigint NOT NULL DEFAULT 0,
  attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  lease_token   uuid,
  lease_until   timestamptz,
  counts        jsonb NOT NULL DEFAULT '{}',
  batches_done  integer NOT NULL DEFAULT 0,
  error_message text,
  started_at    timestamptz,
  completed_at  timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT operation_run_items_one_per_tenant UNIQUE (run_id, tenant_id),
  CONSTRAINT operation_run_items_lease CHECK ((status = 'running') = (lease_token IS NOT NULL))
);
CREATE INDEX operation_run_items_run_status ON operation_run_items (run_id, status, id);
CREATE INDEX operation_run_items_expired_leases ON operation_run_items (lease_until) WHERE status = 'running';
CREATE INDEX operation_run_items_tenant ON operation_run_items (tenant_id);
