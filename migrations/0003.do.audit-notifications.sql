-- Audit trail and operator notifications.

CREATE TABLE audit_logs (
  id          bigserial PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  plane       text NOT NULL CHECK (plane IN ('system', 'admin', 'cli', 'deploy', 'worker')),
  actor_type  text NOT NULL CHECK (actor_type IN ('platform_user', 'user', 'cli', 'deploy', 'system', 'anonymous')),
  actor_id    bigint,
  actor_label text,
  action      text NOT NULL CHECK (action ~ '^[a-z0-9_.]+$'),
  target_type text,
  target_id   text,
  ip          text,
  user_agent  text,
  metadata    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_logs_target ON audit_logs (target_type, target_id, occurred_at DESC);
CREATE INDEX audit_logs_occurred ON audit_logs (occurred_at DESC, id DESC);
CREATE INDEX audit_logs_action ON audit_logs (action, occurred_at DESC);
CREATE INDEX audit_logs_actor ON audit_logs (actor_type, actor_id, occurred_at DESC);

CREATE TABLE notifications (
  id               bigserial PRIMARY KEY,
  platform_user_id bigint NOT NULL REFERENCES platform_users (id),
  type             text NOT NULL CHECK (type IN ('OperationRunCompleted')),
  run_id           bigint REFERENCES operation_runs (id),
  data             jsonb NOT NULL DEFAULT '{}',
  read_at          timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- One completion notice per run and user, whoever completes the run and however often.
  CONSTRAINT notifications_once_per_run UNIQUE (platform_user_id, type, run_id)
);
CREATE INDEX notifications_user ON notifications (platform_user_id, created_at DESC);
CREATE INDEX notifications_unread ON notifications (platform_user_id) WHERE read_at IS NULL;
