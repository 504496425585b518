-- API keys: only a SHA-256 digest of each key is stored; `prefix` is the public lookup id.
create table api_keys (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  prefix text not null unique,
  digest text not null,
  role text not null check (role in ('sre_admin', 'service_owner', 'viewer')),
  team text,
  created_by text not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
