-- Foundation: shared trigger functions used by later migrations.

-- Keeps updated_at current on every UPDATE of a table that opts in.
create or replace function bulwark_touch_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

-- Attached as BEFORE UPDATE OR DELETE to append-only tables (audit logs): the database itself
-- refuses to rewrite history, whatever the application code does.
create or replace function bulwark_reject_mutation() returns trigger
language plpgsql as $$
begin
  raise exception 'table % is append-only: % is not allowed', tg_table_name, tg_op
    using errcode = 'insufficient_privilege';
end;
$$;
