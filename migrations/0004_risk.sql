CREATE TABLE "companies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"ticker" text,
	"country" text,
	"industry" text,
	"currency" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "companies_currency_iso" CHECK ("companies"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "financial_statements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"company_id" uuid NOT NULL,
	"period_type" text NOT NULL,
	"fiscal_year" integer NOT NULL,
	"fiscal_quarter" integer,
	"period_end" date NOT NULL,
	"currency" text NOT NULL,
	"total_assets" numeric(22, 2) NOT NULL,
	"total_liabilities" numeric(22, 2) NOT NULL,
	"current_assets" numeric(22, 2) NOT NULL,
	"current_liabilities" numeric(22, 2) NOT NULL,
	"working_capital" numeric(22, 2),
	"net_income" numeric(22, 2) NOT NULL,
	"net_income_prior" numeric(22, 2),
	"funds_from_operations" numeric(22, 2),
	"revenue" numeric(22, 2),
	"ebit" numeric(22, 2),
	"ebitda" numeric(22, 2),
	"interest_expense" numeric(22, 2),
	"sga_expense" numeric(22, 2),
	"long_term_debt" numeric(22, 2),
	"total_debt" numeric(22, 2),
	"total_equity" numeric(22, 2),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "financial_statements_quarter" CHECK (("financial_statements"."period_type" = 'annual' and "financial_statements"."fiscal_quarter" is null) or ("financial_statements"."period_type" = 'quarterly' and "financial_statements"."fiscal_quarter" between 1 and 4)),
	CONSTRAINT "financial_statements_balance" CHECK ("financial_statements"."total_assets" > 0 and "financial_statements"."current_assets" >= 0 and "financial_statements"."current_assets" <= "financial_statements"."total_assets" and "financial_statements"."total_liabilities" >= 0 and "financial_statements"."current_liabilities" >= 0 and "financial_statements"."current_liabilities" <= "financial_statements"."total_liabilities"),
	CONSTRAINT "financial_statements_non_negative" CHECK (coalesce("financial_statements"."revenue", 0) >= 0 and coalesce("financial_statements"."interest_expense", 0) >= 0 and coalesce("financial_statements"."sga_expense", 0) >= 0 and coalesce("financial_statements"."long_term_debt", 0) >= 0 and coalesce("financial_statements"."total_debt", 0) >= 0 and coalesce("financial_statements"."long_term_debt", 0) <= coalesce("financial_statements"."total_debt", "financial_statements"."long_term_debt", 0))
);
--> statement-breakpoint
CREATE TABLE "inference_usage" (
	"tenant_id" uuid NOT NULL,
	"day" date NOT NULL,
	"rows" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inference_usage_tenant_id_day_pk" PRIMARY KEY("tenant_id","day"),
	CONSTRAINT "inference_usage_rows" CHECK ("inference_usage"."rows" >= 0)
);
--> statement-breakpoint
CREATE TABLE "model_activations" (
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"source" text NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" uuid,
	"activated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_activations_tenant_id_name_pk" PRIMARY KEY("tenant_id","name")
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"kind" text NOT NULL,
	"input_kind" text NOT NULL,
	"description" text NOT NULL,
	"sha256" text NOT NULL,
	"manifest_sha256" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"validation" jsonb NOT NULL,
	"metrics" jsonb,
	"card" text,
	"actor_type" text NOT NULL,
	"actor_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "predictions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"company_id" uuid,
	"statement_ids" uuid[],
	"model_name" text NOT NULL,
	"model_version" text NOT NULL,
	"model_sha256" text NOT NULL,
	"model_source" text NOT NULL,
	"probability" double precision NOT NULL,
	"band" text NOT NULL,
	"contributions" jsonb NOT NULL,
	"ratios" jsonb,
	"features" jsonb NOT NULL,
	"raw_input" jsonb NOT NULL,
	"reference" text,
	"actor_type" text NOT NULL,
	"actor_id" uuid,
	"request_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "predictions_probability_range" CHECK ("predictions"."probability" >= 0 and "predictions"."probability" <= 1)
);
--> statement-breakpoint
CREATE TABLE "scoring_job_chunks" (
	"job_id" uuid NOT NULL,
	"chunk" integer NOT NULL,
	"tenant_id" uuid NOT NULL,
	"rows_scored" integer NOT NULL,
	"rows_failed" integer NOT NULL,
	"result_key" text NOT NULL,
	"completed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scoring_job_chunks_job_id_chunk_pk" PRIMARY KEY("job_id","chunk")
);
--> statement-breakpoint
CREATE TABLE "scoring_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"input_format" text NOT NULL,
	"input_key" text NOT NULL,
	"input_bytes" bigint NOT NULL,
	"columns" text[],
	"model_name" text NOT NULL,
	"model_version" text NOT NULL,
	"model_sha256" text NOT NULL,
	"model_source" text NOT NULL,
	"rows_total" integer,
	"chunks_total" integer,
	"rows_scored" integer DEFAULT 0 NOT NULL,
	"rows_failed" integer DEFAULT 0 NOT NULL,
	"chunks_done" integer DEFAULT 0 NOT NULL,
	"error" text,
	"actor_type" text NOT NULL,
	"actor_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scoring_jobs_progress" CHECK ("scoring_jobs"."rows_scored" >= 0 and "scoring_jobs"."rows_failed" >= 0 and "scoring_jobs"."chunks_done" >= 0 and ("scoring_jobs"."chunks_total" is null or "scoring_jobs"."chunks_done" <= "scoring_jobs"."chunks_total") and ("scoring_jobs"."rows_total" is null or "scoring_jobs"."rows_scored" + "scoring_jobs"."rows_failed" <= "scoring_jobs"."rows_total"))
);
--> statement-breakpoint
ALTER TABLE "companies" ADD CONSTRAINT "companies_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "financial_statements" ADD CONSTRAINT "financial_statements_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "financial_statements" ADD CONSTRAINT "financial_statements_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inference_usage" ADD CONSTRAINT "inference_usage_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_activations" ADD CONSTRAINT "model_activations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scoring_job_chunks" ADD CONSTRAINT "scoring_job_chunks_job_id_scoring_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."scoring_jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scoring_job_chunks" ADD CONSTRAINT "scoring_job_chunks_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scoring_jobs" ADD CONSTRAINT "scoring_jobs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "companies_tenant_ticker_key" ON "companies" USING btree ("tenant_id","ticker");--> statement-breakpoint
CREATE INDEX "companies_tenant_time_idx" ON "companies" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "financial_statements_period_key" ON "financial_statements" USING btree ("company_id","period_type","fiscal_year",coalesce("fiscal_quarter", 0));--> statement-breakpoint
CREATE UNIQUE INDEX "financial_statements_period_end_key" ON "financial_statements" USING btree ("company_id","period_type","period_end");--> statement-breakpoint
CREATE INDEX "financial_statements_tenant_idx" ON "financial_statements" USING btree ("tenant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_tenant_name_version_key" ON "model_versions" USING btree ("tenant_id","name","version");--> statement-breakpoint
CREATE INDEX "predictions_company_time_idx" ON "predictions" USING btree ("tenant_id","company_id","created_at");--> statement-breakpoint
CREATE INDEX "predictions_tenant_time_idx" ON "predictions" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "scoring_job_chunks_tenant_idx" ON "scoring_job_chunks" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "scoring_jobs_tenant_time_idx" ON "scoring_jobs" USING btree ("tenant_id","created_at");
-- Tenant isolation: a risk table's rows are visible and writable only in their tenant's transactions.
DO $$
DECLARE
  tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['companies', 'financial_statements', 'predictions', 'scoring_jobs',
                             'scoring_job_chunks', 'model_versions', 'model_activations', 'inference_usage']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (finedge_can_see_tenant(tenant_id)) '
                   'WITH CHECK (finedge_can_see_tenant(tenant_id))', tbl);
  END LOOP;
