-- Hourly SLI aggregates per service and window (TRD FR-6). `granularity` says how long a row is
-- kept: '1h' rows 90 days, '1d' rows (written by the 00:00 UTC run) one year.
create table sli_aggregates (
  service_id text not null references services (id) on delete cascade,
  sli_type text not null check (sli_type in ('availability', 'error_rate', 'request_rate', 'latency_p50', 'latency_p95', 'latency_p99')),
  window_name text not null check (window_name in ('1h', '1d', '7d', '28d', '90d')),
  granularity text not null check (granularity in ('1h', '1d')),
  value double precision not null,
  sample_count bigint not null,
  computed_at timestamptz not null,
  primary key (service_id, sli_type, window_name, granularity, computed_at)
);
create index sli_aggregates_retention on sli_aggregates (granularity, computed_at);
