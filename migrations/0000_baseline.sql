-- Baseline: helpers that later tables attach as triggers.

-- Keeps an `updated_at` column truthful without trusting every writer to set it.
CREATE OR REPLACE FUNCTION finedge_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;
--> statement-breakpoint

-- Append-only tables (audit trail, ledger postings) refuse UPDATE and DELETE at the database itself,
-- so no application bug or stray query can rewrite history.
CREATE OR REPLACE FUNCTION finedge_refuse_mutation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
