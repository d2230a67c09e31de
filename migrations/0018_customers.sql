-- Customers: the persons and entities that own portfolios, with their KYC standing. What identifies a person
-- (name, date of birth, national id, address, contact) is sealed by the Worker before it is stored
-- (`identity_sealed`, AES-GCM bound to the row; see services/crypto); the columns beside it are what screening,
-- policy and reports filter on. The risk rating is computed by the Worker from the factors it stores with it.
CREATE TABLE "customers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"reference" text,
	"country" text NOT NULL,
	"identity_sealed" text NOT NULL,
	"pep" boolean DEFAULT false NOT NULL,
	"kyc_status" text DEFAULT 'unverified' NOT NULL,
	"kyc_level" integer DEFAULT 0 NOT NULL,
	"risk_rating" text NOT NULL,
	"risk_factors" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customers_kind" CHECK ("customers"."kind" IN ('person', 'entity')),
	CONSTRAINT "customers_country_iso" CHECK ("customers"."country" ~ '^[A-Z]{2}$'),
	CONSTRAINT "customers_kyc_status" CHECK ("customers"."kyc_status" IN ('unverified', 'pending', 'verified', 'rejected')),
	CONSTRAINT "customers_kyc_level" CHECK ("customers"."kyc_level" BETWEEN 0 AND 3),
	CONSTRAINT "customers_risk_rating" CHECK ("customers"."risk_rating" IN ('low', 'medium', 'high')),
	CONSTRAINT "customers_identity_sealed" CHECK ("customers"."identity_sealed" LIKE 'v1.%')
);
--> statement-breakpoint
ALTER TABLE "customers" ADD CONSTRAINT "customers_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "customers_tenant_reference_key" ON "customers" USING btree ("tenant_id","reference");
--> statement-breakpoint
CREATE INDEX "customers_tenant_time_idx" ON "customers" USING btree ("tenant_id","created_at");
--> statement-breakpoint
ALTER TABLE "customers" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "customers" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "customers" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "customers" TO finedge_app;
--> statement-breakpoint
CREATE TRIGGER customers_touch_updated_at BEFORE UPDATE ON "customers" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
