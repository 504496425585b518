-- SLO lifecycle: the active SLO of each service and the append-only audit trail of every decision.
-- service_id / recommendation_id reference services(id) and slo_recommendations(id) from 0004.

create table active_slos (
  id uuid primary key default gen_random_uuid(),
  service_id text not null unique,
  availability_target double precision check (availability_target is null or (availability_target > 0 and availability_target < 100)),
  latency_p95_target_ms double precision check (latency_p95_target_ms is null or latency_p95_target_ms > 0),
  latency_p99_target_ms double precision check (latency_p99_target_ms is null or latency_p99_target_ms > 0),
  source text not null check (source in ('recommendation_accepted', 'recommendation_modified', 'manual')),
  recommendation_id uuid,
  selected_tier text check (selected_tier in ('conservative', 'balanced', 'aggressive')),
  activated_at timestamptz not null default now(),
  activated_by text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger active_slos_touch before update on active_slos
  for each row execute function bulwark_touch_updated_at();

create table slo_audit_log (
  id uuid primary key default gen_random_uuid(),
  -- Monotonic order for cursor pagination (timestamps can tie within a transaction).
  seq bigint generated always as identity unique,
  service_id text not null,
  action text not null check (action in ('accept', 'modify', 'reject', 'manual', 'auto_approve', 'expire', 'drift_triggered')),
  actor text not null,
  recommendation_id uuid,
  previous_slo jsonb,
  new_slo jsonb,
  selected_tier text,
  rationale text,
  modification_delta jsonb,
  "timestamp" timestamptz not null default now()
);
create index slo_audit_log_service_time on slo_audit_log (service_id, seq desc);
create index slo_audit_log_actor_time on slo_audit_log (actor, "timestamp");

-- History is immutable: the database itself refuses to rewrite it.
create trigger slo_audit_log_append_only before update or delete on slo_audit_log
  for each row execute function bulwark_reject_mutation();
create trigger slo_audit_log_no_truncate before truncate on slo_audit_log
  for each statement execute function bulwark_reject_mutation();
