-- Sanctions screening: the lists a tenant uploads (OFAC's SDN files, stored in R2 under the list's id) and the
-- potential matches screening finds among its customers. A list is recorded `processing` when its files are
-- stored; the queue's consumer screens every customer against it and marks it `ready` (the newest ready list is
-- the tenant's active one) or `failed` with the reason. A match names the listed party it matched and its score;
-- an analyst confirms or dismisses it, once. A later screening of the same customer supersedes the matches it no
-- longer finds (`superseded_at`), so a customer's live matches are always those of its latest screening.
CREATE TABLE "sanctions_lists" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"source" text DEFAULT 'ofac_sdn' NOT NULL,
	"status" text DEFAULT 'processing' NOT NULL,
	"entries" integer NOT NULL,
	"aliases" integer NOT NULL,
	"sdn_key" text NOT NULL,
	"alt_key" text,
	"sdn_sha256" text NOT NULL,
	"alt_sha256" text,
	"bytes" integer NOT NULL,
	"customers_screened" integer,
	"matches_found" integer,
	"failure" text,
	"actor_type" text NOT NULL,
	"actor_id" uuid,
	"ready_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sanctions_lists_status" CHECK ("sanctions_lists"."status" IN ('processing', 'ready', 'failed')),
	CONSTRAINT "sanctions_lists_source" CHECK ("sanctions_lists"."source" IN ('ofac_sdn')),
	CONSTRAINT "sanctions_lists_version" CHECK ("sanctions_lists"."version" >= 1),
	CONSTRAINT "sanctions_lists_actor_type" CHECK ("sanctions_lists"."actor_type" IN ('user', 'api_key', 'system')),
	CONSTRAINT "sanctions_lists_ready" CHECK (("sanctions_lists"."status" = 'ready') = ("sanctions_lists"."ready_at" IS NOT NULL)),
	CONSTRAINT "sanctions_lists_failure" CHECK (("sanctions_lists"."status" = 'failed') = ("sanctions_lists"."failure" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "sanctions_matches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"list_id" uuid NOT NULL,
	"origin" text NOT NULL,
	"entry_uid" integer NOT NULL,
	"entry_name" text NOT NULL,
	"entry_type" text NOT NULL,
	"programs" jsonb NOT NULL,
	"matched_name" text NOT NULL,
	"alias_type" text,
	"weak" boolean DEFAULT false NOT NULL,
	"score" double precision NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"superseded_at" timestamp with time zone,
	"decided_at" timestamp with time zone,
	"decided_by_type" text,
	"decided_by_id" uuid,
	"decision_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sanctions_matches_status" CHECK ("sanctions_matches"."status" IN ('open', 'confirmed', 'dismissed')),
	CONSTRAINT "sanctions_matches_origin" CHECK ("sanctions_matches"."origin" IN ('onboarding', 'change', 'list')),
	CONSTRAINT "sanctions_matches_score" CHECK ("sanctions_matches"."score" > 0 AND "sanctions_matches"."score" <= 1),
	CONSTRAINT "sanctions_matches_decided" CHECK (("sanctions_matches"."status" = 'open') = ("sanctions_matches"."decided_at" IS NULL)),
	CONSTRAINT "sanctions_matches_reason" CHECK (("sanctions_matches"."status" = 'open') = ("sanctions_matches"."decision_reason" IS NULL))
);
--> statement-breakpoint
ALTER TABLE "sanctions_lists" ADD CONSTRAINT "sanctions_lists_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "sanctions_matches" ADD CONSTRAINT "sanctions_matches_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "sanctions_matches" ADD CONSTRAINT "sanctions_matches_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "sanctions_matches" ADD CONSTRAINT "sanctions_matches_list_id_sanctions_lists_id_fk" FOREIGN KEY ("list_id") REFERENCES "public"."sanctions_lists"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "sanctions_lists_tenant_version_key" ON "sanctions_lists" USING btree ("tenant_id","version");
--> statement-breakpoint
CREATE INDEX "sanctions_lists_tenant_time_idx" ON "sanctions_lists" USING btree ("tenant_id","created_at");
--> statement-breakpoint
CREATE INDEX "sanctions_lists_tenant_ready_idx" ON "sanctions_lists" USING btree ("tenant_id","created_at") WHERE "sanctions_lists"."status" = 'ready';
--> statement-breakpoint
CREATE UNIQUE INDEX "sanctions_matches_customer_list_entry_key" ON "sanctions_matches" USING btree ("tenant_id","customer_id","list_id","entry_uid");
--> statement-breakpoint
CREATE INDEX "sanctions_matches_tenant_time_idx" ON "sanctions_matches" USING btree ("tenant_id","created_at");
--> statement-breakpoint
CREATE INDEX "sanctions_matches_customer_idx" ON "sanctions_matches" USING btree ("tenant_id","customer_id","status");
--> statement-breakpoint
ALTER TABLE "sanctions_lists" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "sanctions_lists" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "sanctions_lists" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "sanctions_lists" TO finedge_app;
--> statement-breakpoint
CREATE TRIGGER sanctions_lists_touch_updated_at BEFORE UPDATE ON "sanctions_lists" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
--> statement-breakpoint
ALTER TABLE "sanctions_matches" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "sanctions_matches" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "sanctions_matches" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "sanctions_matches" TO finedge_app;
--> statement-breakpoint
CREATE TRIGGER sanctions_matches_touch_updated_at BEFORE UPDATE ON "sanctions_matches" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
