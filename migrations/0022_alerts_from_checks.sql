-- Alerts from the money check and from monitoring. A check that holds or blocks a movement raises a fraud
-- alert with its score and reasons, in the same transaction as the check (a trigger: the movement's one write
-- call carries it). A monitoring hit is an alert identified by its scenario and transactions (`dedupe_key`), so
-- running a window again raises nothing twice.
ALTER TABLE "compliance_alerts" ADD COLUMN "dedupe_key" text;
--> statement-breakpoint
CREATE UNIQUE INDEX "compliance_alerts_dedupe_key" ON "compliance_alerts" USING btree ("tenant_id","kind","dedupe_key") WHERE "dedupe_key" IS NOT NULL;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION finedge_alert_from_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO compliance_alerts (tenant_id, kind, rule, customer_id, portfolio_id, transaction_ids, score, reasons,
                                 dedupe_key, created_at, updated_at)
  VALUES (NEW.tenant_id, 'fraud', 'money_check.' || NEW.decision, NEW.customer_id, NEW.portfolio_id,
          CASE WHEN NEW.transaction_id IS NULL THEN '{}'::uuid[] ELSE ARRAY[NEW.transaction_id] END, NEW.score,
          (SELECT coalesce(jsonb_agg(jsonb_build_object('code', r->>'code', 'detail', r->>'detail')), '[]'::jsonb)
             FROM jsonb_array_elements(NEW.reasons) AS r),
          'check:' || NEW.id, NEW.created_at, NEW.created_at);
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER money_checks_raise_alert AFTER INSERT ON "money_checks" FOR EACH ROW
  WHEN (NEW.decision IN ('review', 'block')) EXECUTE FUNCTION finedge_alert_from_check();
