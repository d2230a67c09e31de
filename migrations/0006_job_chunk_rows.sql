ALTER TABLE "scoring_jobs" ADD COLUMN "chunk_rows" integer;--> statement-breakpoint
ALTER TABLE "scoring_jobs" ADD CONSTRAINT "scoring_jobs_chunk_rows" CHECK ("chunk_rows" IS NULL OR "chunk_rows" > 0);
