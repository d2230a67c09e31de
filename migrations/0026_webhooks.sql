-- Webhooks: a tenant's endpoints (the URL, the events it takes, its signing secret sealed by the Worker), the
-- events that happened, one delivery per endpoint and event, and each attempt at it (the delivery log). Events are
-- emitted by triggers on the tables where they happen, inside the same transaction - a finished bulk job, a model
-- activated, a user disabled, a security alert, a compliance alert raised, a CTR created, an identity verification
-- decided - so none is lost or told of an action that rolled back; an event no enabled endpoint takes leaves
-- nothing. The Worker sends due deliveries through the queue and records each attempt.
CREATE TABLE "webhook_endpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"url" text NOT NULL,
	"description" text,
	"events" text[] NOT NULL,
	"secret_sealed" text NOT NULL,
	"status" text DEFAULT 'enabled' NOT NULL,
	"disabled_reason" text,
	"failing_since" timestamp with time zone,
	"created_by_type" text NOT NULL,
	"created_by" uuid,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_endpoints_status" CHECK ("webhook_endpoints"."status" IN ('enabled', 'disabled')),
	CONSTRAINT "webhook_endpoints_disabled" CHECK (("webhook_endpoints"."status" = 'disabled') = ("webhook_endpoints"."disabled_reason" IS NOT NULL)),
	CONSTRAINT "webhook_endpoints_events" CHECK (cardinality("webhook_endpoints"."events") >= 1),
	CONSTRAINT "webhook_endpoints_secret_sealed" CHECK ("webhook_endpoints"."secret_sealed" LIKE 'v1.%'),
	CONSTRAINT "webhook_endpoints_created_by_type" CHECK ("webhook_endpoints"."created_by_type" IN ('user', 'api_key'))
);
--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "webhook_endpoints_tenant_time_idx" ON "webhook_endpoints" USING btree ("tenant_id","created_at");
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"endpoint_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"claimed_until" timestamp with time zone,
	"last_status_code" integer,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_deliveries_status" CHECK ("webhook_deliveries"."status" IN ('pending', 'succeeded', 'failed')),
	CONSTRAINT "webhook_deliveries_due" CHECK (("webhook_deliveries"."status" = 'pending') = ("webhook_deliveries"."next_attempt_at" IS NOT NULL)),
	CONSTRAINT "webhook_deliveries_delivered" CHECK (("webhook_deliveries"."status" = 'succeeded') = ("webhook_deliveries"."delivered_at" IS NOT NULL))
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."webhook_events"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_endpoint_event_key" ON "webhook_deliveries" USING btree ("endpoint_id","event_id");
--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE "webhook_deliveries"."status" = 'pending';
--> statement-breakpoint
CREATE INDEX "webhook_deliveries_tenant_time_idx" ON "webhook_deliveries" USING btree ("tenant_id","created_at");
--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"delivery_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL,
	"status_code" integer,
	"error" text,
	"response_excerpt" text,
	CONSTRAINT "webhook_attempts_outcome" CHECK ("webhook_attempts"."status_code" IS NOT NULL OR "webhook_attempts"."error" IS NOT NULL)
);
--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."webhook_deliveries"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_attempts_delivery_attempt_key" ON "webhook_attempts" USING btree ("delivery_id","attempt");
--> statement-breakpoint
DO $$
DECLARE
  tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['webhook_endpoints', 'webhook_events', 'webhook_deliveries', 'webhook_attempts'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id))', tbl);
  END LOOP;
END $$;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "webhook_endpoints" TO finedge_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON "webhook_events" TO finedge_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "webhook_deliveries" TO finedge_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON "webhook_attempts" TO finedge_app;
--> statement-breakpoint
CREATE TRIGGER webhook_endpoints_touch_updated_at BEFORE UPDATE ON "webhook_endpoints" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
--> statement-breakpoint
CREATE TRIGGER webhook_deliveries_touch_updated_at BEFORE UPDATE ON "webhook_deliveries" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
--> statement-breakpoint
-- An event of the tenant's, and a delivery of it to each enabled endpoint that takes its type (none: nothing).
CREATE FUNCTION finedge_emit_webhook(p_tenant uuid, p_type text, p_data jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_event uuid;
BEGIN
  IF p_tenant IS NULL OR NOT EXISTS (
    SELECT 1 FROM webhook_endpoints WHERE tenant_id = p_tenant AND status = 'enabled' AND p_type = ANY (events)
  ) THEN
    RETURN;
  END IF;
  INSERT INTO webhook_events (tenant_id, type, data) VALUES (p_tenant, p_type, p_data) RETURNING id INTO v_event;
  INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, next_attempt_at)
  SELECT p_tenant, id, v_event, now()
    FROM webhook_endpoints
   WHERE tenant_id = p_tenant AND status = 'enabled' AND p_type = ANY (events);
