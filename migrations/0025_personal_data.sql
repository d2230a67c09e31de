-- Personal data: erasure that keeps the audit chain verifiable, retention with a checkpoint the verifier starts
-- from, and per-tenant retention settings.
ALTER TABLE "tenants" ADD COLUMN "retention" jsonb DEFAULT '{}'::jsonb NOT NULL;
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "erased_at" timestamp with time zone;
--> statement-breakpoint
-- Events appended from here on are hashed over a digest of their content (summary and address) salted with a
-- random value kept beside it, instead of over the content itself. Erasure removes the content and the salt and
-- keeps the digest: the chain still verifies, and the digest can no longer be matched against a guessed value.
ALTER TABLE "audit_events" ADD COLUMN "content_salt" text;
--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "content_digest" text;
--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "erased_at" timestamp with time zone;
--> statement-breakpoint
CREATE INDEX "audit_events_tenant_actor_idx" ON "audit_events" USING btree ("tenant_id","actor_id");
--> statement-breakpoint
CREATE INDEX "audit_events_tenant_resource_idx" ON "audit_events" USING btree ("tenant_id","resource_id");
--> statement-breakpoint
CREATE INDEX "security_events_tenant_time_idx" ON "security_events" USING btree ("tenant_id","created_at");
--> statement-breakpoint
-- Where a tenant's trail starts once its oldest part was purged: the last purged event's position and hash.
CREATE TABLE "audit_checkpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"through_seq" bigint NOT NULL,
	"through_hash" text NOT NULL,
	"purged_before" timestamp with time zone NOT NULL,
	"events_purged" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_checkpoints" ADD CONSTRAINT "audit_checkpoints_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "audit_checkpoints_tenant_seq_key" ON "audit_checkpoints" USING btree ("tenant_id","through_seq");
--> statement-breakpoint
ALTER TABLE "audit_checkpoints" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "audit_checkpoints" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "audit_checkpoints" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
-- Only the purge function writes checkpoints.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "audit_checkpoints" FROM finedge_app;
--> statement-breakpoint
GRANT SELECT ON "audit_checkpoints" TO finedge_app;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION finedge_audit_content_digest(e audit_events) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws(chr(31), e.content_salt, e.summary::text, coalesce(host(e.ip), '')),
    'UTF8')), 'hex')
