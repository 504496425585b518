-- Task execution: the tasks table is the queue (claimed with FOR UPDATE SKIP LOCKED), workers
-- hold leases renewed by heartbeats, results and logs are kept permanently.

create table workers (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  cluster_name text,
  backend_type text not null default 'process',
  version text,
  capacity integer not null default 1 check (capacity between 1 and 1000),
  kinds text[],
  status text not null default 'online' check (status in ('online', 'draining', 'offline')),
  metadata jsonb not null default '{}'::jsonb,
  registered_at timestamptz not null default now(),
  last_heartbeat timestamptz not null default now()
);

create table tasks (
  id uuid primary key default gen_random_uuid(),
  -- Creation order for cursor pagination (timestamps tie within a bulk insert).
  seq bigint generated always as identity unique,
  kind text not null,
  problem_id text,
  status text not null default 'pending'
    check (status in ('pending', 'running', 'completed', 'failed', 'timeout', 'cancelled')),
  priority integer not null default 5 check (priority between 0 and 10),
  parameters jsonb not null default '{}'::jsonb,
  agent_config jsonb,
  metadata jsonb not null default '{}'::jsonb,
  max_steps integer check (max_steps between 1 and 1000),
  timeout_minutes integer not null default 30 check (timeout_minutes between 1 and 180),
  run_at timestamptz not null default now(),
  attempts integer not null default 0,
  max_attempts integer not null default 3 check (max_attempts between 1 and 25),
  idempotency_key text unique,
  callback_url text,
  worker_id uuid references workers (id) on delete set null,
  lease_expires_at timestamptz,
  cancel_requested boolean not null default false,
  progress double precision,
  progress_note text,
  result jsonb,
  error_details jsonb,
  metrics jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  started_at timestamptz,
  completed_at timestamptz
);
-- The claim query's access path: pending tasks by priority, then age.
create index tasks_claimable on tasks (priority desc, run_at, created_at) where status = 'pending';
create index tasks_running_lease on tasks (lease_expires_at) where status = 'running';
create index tasks_status_kind on tasks (status, kind);
create trigger tasks_touch before update on tasks for each row execute function bulwark_touch_updated_at();

create table task_logs (
  id bigint generated always as identity primary key,
  task_id uuid not null references tasks (id) on delete cascade,
  attempt integer not null,
  level text not null check (level in ('debug', 'info', 'warn', 'error')),
  message text not null,
  fields jsonb,
  at timestamptz not null default now()
);
create index task_logs_task on task_logs (task_id, id);

create table task_checkpoints (
  task_id uuid not null references tasks (id) on delete cascade,
  generation integer not null,
  envelope text not null,
  saved_at timestamptz not null default now(),
  primary key (task_id, generation)
);

create table task_callbacks (
  id bigint generated always as identity primary key,
  task_id uuid not null references tasks (id) on delete cascade,
  attempt integer not null,
  status_code integer,
  error text,
  delivered boolean not null,
  at timestamptz not null default now()
);
create index task_callbacks_task on task_callbacks (task_id, id);
