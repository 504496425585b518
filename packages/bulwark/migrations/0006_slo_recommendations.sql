-- Recommendation engine: graph snapshots for provenance and cache invalidation, and what a stored
-- recommendation was computed from.

-- Every ingestion gets a new snapshot id; a cached recommendation is valid only for its snapshot.
alter table graph_state add column snapshot_id uuid not null default gen_random_uuid();

alter table slo_recommendations add column lookback_days integer not null default 30;
alter table slo_recommendations add column telemetry_source text not null default 'unknown';
alter table slo_recommendations add column confidence text not null default 'high'
  check (confidence in ('high', 'medium', 'low'));
alter table slo_recommendations add column cold_start boolean not null default false;
-- Set by drift detection and the aggregation job: served, but regenerated on the next request.
alter table slo_recommendations add column stale boolean not null default false;

create index slo_recommendations_active on slo_recommendations (service_id, sli_type) where status = 'active';