$$;
--> statement-breakpoint
-- v1 (rows without a content digest, appended before this migration): every column. v2: the content digest in
-- place of summary and address.
CREATE OR REPLACE FUNCTION finedge_audit_hash(e audit_events) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN e.content_digest IS NULL THEN
    encode(sha256(convert_to(concat_ws(chr(31),
      e.prev_hash, e.tenant_id::text, e.seq::text, e.actor_type, coalesce(e.actor_id::text, ''),
      e.action, e.resource_type, coalesce(e.resource_id, ''), e.summary::text,
      coalesce(e.request_id, ''), coalesce(host(e.ip), ''),
      to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')), 'UTF8')), 'hex')
  ELSE
    encode(sha256(convert_to(concat_ws(chr(31), 'v2',
      e.prev_hash, e.tenant_id::text, e.seq::text, e.actor_type, coalesce(e.actor_id::text, ''),
      e.action, e.resource_type, coalesce(e.resource_id, ''), coalesce(e.request_id, ''),
      to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.content_digest), 'UTF8')), 'hex')
  END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION finedge_audit_append() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  head audit_chain_heads;
BEGIN
  INSERT INTO audit_chain_heads (tenant_id, last_seq, last_hash)
    VALUES (NEW.tenant_id, 0, repeat('0', 64))
    ON CONFLICT (tenant_id) DO NOTHING;
  SELECT * INTO head FROM audit_chain_heads WHERE tenant_id = NEW.tenant_id FOR UPDATE;
  NEW.seq := head.last_seq + 1;
  NEW.prev_hash := head.last_hash;
  NEW.created_at := clock_timestamp();
  NEW.erased_at := NULL;
  NEW.content_salt := gen_random_uuid()::text;
  NEW.content_digest := finedge_audit_content_digest(NEW);
  NEW.hash := finedge_audit_hash(NEW);
  UPDATE audit_chain_heads SET last_seq = NEW.seq, last_hash = NEW.hash WHERE tenant_id = NEW.tenant_id;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
-- Whether an event's stored content is what its chain entry vouches for: the digest for a live v2 event; for an
-- erased one, the erased form only, named by an erasure event of the same trail (so erasure cannot be faked to
-- hide an edit: the content may go, never change). A v1 event carries no digest and is judged by its hash alone.
CREATE OR REPLACE FUNCTION finedge_audit_content_ok(e audit_events) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN e.erased_at IS NOT NULL THEN
      e.summary = '{"erased": true}'::jsonb AND e.ip IS NULL AND e.content_salt IS NULL
      AND EXISTS (SELECT 1 FROM audit_events x
                   WHERE x.tenant_id = e.tenant_id AND x.action = 'user.erased' AND x.seq > e.seq
                     AND x.summary->'after'->'redacted_seqs' @> to_jsonb(e.seq))
    WHEN e.content_digest IS NULL THEN true
    ELSE e.content_digest = finedge_audit_content_digest(e)
  END
$$;
--> statement-breakpoint
-- The history tables refuse UPDATE and DELETE, except from the sanctioned functions below: they run as their
-- owner (never the application role, which holds no UPDATE or DELETE on them) and say so for their transaction.
CREATE OR REPLACE FUNCTION finedge_refuse_unsanctioned_mutation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('finedge.sanctioned_rewrite', true) = 'on' AND current_user <> 'finedge_app' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
DROP TRIGGER audit_events_append_only ON "audit_events";
--> statement-breakpoint
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION finedge_refuse_unsanctioned_mutation();
--> statement-breakpoint
DROP TRIGGER security_events_append_only ON "security_events";
--> statement-breakpoint
CREATE TRIGGER security_events_append_only BEFORE UPDATE OR DELETE ON "security_events" FOR EACH ROW EXECUTE FUNCTION finedge_refuse_unsanctioned_mutation();
--> statement-breakpoint
-- Retention. `p`: tenant_id, audit_before, security_before, event (the purge's audit event). Deletes the tenant's
-- security events older than security_before and its audit events older than audit_before - a prefix of the chain,
-- ending with a checkpoint holding the last purged position and hash, from which the verifier starts - and appends
-- the purge's own event naming the checkpoint. Only in the tenant's own scope. Returns the counts.
CREATE OR REPLACE FUNCTION finedge_purge_history(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  tenant uuid := (p->>'tenant_id')::uuid;
  audit_before timestamptz := (p->>'audit_before')::timestamptz;
  security_before timestamptz := (p->>'security_before')::timestamptz;
  since bigint;
  through audit_events;
  audit_count bigint := 0;
  security_count bigint := 0;
BEGIN
  IF tenant IS DISTINCT FROM nullif(current_setting('finedge.tenant_id', true), '')::uuid THEN
    RAISE EXCEPTION 'finedge_purge_history: called outside the tenant''s scope' USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM set_config('finedge.sanctioned_rewrite', 'on', true);
  DELETE FROM security_events WHERE tenant_id = tenant AND created_at < security_before;
  GET DIAGNOSTICS security_count = ROW_COUNT;
  -- Appends wait on the head's lock while the prefix goes.
  PERFORM 1 FROM audit_chain_heads WHERE tenant_id = tenant FOR UPDATE;
  SELECT coalesce(max(through_seq), 0) INTO since FROM audit_checkpoints WHERE tenant_id = tenant;
  SELECT * INTO through FROM audit_events
   WHERE tenant_id = tenant AND created_at < audit_before AND seq > since
   ORDER BY seq DESC LIMIT 1;
  IF FOUND THEN
    DELETE FROM audit_events WHERE tenant_id = tenant AND seq <= through.seq;
    GET DIAGNOSTICS audit_count = ROW_COUNT;
    INSERT INTO audit_checkpoints (tenant_id, through_seq, through_hash, purged_before, events_purged)
      VALUES (tenant, through.seq, through.hash, audit_before, audit_count);
  END IF;
  PERFORM set_config('finedge.sanctioned_rewrite', 'off', true);
  IF audit_count > 0 OR security_count > 0 THEN
    PERFORM finedge_append_audit(tenant, jsonb_set(p->'event', '{summary,after}',
      coalesce(p->'event'->'summary'->'after', '{}'::jsonb) || jsonb_build_object(
        'audit_events_purged', audit_count, 'security_events_purged', security_count,
        'through_seq', through.seq, 'through_hash', through.hash)));
  END IF;
  RETURN jsonb_build_object('audit_events', audit_count, 'security_events', security_count,
                            'through_seq', through.seq);
END;
$$;
--> statement-breakpoint
-- Security events that belong to no tenant (sign-in attempts for addresses no account has): platform scope only.
CREATE OR REPLACE FUNCTION finedge_purge_unowned_security_events(before timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  purged bigint;
BEGIN
  IF current_setting('finedge.scope', true) IS DISTINCT FROM 'platform' THEN
    RAISE EXCEPTION 'finedge_purge_unowned_security_events: platform scope only' USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM set_config('finedge.sanctioned_rewrite', 'on', true);
  DELETE FROM security_events WHERE tenant_id IS NULL AND created_at < before;
  GET DIAGNOSTICS purged = ROW_COUNT;
  PERFORM set_config('finedge.sanctioned_rewrite', 'off', true);
  RETURN purged;
END;
$$;
--> statement-breakpoint
-- Erasure of a user's personal data. `p`: tenant_id, user_id, now, event (the erasure's audit event). Under the
-- user's row lock: refuses (returns the outcome) a user already erased or gone, or under a legal hold (an open
-- compliance case assigned to them); else removes the content of every audit event the user acted in, is the
-- subject of, or whose summary names their address (the digest stays: the chain verifies), deletes their
-- security events, devices, codes, links, memberships and e-mail, strips their sessions of address and device
-- (ending them), pseudonymises invitations to them, revokes the keys they created, and turns the account into a
-- tombstone; the erasure's event names every event whose content went. Only in the tenant's own scope.
CREATE OR REPLACE FUNCTION finedge_erase_user(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  tenant uuid := (p->>'tenant_id')::uuid;
  target uuid := (p->>'user_id')::uuid;
  at timestamptz := (p->>'now')::timestamptz;
  account users;
  holds bigint;
  redacted jsonb;
  ended jsonb;
  security_count bigint;
BEGIN
  IF tenant IS DISTINCT FROM nullif(current_setting('finedge.tenant_id', true), '')::uuid THEN
    RAISE EXCEPTION 'finedge_erase_user: called outside the tenant''s scope' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO account FROM users WHERE id = target AND tenant_id = tenant FOR UPDATE;
  IF NOT FOUND THEN RETURN jsonb_build_object('outcome', 'not_found'); END IF;
  IF account.status = 'erased' THEN RETURN jsonb_build_object('outcome', 'erased'); END IF;
  SELECT count(*) INTO holds FROM compliance_cases
   WHERE tenant_id = tenant AND assignee_id = target AND closed_at IS NULL;
  IF holds > 0 THEN RETURN jsonb_build_object('outcome', 'legal_hold', 'cases', holds); END IF;

  PERFORM set_config('finedge.sanctioned_rewrite', 'on', true);
  WITH gone AS (
    UPDATE audit_events e SET summary = '{"erased": true}'::jsonb, ip = NULL, content_salt = NULL, erased_at = at
     WHERE e.tenant_id = tenant AND e.erased_at IS NULL
       AND (e.actor_id = target OR e.resource_id = target::text OR strpos(e.summary::text, to_jsonb(account.email)::text) > 0)
    RETURNING e.seq)
  SELECT coalesce(jsonb_agg(seq ORDER BY seq), '[]'::jsonb) INTO redacted FROM gone;
  DELETE FROM security_events WHERE user_id = target;
  GET DIAGNOSTICS security_count = ROW_COUNT;
  PERFORM set_config('finedge.sanctioned_rewrite', 'off', true);

  WITH ended_rows AS (
    UPDATE sessions SET revoked_at = coalesce(revoked_at, at), revoked_reason = coalesce(revoked_reason, 'erased'),
           user_agent = NULL, ip = NULL, country = NULL, city = NULL, asn = NULL, device_fingerprint = 'erased'
     WHERE user_id = target
    RETURNING id, absolute_expires_at)
  SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'absolute_expires_at', absolute_expires_at)), '[]'::jsonb)
    INTO ended FROM ended_rows;
  DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE user_id = target);
  DELETE FROM known_devices WHERE user_id = target;
  DELETE FROM backup_codes WHERE user_id = target;
  DELETE FROM one_time_tokens WHERE user_id = target;
  DELETE FROM email_outbox WHERE user_id = target OR to_address = account.email;
  DELETE FROM memberships WHERE user_id = target AND tenant_id = tenant;
  UPDATE invitations SET email = 'erased-' || target::text || '@erased.invalid',
         revoked_at = CASE WHEN accepted_at IS NULL THEN coalesce(revoked_at, at) ELSE revoked_at END
   WHERE tenant_id = tenant AND (email = account.email OR accepted_user_id = target);
  UPDATE api_keys SET revoked_at = at WHERE tenant_id = tenant AND created_by = target AND revoked_at IS NULL;
  UPDATE users SET email = 'erased-' || target::text || '@erased.invalid', email_verified_at = NULL,
         display_name = NULL, password_hash = NULL, password_changed_at = NULL, totp_secret = NULL,
         totp_enabled_at = NULL, totp_last_step = NULL, status = 'erased', erased_at = at
   WHERE id = target;

  PERFORM finedge_append_audit(tenant, jsonb_set(p->'event', '{summary,after}',
    coalesce(p->'event'->'summary'->'after', '{}'::jsonb) || jsonb_build_object(
      'redacted_seqs', redacted, 'security_events_deleted', security_count,
      'sessions_ended', jsonb_array_length(ended))));
  RETURN jsonb_build_object('outcome', 'done', 'redacted', jsonb_array_length(redacted),
                            'security_events', security_count, 'sessions', ended);
END;
$$;