END
$$;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "companies", "financial_statements", "predictions", "scoring_jobs",
  "scoring_job_chunks", "model_versions", "model_activations", "inference_usage" TO finedge_app;
--> statement-breakpoint
-- A prediction is evidence of what a model said about an input: never rewritten. A recorded chunk is the
-- proof that its rows were counted, which is what makes queue redelivery harmless.
REVOKE UPDATE, DELETE, TRUNCATE ON "predictions", "scoring_job_chunks" FROM finedge_app;
--> statement-breakpoint
CREATE TRIGGER predictions_append_only BEFORE UPDATE OR DELETE ON "predictions" FOR EACH ROW EXECUTE FUNCTION finedge_refuse_mutation();
--> statement-breakpoint
CREATE TRIGGER predictions_no_truncate BEFORE TRUNCATE ON "predictions" FOR EACH STATEMENT EXECUTE FUNCTION finedge_refuse_mutation();
--> statement-breakpoint
CREATE TRIGGER scoring_job_chunks_append_only BEFORE UPDATE OR DELETE ON "scoring_job_chunks" FOR EACH ROW EXECUTE FUNCTION finedge_refuse_mutation();
--> statement-breakpoint
CREATE TRIGGER scoring_job_chunks_no_truncate BEFORE TRUNCATE ON "scoring_job_chunks" FOR EACH STATEMENT EXECUTE FUNCTION finedge_refuse_mutation();
--> statement-breakpoint
-- A statement's fiscal period matches its end date: the year it ends in, or the next (fiscal years that
-- end early in the following calendar year).
ALTER TABLE "financial_statements" ADD CONSTRAINT "financial_statements_period_end_year"
  CHECK (extract(year FROM "period_end")::int BETWEEN "fiscal_year" AND "fiscal_year" + 1);
--> statement-breakpoint
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_sha256_hex" CHECK ("sha256" ~ '^[0-9a-f]{64}$');
--> statement-breakpoint
ALTER TABLE "scoring_jobs" ADD CONSTRAINT "scoring_jobs_completed" CHECK (("status" IN ('queued', 'running')) = ("completed_at" IS NULL));
--> statement-breakpoint
CREATE TRIGGER companies_touch_updated_at BEFORE UPDATE ON "companies" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
--> statement-breakpoint
CREATE TRIGGER scoring_jobs_touch_updated_at BEFORE UPDATE ON "scoring_jobs" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
--> statement-breakpoint
CREATE TRIGGER inference_usage_touch_updated_at BEFORE UPDATE ON "inference_usage" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
