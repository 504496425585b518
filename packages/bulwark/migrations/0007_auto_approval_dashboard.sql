-- Auto-approval rules (FR-11) and what the SLO dashboard (FR-12) reads.

-- A rule accepts one tier of every active recommendation its condition matches. The condition is
-- validated on write (auto-approval/condition.ts); `parsed` is its syntax tree at that time.
create table auto_approval_rules (
  id uuid primary key default gen_random_uuid(),
  -- Part of the audit actor `system:auto-approval:<name>`, so kept to a safe alphabet.
  name text not null unique check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
  condition text not null check (length(condition) between 1 and 2000),
  parsed jsonb not null,
  tier text not null default 'balanced' check (tier in ('conservative', 'balanced', 'aggressive')),
  enabled boolean not null default true,
  created_by text not null,
  updated_by text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger auto_approval_rules_touch before update on auto_approval_rules
  for each row execute function bulwark_touch_updated_at();

-- Auto-approval skips recommendations a human already decided on; the dashboard groups decisions
-- by recommendation.
create index slo_audit_log_recommendation on slo_audit_log (recommendation_id, seq desc)
  where recommendation_id is not null;
