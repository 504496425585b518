-- Chaos optimisation sessions: a session runs as one `chaos.session` task that repeatedly asks the
-- optimizer for a fault plan, has an executor apply it, scores the damage and records a trial.

create table chaos_sessions (
  id uuid primary key default gen_random_uuid(),
  -- Creation order for cursor pagination (timestamps tie within a transaction).
  seq bigint generated always as identity unique,
  name text not null check (length(name) between 1 and 200),
  status text not null default 'PENDING'
    check (status in ('PENDING', 'RUNNING', 'STOPPING', 'COMPLETED', 'FAILED')),
  space_text text not null,
  space_format text not null check (space_format in ('yaml', 'json')),
  executor_url text not null,
  -- { rps, path, method, duration_s, baseline_s, recovery_s }
  load jsonb not null,
  -- { max_trials, max_minutes }
  budget jsonb not null,
  -- { max_error_rate?, max_p99_ms?, steady_state_retries, require_recovery }
  guard jsonb not null,
  seed integer not null,
  task_id uuid references tasks (id) on delete set null,
  trials_done integer not null default 0,
  best_severity double precision,
  stop_requested boolean not null default false,
  -- { reason, best: [...], explanation }
  result jsonb,
  error text,
  created_by text not null,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  expires_at timestamptz not null default now() + interval '30 days'
);
create index chaos_sessions_status on chaos_sessions (status, seq desc);
create index chaos_sessions_expires on chaos_sessions (expires_at);

create table chaos_trials (
  session_id uuid not null references chaos_sessions (id) on delete cascade,
  index integer not null check (index >= 0),
  point jsonb not null,
  plans jsonb not null,
  severity double precision not null,
  components jsonb not null,
  evidence jsonb not null,
  -- Per phase: request count, status counts, p99 (never raw samples).
  observation_summary jsonb not null,
  steady_state_ok boolean not null,
  recovered boolean,
  created_at timestamptz not null default now(),
  primary key (session_id, index)
);
