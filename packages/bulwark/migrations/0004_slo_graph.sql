-- SLO engine core: the service dependency graph and stored recommendations.

create table services (
  id text primary key,
  team text,
  criticality text check (criticality in ('low', 'medium', 'high', 'critical')),
  tier integer,
  namespace text,
  service_type text not null default 'internal' check (service_type in ('internal', 'external')),
  published_sla double precision check (published_sla is null or (published_sla > 0 and published_sla <= 1)),
  metadata jsonb not null default '{}'::jsonb,
  -- Created because an edge named it before any source described it.
  placeholder boolean not null default false,
  discovered_by text not null default 'manual',
  last_seen timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index services_team on services (team);
create trigger services_touch before update on services for each row execute function bulwark_touch_updated_at();

-- One row per (edge, discovery source); the effective edge is the highest-priority source's row.
create table service_dependencies (
  id uuid primary key default gen_random_uuid(),
  source_service_id text not null references services (id) on delete cascade,
  target_service_id text not null references services (id) on delete cascade,
  discovery_source text not null check (discovery_source in ('manual', 'service_mesh', 'otel_service_graph', 'kubernetes')),
  communication_mode text check (communication_mode in ('sync', 'async')),
  criticality text not null default 'hard' check (criticality in ('hard', 'soft', 'degraded')),
  protocol text,
  timeout_ms integer,
  retry_config jsonb,
  redundancy_group text,
  confidence double precision not null default 1,
  last_observed_at timestamptz not null default now(),
  unique (source_service_id, target_service_id, discovery_source)
);
create index service_dependencies_target on service_dependencies (target_service_id);

-- The effective edge of each (source, target): the highest-priority source's row, kept as a table
-- (maintained by ingestion) so traversals are index lookups instead of re-ranking every edge at
-- every recursion step (measured: 3-hop p95 on 5,000/50,000 went from ~220 ms with a view).
create table effective_dependencies (
  source_service_id text not null references services (id) on delete cascade,
  target_service_id text not null references services (id) on delete cascade,
  discovery_source text not null,
  communication_mode text,
  criticality text not null,
  protocol text,
  timeout_ms integer,
  retry_config jsonb,
  redundancy_group text,
  confidence double precision not null,
  last_observed_at timestamptz not null,
  primary key (source_service_id, target_service_id)
);
create index effective_dependencies_target on effective_dependencies (target_service_id);

create table circular_dependency_alerts (
  id uuid primary key default gen_random_uuid(),
  cycle_key text not null unique,
  members jsonb not null,
  status text not null default 'open' check (status in ('open', 'acknowledged', 'resolved')),
  first_detected_at timestamptz not null default now(),
  last_detected_at timestamptz not null default now()
);

create table slo_recommendations (
  id uuid primary key default gen_random_uuid(),
  service_id text not null references services (id) on delete cascade,
  sli_type text not null check (sli_type in ('availability', 'latency')),
  tiers jsonb not null,
  explanation jsonb not null default '{}'::jsonb,
  data_quality jsonb not null default '{}'::jsonb,
  lookback_window_start timestamptz,
  lookback_window_end timestamptz,
  dependency_graph_snapshot_id uuid,
  generated_at timestamptz not null default now(),
  expires_at timestamptz not null,
  status text not null default 'active' check (status in ('active', 'superseded', 'expired'))
);
create index slo_recommendations_service on slo_recommendations (service_id, sli_type, generated_at desc);

-- Bumped by every ingestion, so in-memory graph indexes (one per server) know when to reload.
create table graph_state (
  id integer primary key default 1 check (id = 1),
  version bigint not null default 0
);
insert into graph_state (id, version) values (1, 0);
