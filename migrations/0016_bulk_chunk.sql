-- A bulk chunk recorded in one call. The Worker reads the job, scores the chunk, takes its rows from the
-- tenant's authority and writes its results file to R2; this records the outcome in one transaction under
-- the job's row lock: the chunk (once - a redelivered chunk recorded before is `recorded_before` and changes
-- nothing), its failed rows, the day's inference usage, the job's counts and, with its last chunk, its final
-- status. A job no longer open (cancelled or failed meanwhile) records nothing: `closed`.
--
-- `p`: tenant_id, job_id, chunk, result_key, scored, failed, granted, day (YYYY-MM-DD), started_at,
-- errors [{row, line, reference, errors}].
CREATE OR REPLACE FUNCTION finedge_record_chunk(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  tenant uuid := (p->>'tenant_id')::uuid;
  job uuid := (p->>'job_id')::uuid;
  state text;
BEGIN
  SELECT status INTO state FROM scoring_jobs WHERE tenant_id = tenant AND id = job FOR UPDATE;
  -- Recorded before is asked first: a chunk that completed the job finds it closed, yet its file is its own.
  IF EXISTS (SELECT 1 FROM scoring_job_chunks c
              WHERE c.tenant_id = tenant AND c.job_id = job AND c.chunk = (p->>'chunk')::int) THEN
    RETURN jsonb_build_object('outcome', 'recorded_before');
  END IF;
  IF state IS NULL OR state NOT IN ('queued', 'running') THEN
    RETURN jsonb_build_object('outcome', 'closed');
  END IF;

  INSERT INTO scoring_job_chunks (job_id, chunk, tenant_id, rows_scored, rows_failed, result_key)
  VALUES (job, (p->>'chunk')::int, tenant, (p->>'scored')::int, (p->>'failed')::int, p->>'result_key');
  INSERT INTO scoring_job_errors (job_id, tenant_id, "row", line, reference, errors)
  SELECT job, tenant, (e->>'row')::int, (e->>'line')::int, e->>'reference', e->'errors'
    FROM jsonb_array_elements(p->'errors') AS e;
  IF (p->>'granted')::int > 0 THEN
    INSERT INTO inference_usage (tenant_id, day, rows)
    VALUES (tenant, (p->>'day')::date, (p->>'granted')::int)
    ON CONFLICT (tenant_id, day) DO UPDATE SET rows = inference_usage.rows + EXCLUDED.rows;
  END IF;
  UPDATE scoring_jobs
     SET rows_scored = rows_scored + (p->>'scored')::int,
         rows_failed = rows_failed + (p->>'failed')::int,
         chunks_done = chunks_done + 1,
         status = 'running',
         started_at = coalesce(started_at, (p->>'started_at')::timestamptz)
   WHERE tenant_id = tenant AND id = job;
  -- A separate statement: one UPDATE's expressions see the row as it was before it.
  UPDATE scoring_jobs
     SET status = CASE WHEN rows_failed = 0 THEN 'completed' WHEN rows_scored = 0 THEN 'failed'
                       ELSE 'partially_failed' END,
         completed_at = now()
   WHERE tenant_id = tenant AND id = job AND chunks_total IS NOT NULL AND chunks_done >= chunks_total;
  RETURN jsonb_build_object('outcome', 'recorded');
END;
$$;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION finedge_record_chunk(jsonb) TO finedge_app;
