-- The edge keeps copies of what every request checks - a user's role, status and memberships in its
-- SessionAuthority, a tenant's status, quotas, model choice and live API keys in its TenantAuthority - so a
-- prediction is answered without waiting on the database. Every change to those facts must reach the copy.
-- The request that makes a change tells the objects before it answers; these triggers also record each change here, in the
-- changing transaction, so one the request could not deliver (an object unreachable, a change made outside
-- the API) is delivered by the cron. A delivered row is deleted.
CREATE TABLE "authority_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"target" uuid NOT NULL,
	"tenant_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "authority_outbox_kind" CHECK ("kind" in ('user', 'tenant'))
);
--> statement-breakpoint
CREATE INDEX "authority_outbox_target_idx" ON "authority_outbox" USING btree ("kind", "target");
--> statement-breakpoint
ALTER TABLE "authority_outbox" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "authority_outbox" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "authority_outbox" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON "authority_outbox" TO finedge_app;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE "authority_outbox_id_seq" TO finedge_app;
--> statement-breakpoint
-- Records a change for the object of its kind ('user' or 'tenant', the trigger's first argument) named by the
-- row's column given as the second: a user's role, status or memberships; a tenant's status, quotas, own
-- models and their activations.
CREATE OR REPLACE FUNCTION finedge_standing_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  row_ jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
BEGIN
  INSERT INTO authority_outbox (kind, target, tenant_id)
  VALUES (TG_ARGV[0], (row_ ->> TG_ARGV[1])::uuid, (row_ ->> TG_ARGV[2])::uuid);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER users_standing_changed AFTER UPDATE ON "users" FOR EACH ROW
  WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION finedge_standing_changed('user', 'id', 'tenant_id');
--> statement-breakpoint
CREATE TRIGGER users_standing_deleted AFTER DELETE ON "users" FOR EACH ROW
  EXECUTE FUNCTION finedge_standing_changed('user', 'id', 'tenant_id');
--> statement-breakpoint
CREATE TRIGGER memberships_standing_changed AFTER INSERT OR UPDATE OR DELETE ON "memberships" FOR EACH ROW
  EXECUTE FUNCTION finedge_standing_changed('user', 'user_id', 'tenant_id');
--> statement-breakpoint
CREATE TRIGGER tenants_standing_changed AFTER UPDATE ON "tenants" FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.quotas IS DISTINCT FROM NEW.quotas)
  EXECUTE FUNCTION finedge_standing_changed('tenant', 'id', 'id');
--> statement-breakpoint
CREATE TRIGGER model_versions_changed AFTER INSERT OR UPDATE OR DELETE ON "model_versions" FOR EACH ROW
  EXECUTE FUNCTION finedge_standing_changed('tenant', 'tenant_id', 'tenant_id');
--> statement-breakpoint
CREATE TRIGGER model_activations_changed AFTER INSERT OR UPDATE OR DELETE ON "model_activations" FOR EACH ROW
  EXECUTE FUNCTION finedge_standing_changed('tenant', 'tenant_id', 'tenant_id');
--> statement-breakpoint
-- A key's revocation or expiry (its tenant's authority keeps copies of live keys).
CREATE TRIGGER api_keys_changed AFTER UPDATE ON "api_keys" FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
        OR OLD.scopes IS DISTINCT FROM NEW.scopes OR OLD.organization_id IS DISTINCT FROM NEW.organization_id)
  EXECUTE FUNCTION finedge_standing_changed('tenant', 'tenant_id', 'tenant_id');
--> statement-breakpoint
CREATE TRIGGER api_keys_deleted AFTER DELETE ON "api_keys" FOR EACH ROW
  EXECUTE FUNCTION finedge_standing_changed('tenant', 'tenant_id', 'tenant_id');
