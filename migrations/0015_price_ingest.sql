-- Price ingestion in one call, as money movements are (migrations/0012): the Worker reads the assets and the
-- prices already recorded at the given instants, decides (an instant recorded with another price is a 409,
-- decided there and recorded under the Idempotency-Key like any outcome), and sends the observations here. In
-- one transaction this claims the key or replays its answer, re-checks the caller's permission, records the
-- observations once per (asset, instant), and - should an instant have been recorded meanwhile with another
-- price, or the count the answer reports no longer hold - fails whole with `finedge_require:stale`, so the
-- Worker decides again. Then the audit event and the answer under the key.
--
-- `p`: tenant_id, caller, idempotency, refusal (as finedge_ledger_write), items [{asset_id, at, price}],
-- source, inserted (how many the decision expects to be new), audit [events], response.
CREATE OR REPLACE FUNCTION finedge_ingest_prices(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  tenant uuid := (p->>'tenant_id')::uuid;
  begun jsonb;
  added integer;
BEGIN
  begun := finedge_write_begin(p);
  IF begun IS NOT NULL THEN
    RETURN begun;
  END IF;
  IF NOT finedge_caller_holds(tenant, p->'caller', NULL) THEN
    RETURN jsonb_build_object('outcome', 'stale');
  END IF;

  INSERT INTO asset_prices (tenant_id, asset_id, at, price, source)
  SELECT tenant, (i->>'asset_id')::uuid, (i->>'at')::timestamptz, (i->>'price')::numeric, p->>'source'
    FROM jsonb_array_elements(p->'items') AS i
  ON CONFLICT (asset_id, at) DO NOTHING;
  GET DIAGNOSTICS added = ROW_COUNT;
  PERFORM finedge_require(
    added = (p->>'inserted')::int AND NOT EXISTS (
      SELECT 1 FROM jsonb_array_elements(p->'items') AS i
        JOIN asset_prices ap ON ap.asset_id = (i->>'asset_id')::uuid AND ap.at = (i->>'at')::timestamptz
       WHERE ap.price <> (i->>'price')::numeric),
    'stale');

  RETURN finedge_write_end(p);
END;
$$;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION finedge_ingest_prices(jsonb) TO finedge_app;
