-- Compliance alerts, the cases that investigate them, and the suspicious activity reports (SARs) a case may
-- lead to. Alerts are raised by rules and scenarios (fraud checks, monitoring, screening) and by members'
-- reports; a case gathers open alerts, is worked through open -> investigating -> escalated and closed with
-- or without a SAR. A SAR is prepared, approved by another officer (four eyes: a CHECK holds it) and filed.
-- Notes are append-only (no UPDATE or DELETE is granted); attachments live in R2, their rows here.
CREATE TABLE "compliance_cases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"title" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"assignee_id" uuid,
	"opened_by_type" text NOT NULL,
	"opened_by" uuid,
	"detected_at" timestamp with time zone,
	"due_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "compliance_cases_status" CHECK ("compliance_cases"."status" IN ('open', 'investigating', 'escalated', 'closed_no_action', 'closed_sar_filed')),
	CONSTRAINT "compliance_cases_closed" CHECK (("compliance_cases"."status" LIKE 'closed_%') = ("compliance_cases"."closed_at" IS NOT NULL)),
	CONSTRAINT "compliance_cases_opened_by_type" CHECK ("compliance_cases"."opened_by_type" IN ('user', 'api_key', 'system'))
);
--> statement-breakpoint
ALTER TABLE "compliance_cases" ADD CONSTRAINT "compliance_cases_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "compliance_cases" ADD CONSTRAINT "compliance_cases_assignee_id_users_id_fk" FOREIGN KEY ("assignee_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "compliance_cases_tenant_time_idx" ON "compliance_cases" USING btree ("tenant_id","created_at");
--> statement-breakpoint
CREATE TABLE "compliance_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"rule" text NOT NULL,
	"customer_id" uuid,
	"portfolio_id" uuid,
	"transaction_ids" uuid[] DEFAULT '{}' NOT NULL,
	"score" integer,
	"reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"case_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "compliance_alerts_kind" CHECK ("compliance_alerts"."kind" IN ('fraud', 'monitoring', 'sanctions', 'report')),
	CONSTRAINT "compliance_alerts_status" CHECK ("compliance_alerts"."status" IN ('open', 'closed')),
	CONSTRAINT "compliance_alerts_score" CHECK ("compliance_alerts"."score" IS NULL OR "compliance_alerts"."score" BETWEEN 0 AND 100),
	CONSTRAINT "compliance_alerts_reasons" CHECK (jsonb_typeof("compliance_alerts"."reasons") = 'array'),
	CONSTRAINT "compliance_alerts_rule" CHECK (length("compliance_alerts"."rule") BETWEEN 1 AND 100)
);
--> statement-breakpoint
ALTER TABLE "compliance_alerts" ADD CONSTRAINT "compliance_alerts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "compliance_alerts" ADD CONSTRAINT "compliance_alerts_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "compliance_alerts" ADD CONSTRAINT "compliance_alerts_case_id_compliance_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."compliance_cases"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "compliance_alerts_tenant_time_idx" ON "compliance_alerts" USING btree ("tenant_id","created_at");
--> statement-breakpoint
CREATE INDEX "compliance_alerts_case_idx" ON "compliance_alerts" USING btree ("case_id");
--> statement-breakpoint
CREATE TABLE "compliance_case_notes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"case_id" uuid NOT NULL,
	"author_type" text NOT NULL,
	"author_id" uuid,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "compliance_case_notes_author_type" CHECK ("compliance_case_notes"."author_type" IN ('user', 'api_key', 'system'))
);
--> statement-breakpoint
ALTER TABLE "compliance_case_notes" ADD CONSTRAINT "compliance_case_notes_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "compliance_case_notes" ADD CONSTRAINT "compliance_case_notes_case_id_compliance_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."compliance_cases"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "compliance_case_notes_case_idx" ON "compliance_case_notes" USING btree ("case_id","created_at");
--> statement-breakpoint
CREATE TABLE "compliance_case_attachments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"case_id" uuid NOT NULL,
	"filename" text NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"sha256" text NOT NULL,
	"object_key" text NOT NULL,
	"uploaded_by_type" text NOT NULL,
	"uploaded_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "compliance_case_attachments_size" CHECK ("compliance_case_attachments"."size_bytes" > 0)
);
--> statement-breakpoint
ALTER TABLE "compliance_case_attachments" ADD CONSTRAINT "compliance_case_attachments_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "compliance_case_attachments" ADD CONSTRAINT "compliance_case_attachments_case_id_compliance_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."compliance_cases"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "compliance_case_attachments_case_idx" ON "compliance_case_attachments" USING btree ("case_id","created_at");
--> statement-breakpoint
CREATE TABLE "compliance_sars" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"case_id" uuid NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"subject_ids" uuid[] DEFAULT '{}' NOT NULL,
	"transaction_ids" uuid[] DEFAULT '{}' NOT NULL,
	"activity_from" timestamp with time zone NOT NULL,
	"activity_to" timestamp with time zone NOT NULL,
	"narrative" text NOT NULL,
	"detected_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"prepared_by" uuid NOT NULL,
	"approved_by" uuid,
	"approved_at" timestamp with time zone,
	"filed_by" uuid,
	"filed_at" timestamp with time zone,
	"filing_reference" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "compliance_sars_status" CHECK ("compliance_sars"."status" IN ('draft', 'approved', 'filed')),
	CONSTRAINT "compliance_sars_window" CHECK ("compliance_sars"."activity_from" <= "compliance_sars"."activity_to"),
	CONSTRAINT "compliance_sars_four_eyes" CHECK ("compliance_sars"."approved_by" IS NULL OR "compliance_sars"."approved_by" <> "compliance_sars"."prepared_by"),
	CONSTRAINT "compliance_sars_approved" CHECK (("compliance_sars"."status" = 'draft') = ("compliance_sars"."approved_by" IS NULL)),
	CONSTRAINT "compliance_sars_filed" CHECK (("compliance_sars"."status" = 'filed') = ("compliance_sars"."filed_at" IS NOT NULL))
);
--> statement-breakpoint
ALTER TABLE "compliance_sars" ADD CONSTRAINT "compliance_sars_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "compliance_sars" ADD CONSTRAINT "compliance_sars_case_id_compliance_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."compliance_cases"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "compliance_sars_case_key" ON "compliance_sars" USING btree ("case_id");
--> statement-breakpoint
CREATE INDEX "compliance_sars_tenant_time_idx" ON "compliance_sars" USING btree ("tenant_id","created_at");
--> statement-breakpoint
CREATE TABLE "compliance_sar_amounts" (
	"tenant_id" uuid NOT NULL,
	"sar_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"total" numeric(38, 18) NOT NULL,
	"transactions" integer NOT NULL,
	CONSTRAINT "compliance_sar_amounts_pkey" PRIMARY KEY ("sar_id", "currency")
);
--> statement-breakpoint
ALTER TABLE "compliance_sar_amounts" ADD CONSTRAINT "compliance_sar_amounts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "compliance_sar_amounts" ADD CONSTRAINT "compliance_sar_amounts_sar_id_compliance_sars_id_fk" FOREIGN KEY ("sar_id") REFERENCES "public"."compliance_sars"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "compliance_cases" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "compliance_cases" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "compliance_cases" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "compliance_cases" TO finedge_app;
--> statement-breakpoint
CREATE TRIGGER compliance_cases_touch_updated_at BEFORE UPDATE ON "compliance_cases" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
--> statement-breakpoint
ALTER TABLE "compliance_alerts" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "compliance_alerts" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "compliance_alerts" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "compliance_alerts" TO finedge_app;
--> statement-breakpoint
CREATE TRIGGER compliance_alerts_touch_updated_at BEFORE UPDATE ON "compliance_alerts" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
--> statement-breakpoint
ALTER TABLE "compliance_case_notes" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "compliance_case_notes" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "compliance_case_notes" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT ON "compliance_case_notes" TO finedge_app;
--> statement-breakpoint
ALTER TABLE "compliance_case_attachments" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "compliance_case_attachments" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "compliance_case_attachments" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT ON "compliance_case_attachments" TO finedge_app;
--> statement-breakpoint
ALTER TABLE "compliance_sars" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "compliance_sars" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "compliance_sars" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "compliance_sars" TO finedge_app;
--> statement-breakpoint
CREATE TRIGGER compliance_sars_touch_updated_at BEFORE UPDATE ON "compliance_sars" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
--> statement-breakpoint
ALTER TABLE "compliance_sar_amounts" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "compliance_sar_amounts" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "compliance_sar_amounts" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT ON "compliance_sar_amounts" TO finedge_app;
--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE ON "compliance_case_notes", "compliance_case_attachments", "compliance_sar_amounts" FROM finedge_app;
--> statement-breakpoint
REVOKE DELETE, TRUNCATE ON "compliance_cases", "compliance_alerts", "compliance_sars" FROM finedge_app;
--> statement-breakpoint
CREATE TRIGGER compliance_case_notes_append_only BEFORE UPDATE OR DELETE ON "compliance_case_notes" FOR EACH ROW EXECUTE FUNCTION finedge_refuse_mutation();
