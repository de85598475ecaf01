-- The host platform's domain: workspaces, tenants, customer users, platform operators, findings.

CREATE TABLE workspaces (
  id          bigserial PRIMARY KEY,
  slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  is_platform boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now()
);
-- Exactly one workspace may own the platform tenant.
CREATE UNIQUE INDEX workspaces_one_platform ON workspaces (is_platform) WHERE is_platform;

CREATE TABLE tenants (
  id           bigserial PRIMARY KEY,
  workspace_id bigint NOT NULL REFERENCES workspaces (id),
  external_id  text NOT NULL UNIQUE CHECK (length(external_id) BETWEEN 1 AND 200),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenants_workspace ON tenants (workspace_id, id);
CREATE INDEX tenants_name ON tenants (lower(name), id);

CREATE TABLE users (
  id            bigserial PRIMARY KEY,
  workspace_id  bigint NOT NULL REFERENCES workspaces (id),
  email         text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
  name          text NOT NULL,
  password_hash text NOT NULL,
  is_active     boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_workspace ON users (workspace_id, id);

CREATE TABLE platform_users (
  id            bigserial PRIMARY KEY,
  email         text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
  name          text NOT NULL,
  password_hash text NOT NULL,
  capabilities  text[] NOT NULL DEFAULT '{}',
  is_active     boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX platform_users_email ON platform_users (email);

CREATE TABLE findings (
  id                      bigserial PRIMARY KEY,
  tenant_id               bigint NOT NULL REFERENCES tenants (id),
  finding_type            text NOT NULL,
  severity                text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  fingerprint             text NOT NULL,
  recurrence_key          text,
  -- Lifecycle statuses, plus the legacy values older rows may still hold (open, acknowledged, fixed, ignored).
  status                  text NOT NULL CHECK (status IN (
                            'new', 'triaged', 'in_progress', 'reopened', 'resolved', 'closed', 'risk_accepted',
                            'open', 'acknowledged', 'fixed', 'ignored')),
  subject_type            text,
  subject_external_id     text,
  evidence                jsonb NOT NULL DEFAULT '{}',
  first_seen_at           timestamptz,
  last_seen_at            timestamptz,
  times_seen              integer,
  sla_days                integer CHECK (sla_days IS NULL OR sla_days >= 0),
  due_at                  timestamptz,
  resolved_at             timestamptz,
  closed_at               timestamptz,
  closed_reason           text CHECK (closed_reason IS NULL OR closed_reason IN ('duplicate', 'resolved', 'false_positive', 'accepted', 'obsolete')),
  duplicate_of_finding_id bigint REFERENCES findings (id),
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now()
);
-- Keyset batches per tenant, and the customer list pages.
CREATE INDEX findings_tenant_id ON findings (tenant_id, id);
CREATE INDEX findings_tenant_status ON findings (tenant_id, status, id);
CREATE INDEX findings_tenant_severity ON findings (tenant_id, severity, id);
CREATE INDEX findings_tenant_due ON findings (tenant_id, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX findings_duplicate_of ON findings (duplicate_of_finding_id) WHERE duplicate_of_finding_id IS NOT NULL;
