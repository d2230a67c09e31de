-- A condition a write's batch states between its statements: false aborts the whole batch (one transaction,
-- one round trip) with the named refusal, so a write whose checks depend on what earlier statements did -
-- a claim that found nothing to claim, a row that already existed - needs no round trip of its own for them.
-- The Worker turns `finedge_require:<code>` back into its refusal (src/db/requirements.ts).
CREATE OR REPLACE FUNCTION finedge_require(ok boolean, code text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION 'finedge_require:%', code USING ERRCODE = 'P0001';
  END IF;
  RETURN true;
END;
$$;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION finedge_require(boolean, text) TO finedge_app;
