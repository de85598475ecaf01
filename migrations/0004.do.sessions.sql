-- One connect-pg-simple session table per plane (its createTableIfMissing would collide on names),
-- and the login rate limiter's table (rate-limiter-flexible's Postgres store).

CREATE TABLE admin_sessions (
  sid    varchar NOT NULL PRIMARY KEY,
  sess   json NOT NULL,
  expire timestamp(6) NOT NULL
);
CREATE INDEX admin_sessions_expire ON admin_sessions (expire);

CREATE TABLE system_sessions (
  sid    varchar NOT NULL PRIMARY KEY,
  sess   json NOT NULL,
  expire timestamp(6) NOT NULL
);
CREATE INDEX system_sessions_expire ON system_sessions (expire);

CREATE TABLE login_rate_limits (
  key    varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
