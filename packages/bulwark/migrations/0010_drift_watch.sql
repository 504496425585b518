-- Drift watch: the detectors' state per service (resumed every run), and every drift found with
-- what was done about it (stale marks, re-evaluation task, webhook deliveries).
create table drift_state (
  service_id text not null references services (id) on delete cascade,
  sli text not null check (sli in ('latency_p99')),
  state jsonb not null,
  last_sample_at timestamptz not null,
  updated_at timestamptz not null default now(),
  primary key (service_id, sli)
);

create table drift_events (
  id uuid primary key default gen_random_uuid(),
  service_id text not null references services (id) on delete cascade,
  sli text not null,
  detected_at timestamptz not null,
  direction text not null,
  detectors jsonb not null,
  magnitude jsonb not null,
  stale_recommendations jsonb not null default '[]'::jsonb,
  reevaluation_task_id uuid,
  webhook_status text not null default 'none' check (webhook_status in ('none', 'delivered', 'failed')),
  webhook_attempts jsonb not null default '[]'::jsonb,
  created_at timestamptz not null default now()
);
create index drift_events_service on drift_events (service_id, detected_at desc);