END $$;
--> statement-breakpoint
CREATE FUNCTION finedge_webhook_on_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM finedge_emit_webhook(NEW.tenant_id, 'job.finished', jsonb_build_object(
    'job_id', NEW.id, 'status', NEW.status, 'model', jsonb_build_object('name', NEW.model_name, 'version', NEW.model_version),
    'rows_total', NEW.rows_total, 'rows_scored', NEW.rows_scored, 'rows_failed', NEW.rows_failed));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER scoring_jobs_webhook AFTER UPDATE OF status ON "scoring_jobs" FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('completed', 'failed', 'partially_failed', 'cancelled'))
  EXECUTE FUNCTION finedge_webhook_on_job();
--> statement-breakpoint
CREATE FUNCTION finedge_webhook_on_activation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM finedge_emit_webhook(NEW.tenant_id, 'model.activated', jsonb_build_object(
    'name', NEW.name, 'version', NEW.version, 'previous_version', NEW.previous_version, 'source', NEW.source));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER model_activations_webhook AFTER INSERT OR UPDATE ON "model_activations" FOR EACH ROW
  EXECUTE FUNCTION finedge_webhook_on_activation();
--> statement-breakpoint
CREATE FUNCTION finedge_webhook_on_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM finedge_emit_webhook(NEW.tenant_id, 'user.disabled', jsonb_build_object('user_id', NEW.id));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER users_webhook AFTER UPDATE OF status ON "users" FOR EACH ROW
  WHEN (NEW.status = 'disabled' AND OLD.status IS DISTINCT FROM 'disabled')
  EXECUTE FUNCTION finedge_webhook_on_user();
--> statement-breakpoint
CREATE FUNCTION finedge_webhook_on_security_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM finedge_emit_webhook(NEW.tenant_id, 'security.alert', jsonb_build_object(
    'user_id', NEW.user_id, 'type', NEW.type, 'at', NEW.created_at));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER security_events_webhook AFTER INSERT ON "security_events" FOR EACH ROW
  WHEN (NEW.tenant_id IS NOT NULL AND NEW.type IN ('account_locked', 'new_device', 'refresh_token_reuse', 'mfa_disabled',
        'mfa_reset', 'password_changed', 'password_reset', 'email_changed', 'identity_linked'))
  EXECUTE FUNCTION finedge_webhook_on_security_event();
--> statement-breakpoint
CREATE FUNCTION finedge_webhook_on_alert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM finedge_emit_webhook(NEW.tenant_id, 'compliance.alert_raised', jsonb_build_object(
    'alert_id', NEW.id, 'kind', NEW.kind, 'customer_id', NEW.customer_id));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER compliance_alerts_webhook AFTER INSERT ON "compliance_alerts" FOR EACH ROW
  EXECUTE FUNCTION finedge_webhook_on_alert();
--> statement-breakpoint
CREATE FUNCTION finedge_webhook_on_ctr() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM finedge_emit_webhook(NEW.tenant_id, 'compliance.ctr_created', jsonb_build_object(
    'ctr_id', NEW.id, 'customer_id', NEW.customer_id, 'business_day', NEW.business_day, 'direction', NEW.direction,
    'currency', NEW.currency, 'total', NEW.total::text, 'source', NEW.source));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER currency_transaction_reports_webhook AFTER INSERT ON "currency_transaction_reports" FOR EACH ROW
  EXECUTE FUNCTION finedge_webhook_on_ctr();
--> statement-breakpoint
CREATE FUNCTION finedge_webhook_on_verification() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM finedge_emit_webhook(NEW.tenant_id, 'identity_verification.decided', jsonb_build_object(
    'verification_id', NEW.id, 'customer_id', NEW.customer_id, 'status', NEW.status));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER identity_verifications_webhook AFTER UPDATE OF status ON "identity_verifications" FOR EACH ROW
  WHEN (NEW.status <> OLD.status)
  EXECUTE FUNCTION finedge_webhook_on_verification();
