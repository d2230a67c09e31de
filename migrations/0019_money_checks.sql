-- Money movements checked before they post. A portfolio may belong to a customer (its account holder); the
-- tenant's money-movement policy (versioned: a change is a new version, never an edit) decides what an
-- unverified owner may do, how the fraud check scores and where its thresholds lie, and what a CTR is. Every
-- check of a posted or refused movement is kept with the facts it was scored on (`signals`), so the velocity of
-- the next one is counted from them and a policy change can be replayed over the last 30 days. A movement held
-- for review is posted pending with its reservation until an analyst approves (it settles) or rejects it (it is
-- cancelled). The tenant's blocklist refuses movements by network, e-mail or domain, customer or counterparty.
-- CTRs are kept per customer, business day and direction (cash in, cash out), aggregated across portfolios.
ALTER TABLE "portfolios" ADD COLUMN "customer_id" uuid;
--> statement-breakpoint
ALTER TABLE "portfolios" ADD CONSTRAINT "portfolios_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "portfolios_customer_idx" ON "portfolios" USING btree ("tenant_id","customer_id") WHERE "customer_id" IS NOT NULL;
--> statement-breakpoint
CREATE TABLE "money_policies" (
	"tenant_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"policy" jsonb NOT NULL,
	"created_by_type" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "money_policies_pkey" PRIMARY KEY ("tenant_id", "version"),
	CONSTRAINT "money_policies_version_positive" CHECK ("money_policies"."version" > 0)
);
--> statement-breakpoint
ALTER TABLE "money_policies" ADD CONSTRAINT "money_policies_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE TABLE "money_checks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"customer_id" uuid,
	"transaction_id" uuid,
	"type" text NOT NULL,
	"amount" numeric(38, 18) NOT NULL,
	"currency" text NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text NOT NULL,
	"ip" inet,
	"device" text,
	"country" text,
	"counterparty" text,
	"score" integer NOT NULL,
	"decision" text NOT NULL,
	"reasons" jsonb NOT NULL,
	"signals" jsonb NOT NULL,
	"policy_version" integer NOT NULL,
	"review_status" text,
	"reviewed_by" text,
	"reviewed_at" timestamp with time zone,
	"review_note" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "money_checks_type" CHECK ("money_checks"."type" IN ('buy', 'sell', 'deposit', 'withdrawal')),
	CONSTRAINT "money_checks_score" CHECK ("money_checks"."score" BETWEEN 0 AND 100),
	CONSTRAINT "money_checks_decision" CHECK ("money_checks"."decision" IN ('allow', 'review', 'block')),
	CONSTRAINT "money_checks_review" CHECK (
		("money_checks"."decision" = 'review') = ("money_checks"."review_status" IS NOT NULL)
		AND coalesce("money_checks"."review_status", 'held') IN ('held', 'approved', 'rejected')),
	CONSTRAINT "money_checks_posted" CHECK (("money_checks"."decision" = 'block') = ("money_checks"."transaction_id" IS NULL))
);
--> statement-breakpoint
ALTER TABLE "money_checks" ADD CONSTRAINT "money_checks_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "money_checks" ADD CONSTRAINT "money_checks_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "money_checks" ADD CONSTRAINT "money_checks_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "money_checks" ADD CONSTRAINT "money_checks_transaction_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."portfolio_transactions"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "money_checks_transaction_key" ON "money_checks" USING btree ("transaction_id") WHERE "transaction_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "money_checks_tenant_time_idx" ON "money_checks" USING btree ("tenant_id","created_at");
--> statement-breakpoint
CREATE INDEX "money_checks_customer_idx" ON "money_checks" USING btree ("tenant_id","customer_id","created_at") WHERE "customer_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "money_checks_portfolio_idx" ON "money_checks" USING btree ("tenant_id","portfolio_id","created_at");
--> statement-breakpoint
CREATE INDEX "money_checks_ip_idx" ON "money_checks" USING btree ("tenant_id","ip","created_at") WHERE "ip" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "money_checks_device_idx" ON "money_checks" USING btree ("tenant_id","device","created_at") WHERE "device" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "money_checks_held_idx" ON "money_checks" USING btree ("tenant_id","created_at") WHERE "review_status" = 'held';
--> statement-breakpoint
CREATE TABLE "money_blocklist" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"value" text NOT NULL,
	"network" cidr,
	"note" text,
	"created_by_type" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "money_blocklist_kind" CHECK ("money_blocklist"."kind" IN ('ip', 'email', 'domain', 'customer', 'counterparty')),
	CONSTRAINT "money_blocklist_network" CHECK (("money_blocklist"."kind" = 'ip') = ("money_blocklist"."network" IS NOT NULL)),
	CONSTRAINT "money_blocklist_value_lower" CHECK ("money_blocklist"."value" = lower("money_blocklist"."value"))
);
--> statement-breakpoint
ALTER TABLE "money_blocklist" ADD CONSTRAINT "money_blocklist_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "money_blocklist_entry_key" ON "money_blocklist" USING btree ("tenant_id","kind","value");
--> statement-breakpoint
CREATE INDEX "money_blocklist_network_idx" ON "money_blocklist" USING gist ("network" inet_ops) WHERE "network" IS NOT NULL;
--> statement-breakpoint
CREATE TABLE "currency_transaction_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"business_day" date NOT NULL,
	"direction" text NOT NULL,
	"currency" text NOT NULL,
	"total" numeric(38, 18) NOT NULL,
	"transaction_ids" uuid[] DEFAULT '{}' NOT NULL,
	"source" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"due_on" date NOT NULL,
	"note" text,
	"created_by_type" text NOT NULL,
	"created_by" text NOT NULL,
	"filed_at" timestamp with time zone,
	"filed_by" text,
	"filing_reference" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ctr_direction" CHECK ("currency_transaction_reports"."direction" IN ('in', 'out')),
	CONSTRAINT "ctr_source" CHECK ("currency_transaction_reports"."source" IN ('automatic', 'manual')),
	CONSTRAINT "ctr_status" CHECK ("currency_transaction_reports"."status" IN ('open', 'filed')),
	CONSTRAINT "ctr_filed" CHECK (("currency_transaction_reports"."status" = 'filed') = ("currency_transaction_reports"."filed_at" IS NOT NULL)),
	CONSTRAINT "ctr_total_positive" CHECK ("currency_transaction_reports"."total" > 0)
);
--> statement-breakpoint
ALTER TABLE "currency_transaction_reports" ADD CONSTRAINT "ctr_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "currency_transaction_reports" ADD CONSTRAINT "ctr_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "ctr_automatic_key" ON "currency_transaction_reports" USING btree ("tenant_id","customer_id","business_day","direction") WHERE "source" = 'automatic';
--> statement-breakpoint
CREATE INDEX "ctr_tenant_time_idx" ON "currency_transaction_reports" USING btree ("tenant_id","created_at");
--> statement-breakpoint
ALTER TABLE "money_policies" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "money_policies" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "money_policies" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
ALTER TABLE "money_checks" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "money_checks" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "money_checks" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
ALTER TABLE "money_blocklist" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "money_blocklist" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "money_blocklist" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
ALTER TABLE "currency_transaction_reports" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "currency_transaction_reports" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "currency_transaction_reports" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT ON "money_policies" TO finedge_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "money_checks" TO finedge_app;
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON "money_blocklist" TO finedge_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "currency_transaction_reports" TO finedge_app;
--> statement-breakpoint
CREATE TRIGGER ctr_touch_updated_at BEFORE UPDATE ON "currency_transaction_reports" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
--> statement-breakpoint
-- A settled cash movement of a customer's portfolio, in the CTR's currency, counted into its business day's
-- report (`ctr` as the Worker computes it: customer_id, business_day, from, to (the day's bounds in the
-- tenant's time zone), direction, type, currency, threshold, due_on, actor). Under a lock per customer, day and
-- direction, so concurrent movements are counted one after another: the day's total is summed afresh from the
-- settled rows (this write's included), and once it exceeds the threshold the day's one automatic report is
-- created, or brought up to date while it is still open.
CREATE OR REPLACE FUNCTION finedge_ctr_count(tenant uuid, ctr jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  total numeric;
  ids uuid[];
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(
    'ctr:' || tenant || ':' || (ctr->>'customer_id') || ':' || (ctr->>'business_day') || ':' || (ctr->>'direction'), 0));
  SELECT coalesce(sum(t.amount), 0), coalesce(array_agg(t.id ORDER BY t.executed_at, t.id), '{}')
    INTO total, ids
    FROM portfolio_transactions t
    JOIN portfolios f ON f.id = t.portfolio_id
   WHERE t.tenant_id = tenant AND f.tenant_id = tenant
     AND f.customer_id = (ctr->>'customer_id')::uuid
     AND t.type = ctr->>'type' AND t.status = 'settled' AND t.currency = ctr->>'currency'
     AND t.reversal_of IS NULL
     AND NOT EXISTS (SELECT 1 FROM portfolio_transactions r WHERE r.reversal_of = t.id AND r.status <> 'cancelled')
     AND t.executed_at >= (ctr->>'from')::timestamptz AND t.executed_at < (ctr->>'to')::timestamptz;
  IF total > (ctr->>'threshold')::numeric THEN
    INSERT INTO currency_transaction_reports (tenant_id, customer_id, business_day, direction, currency, total,
                                              transaction_ids, source, due_on, created_by_type, created_by)
    VALUES (tenant, (ctr->>'customer_id')::uuid, (ctr->>'business_day')::date, ctr->>'direction',
            ctr->>'currency', total, ids, 'automatic', (ctr->>'due_on')::date, 'system', 'ctr')
    ON CONFLICT (tenant_id, customer_id, business_day, direction) WHERE source = 'automatic'
    DO UPDATE SET total = EXCLUDED.total, transaction_ids = EXCLUDED.transaction_ids
          WHERE currency_transaction_reports.status = 'open';
  END IF;
END;
$$;
--> statement-breakpoint
-- The ledger write of migrations/0012, with what the money check adds to `p`:
--   portfolio.customer_id: the owner the decision rested on (must be unchanged);
--   check: the money check's row (money_checks, snake_case) - written with the transaction, or alone when the
--     movement is blocked;
--   review {check_id, status, by, at, note}: an analyst's decision on a held movement, which must still be held;
--   ctr: a settled cash movement to count into its business day's CTR (finedge_ctr_count).
CREATE OR REPLACE FUNCTION finedge_ledger_write(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  tenant uuid := (p->>'tenant_id')::uuid;
  idem jsonb := nullif(p->'idempotency', 'null'::jsonb);
  expected jsonb := p->'portfolio';
  begun jsonb;
  folio portfolios;
  item jsonb;
  acct ledger_accounts;
  txn portfolio_transactions;
  chk money_checks;
BEGIN
  begun := finedge_write_begin(p);
  IF begun IS NOT NULL THEN
    RETURN begun;
  END IF;

  -- What the decision rested on, under the portfolio's lock.
  SELECT * INTO folio FROM portfolios WHERE tenant_id = tenant AND id = (expected->>'id')::uuid FOR UPDATE;
  IF NOT FOUND
     OR folio.status <> expected->>'status'
     OR folio.organization_id <> (expected->>'organization_id')::uuid
     OR folio.allow_negative_cash <> (expected->>'allow_negative_cash')::boolean
     OR (expected ? 'customer_id' AND folio.customer_id IS DISTINCT FROM (expected->>'customer_id')::uuid)
     OR NOT finedge_caller_holds(tenant, p->'caller', folio.organization_id)
     OR (expected ? 'book' AND finedge_book_version(folio.id) <> expected->>'book')
     OR (expected ? 'newest_at' AND EXISTS (
           SELECT 1 FROM portfolio_transactions t
            WHERE t.portfolio_id = folio.id AND t.status <> 'cancelled'
              AND t.executed_at > (expected->>'newest_at')::timestamptz))
     OR (p ? 'status_change' AND NOT EXISTS (
           SELECT 1 FROM portfolio_transactions t
            WHERE t.portfolio_id = folio.id AND t.id = (p->'status_change'->>'id')::uuid AND t.status = 'pending'))
     OR (p ? 'review' AND NOT EXISTS (
           SELECT 1 FROM money_checks c
            WHERE c.tenant_id = tenant AND c.id = (p->'review'->>'check_id')::uuid AND c.review_status = 'held'))
  THEN
    RETURN jsonb_build_object('outcome', 'stale');
  END IF;

  -- Today's balances: each account gives at most what it has available (a new account has nothing).
  FOR item IN SELECT value FROM jsonb_array_elements(coalesce(p->'holds', '[]'::jsonb)) LOOP
    SELECT * INTO acct FROM ledger_accounts
     WHERE portfolio_id = folio.id AND kind = item->>'kind' AND unit = item->>'unit';
    IF NOT coalesce(acct.may_go_negative, (item->>'may_go_negative')::boolean)
       AND coalesce(acct.balance - acct.reserved, 0) < (item->>'amount')::numeric THEN
      IF idem IS NOT NULL THEN PERFORM finedge_record_response(tenant, idem, item->'refusal'); END IF;
      RETURN (item->'refusal') || jsonb_build_object('outcome', 'refused');
    END IF;
  END LOOP;

  INSERT INTO ledger_accounts (tenant_id, portfolio_id, kind, unit, asset_id, may_go_negative)
  SELECT tenant, folio.id, a->>'kind', a->>'unit', (a->>'asset_id')::uuid, (a->>'may_go_negative')::boolean
    FROM jsonb_array_elements(coalesce(p->'accounts', '[]'::jsonb)) AS a
  ON CONFLICT (portfolio_id, kind, unit) DO NOTHING;

  -- Releases before holds, so no intermediate reserve exceeds a balance.
  FOR item IN SELECT value FROM jsonb_array_elements(coalesce(p->'reserve', '[]'::jsonb))
              ORDER BY (value->>'delta')::numeric LOOP
    UPDATE ledger_accounts SET reserved = reserved + (item->>'delta')::numeric
     WHERE portfolio_id = folio.id AND kind = item->>'kind' AND unit = item->>'unit';
  END LOOP;

  IF p ? 'status_change' THEN
    UPDATE portfolio_transactions
       SET status = p->'status_change'->>'status',
           settled_at = CASE WHEN p->'status_change'->>'status' = 'settled'
                             THEN (p->'status_change'->>'at')::timestamptz END,
           cancelled_at = CASE WHEN p->'status_change'->>'status' = 'cancelled'
                               THEN (p->'status_change'->>'at')::timestamptz END
     WHERE portfolio_id = folio.id AND id = (p->'status_change'->>'id')::uuid;
  END IF;

  IF p ? 'review' THEN
    UPDATE money_checks
       SET review_status = p->'review'->>'status', reviewed_by = p->'review'->>'by',
           reviewed_at = (p->'review'->>'at')::timestamptz, review_note = p->'review'->>'note'
     WHERE tenant_id = tenant AND id = (p->'review'->>'check_id')::uuid;
  END IF;

  IF p ? 'transaction' THEN
    txn := jsonb_populate_record(NULL::portfolio_transactions, p->'transaction');
    INSERT INTO portfolio_transactions (id, tenant_id, portfolio_id, type, status, asset_id, quantity, price,
                                        price_source, amount, fees, currency, executed_at, note, reversal_of,
                                        created_by_type, created_by, created_at, settled_at, cancelled_at)
    VALUES (txn.id, tenant, folio.id, txn.type, txn.status, txn.asset_id, txn.quantity, txn.price,
            txn.price_source, txn.amount, txn.fees, txn.currency, txn.executed_at, txn.note, txn.reversal_of,
            txn.created_by_type, txn.created_by, txn.created_at, txn.settled_at, txn.cancelled_at);
  END IF;

  IF p ? 'check' THEN
    chk := jsonb_populate_record(NULL::money_checks, p->'check');
    INSERT INTO money_checks (id, tenant_id, portfolio_id, customer_id, transaction_id, type, amount, currency,
                              actor_type, actor_id, ip, device, country, counterparty, score, decision, reasons,
                              signals, policy_version, review_status, created_at)
    VALUES (chk.id, tenant, folio.id, folio.customer_id, chk.transaction_id, chk.type, chk.amount, chk.currency,
            chk.actor_type, chk.actor_id, chk.ip, chk.device, chk.country, chk.counterparty, chk.score,
            chk.decision, chk.reasons, chk.signals, chk.policy_version, chk.review_status, chk.created_at);
  END IF;

  -- One entry at a time, in the given order (increases first): the accounts' CHECK is judged after each.
  FOR item IN SELECT value FROM jsonb_array_elements(coalesce(p->'postings', '[]'::jsonb)) WITH ORDINALITY
              ORDER BY ordinality LOOP
    INSERT INTO ledger_postings (tenant_id, portfolio_id, transaction_id, account_id, unit, amount, created_at)
    SELECT tenant, folio.id, (p->>'posting_transaction_id')::uuid, a.id, a.unit, (item->>'amount')::numeric,
           coalesce((p->>'at')::timestamptz, now())
      FROM ledger_accounts a
     WHERE a.portfolio_id = folio.id AND a.kind = item->>'kind' AND a.unit = item->>'unit';
    IF NOT FOUND THEN
      RAISE EXCEPTION 'finedge_ledger_write: no % account in %', item->>'kind', item->>'unit'
        USING ERRCODE = 'foreign_key_violation';
    END IF;
  END LOOP;

  IF p ? 'ctr' AND folio.customer_id IS NOT NULL THEN
    PERFORM finedge_ctr_count(tenant, p->'ctr' || jsonb_build_object('customer_id', folio.customer_id));
  END IF;

  RETURN finedge_write_end(p);
END;
$$;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION finedge_ctr_count(uuid, jsonb), finedge_ledger_write(jsonb) TO finedge_app;
