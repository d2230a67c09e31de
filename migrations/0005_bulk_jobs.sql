CREATE TABLE "scoring_job_errors" (
	"job_id" uuid NOT NULL,
	"row" integer NOT NULL,
	"line" integer,
	"tenant_id" uuid NOT NULL,
	"reference" text,
	"errors" jsonb NOT NULL,
	CONSTRAINT "scoring_job_errors_job_id_row_pk" PRIMARY KEY("job_id","row")
);
--> statement-breakpoint
ALTER TABLE "model_activations" ADD COLUMN "previous_version" text;--> statement-breakpoint
ALTER TABLE "scoring_jobs" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
ALTER TABLE "scoring_jobs" ADD COLUMN "request_sha256" text;--> statement-breakpoint
ALTER TABLE "scoring_job_errors" ADD CONSTRAINT "scoring_job_errors_job_id_scoring_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."scoring_jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scoring_job_errors" ADD CONSTRAINT "scoring_job_errors_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "scoring_job_errors_tenant_idx" ON "scoring_job_errors" USING btree ("tenant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "scoring_jobs_idempotency_key" ON "scoring_jobs" USING btree ("tenant_id","idempotency_key");--> statement-breakpoint
-- Tenant isolation, as for every risk table: a job's row errors are visible only in its tenant's transactions.
ALTER TABLE "scoring_job_errors" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "scoring_job_errors" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "scoring_job_errors" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
-- A row's errors are recorded with its chunk, once, and never rewritten.
GRANT SELECT, INSERT ON "scoring_job_errors" TO finedge_app;
--> statement-breakpoint
CREATE TRIGGER scoring_job_errors_append_only BEFORE UPDATE OR DELETE ON "scoring_job_errors" FOR EACH ROW EXECUTE FUNCTION finedge_refuse_mutation();
--> statement-breakpoint
CREATE TRIGGER scoring_job_errors_no_truncate BEFORE TRUNCATE ON "scoring_job_errors" FOR EACH STATEMENT EXECUTE FUNCTION finedge_refuse_mutation();
--> statement-breakpoint
ALTER TABLE "scoring_jobs" ADD CONSTRAINT "scoring_jobs_idempotency" CHECK (("idempotency_key" IS NULL) = ("request_sha256" IS NULL));
