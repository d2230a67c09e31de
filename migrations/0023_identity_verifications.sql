-- Identity verification of a customer through the verification provider: a session opened there (the
-- customer shows a document and takes a selfie on the provider's page), decided by the provider's signed
-- callback. What is kept of the decision is its result - the checks' outcomes, whether the document's name
-- and date of birth agree with the customer's, the reasons - never the document's personal values. At most
-- one verification of a customer is open (pending at the provider, or awaiting an analyst's review).
CREATE TABLE "identity_verifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"provider_session_id" text NOT NULL,
	"session_url" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"outcome" jsonb,
	"provider_event_id" text,
	"started_by_type" text NOT NULL,
	"started_by" uuid,
	"decided_at" timestamp with time zone,
	"reviewed_by" uuid,
	"reviewed_at" timestamp with time zone,
	"review_note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "identity_verifications_status" CHECK ("identity_verifications"."status" IN ('pending', 'verified', 'rejected', 'needs_review', 'resubmission_requested', 'expired')),
	CONSTRAINT "identity_verifications_decided" CHECK (("identity_verifications"."status" = 'pending') = ("identity_verifications"."decided_at" IS NULL)),
	CONSTRAINT "identity_verifications_reviewed" CHECK (("identity_verifications"."reviewed_at" IS NULL) = ("identity_verifications"."reviewed_by" IS NULL)),
	CONSTRAINT "identity_verifications_started_by_type" CHECK ("identity_verifications"."started_by_type" IN ('user', 'api_key'))
);
--> statement-breakpoint
ALTER TABLE "identity_verifications" ADD CONSTRAINT "identity_verifications_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "identity_verifications" ADD CONSTRAINT "identity_verifications_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "identity_verifications" ADD CONSTRAINT "identity_verifications_reviewed_by_users_id_fk" FOREIGN KEY ("reviewed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "identity_verifications_session_key" ON "identity_verifications" USING btree ("provider_session_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "identity_verifications_one_open_key" ON "identity_verifications" USING btree ("tenant_id","customer_id") WHERE "identity_verifications"."status" IN ('pending', 'needs_review');
--> statement-breakpoint
CREATE INDEX "identity_verifications_tenant_time_idx" ON "identity_verifications" USING btree ("tenant_id","created_at");
--> statement-breakpoint
CREATE INDEX "identity_verifications_customer_time_idx" ON "identity_verifications" USING btree ("tenant_id","customer_id","created_at");
--> statement-breakpoint
ALTER TABLE "identity_verifications" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "identity_verifications" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "identity_verifications" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "identity_verifications" TO finedge_app;
--> statement-breakpoint
CREATE TRIGGER identity_verifications_touch_updated_at BEFORE UPDATE ON "identity_verifications" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
