CREATE TABLE "asset_prices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"asset_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"price" numeric(38, 18) NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "asset_prices_price_positive" CHECK ("asset_prices"."price" > 0)
);
--> statement-breakpoint
CREATE TABLE "assets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"symbol" text NOT NULL,
	"name" text NOT NULL,
	"asset_class" text NOT NULL,
	"currency" text NOT NULL,
	"exchange" text,
	"quantity_scale" integer NOT NULL,
	"feed_symbol" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "assets_symbol_upper" CHECK ("assets"."symbol" = upper("assets"."symbol")),
	CONSTRAINT "assets_currency_iso" CHECK ("assets"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "assets_quantity_scale_range" CHECK ("assets"."quantity_scale" between 0 and 18)
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"tenant_id" uuid NOT NULL,
	"key" text NOT NULL,
	"route" text NOT NULL,
	"request_hash" text NOT NULL,
	"response_status" integer NOT NULL,
	"response_body" text NOT NULL,
	"response_content_type" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_tenant_id_key_route_pk" PRIMARY KEY("tenant_id","key","route")
);
--> statement-breakpoint
CREATE TABLE "ledger_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"unit" text NOT NULL,
	"asset_id" uuid,
	"balance" numeric(38, 18) DEFAULT '0' NOT NULL,
	"reserved" numeric(38, 18) DEFAULT '0' NOT NULL,
	"may_go_negative" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_accounts_id_portfolio_unit_key" UNIQUE("id","portfolio_id","unit"),
	CONSTRAINT "ledger_accounts_reserved_non_negative" CHECK ("ledger_accounts"."reserved" >= 0),
	CONSTRAINT "ledger_accounts_available_non_negative" CHECK ("ledger_accounts"."may_go_negative" or "ledger_accounts"."balance" - "ledger_accounts"."reserved" >= 0)
);
--> statement-breakpoint
CREATE TABLE "ledger_postings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "ledger_postings_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"transaction_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"unit" text NOT NULL,
	"amount" numeric(38, 18) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_postings_amount_non_zero" CHECK ("ledger_postings"."amount" <> 0)
);
--> statement-breakpoint
CREATE TABLE "portfolio_transactions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "portfolio_transactions_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"portfolio_id" uuid NOT NULL,
	"type" text NOT NULL,
	"status" text NOT NULL,
	"asset_id" uuid,
	"quantity" numeric(38, 18),
	"price" numeric(38, 18),
	"price_source" text,
	"amount" numeric(38, 18) NOT NULL,
	"fees" numeric(38, 18) DEFAULT '0' NOT NULL,
	"currency" text NOT NULL,
	"executed_at" timestamp with time zone NOT NULL,
	"note" text,
	"reversal_of" uuid,
	"created_by_type" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"settled_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	CONSTRAINT "portfolio_transactions_id_portfolio_key" UNIQUE("id","portfolio_id"),
	CONSTRAINT "portfolio_transactions_quantity_positive" CHECK ("portfolio_transactions"."quantity" is null or "portfolio_transactions"."quantity" > 0),
	CONSTRAINT "portfolio_transactions_price_positive" CHECK ("portfolio_transactions"."price" is null or "portfolio_transactions"."price" > 0),
	CONSTRAINT "portfolio_transactions_amounts_non_negative" CHECK ("portfolio_transactions"."amount" >= 0 and "portfolio_transactions"."fees" >= 0),
	CONSTRAINT "portfolio_transactions_trade_fields" CHECK (("portfolio_transactions"."type" in ('buy', 'sell')) = ("portfolio_transactions"."quantity" is not null and "portfolio_transactions"."price" is not null and "portfolio_transactions"."asset_id" is not null)),
	CONSTRAINT "portfolio_transactions_status_times" CHECK (("portfolio_transactions"."status" = 'settled') = ("portfolio_transactions"."settled_at" is not null) and ("portfolio_transactions"."status" = 'cancelled') = ("portfolio_transactions"."cancelled_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "portfolios" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"organization_id" uuid NOT NULL,
	"owner_id" uuid,
	"name" text NOT NULL,
	"base_currency" text NOT NULL,
	"allow_negative_cash" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "portfolios_base_currency_iso" CHECK ("portfolios"."base_currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
ALTER TABLE "asset_prices" ADD CONSTRAINT "asset_prices_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "asset_prices" ADD CONSTRAINT "asset_prices_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets" ADD CONSTRAINT "assets_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD CONSTRAINT "ledger_accounts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD CONSTRAINT "ledger_accounts_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD CONSTRAINT "ledger_accounts_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_postings" ADD CONSTRAINT "ledger_postings_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_postings" ADD CONSTRAINT "ledger_postings_account_fk" FOREIGN KEY ("account_id","portfolio_id","unit") REFERENCES "public"."ledger_accounts"("id","portfolio_id","unit") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_postings" ADD CONSTRAINT "ledger_postings_transaction_fk" FOREIGN KEY ("transaction_id","portfolio_id") REFERENCES "public"."portfolio_transactions"("id","portfolio_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portfolio_transactions" ADD CONSTRAINT "portfolio_transactions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portfolio_transactions" ADD CONSTRAINT "portfolio_transactions_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portfolio_transactions" ADD CONSTRAINT "portfolio_transactions_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portfolio_transactions" ADD CONSTRAINT "portfolio_transactions_reversal_of_portfolio_transactions_id_fk" FOREIGN KEY ("reversal_of") REFERENCES "public"."portfolio_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portfolios" ADD CONSTRAINT "portfolios_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portfolios" ADD CONSTRAINT "portfolios_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portfolios" ADD CONSTRAINT "portfolios_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "asset_prices_asset_at_key" ON "asset_prices" USING btree ("asset_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "assets_tenant_symbol_key" ON "assets" USING btree ("tenant_id","symbol");--> statement-breakpoint
CREATE INDEX "assets_feed_symbol_idx" ON "assets" USING btree ("feed_symbol") WHERE "assets"."feed_symbol" is not null;--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_idx" ON "idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_accounts_portfolio_kind_unit_key" ON "ledger_accounts" USING btree ("portfolio_id","kind","unit");--> statement-breakpoint
CREATE INDEX "ledger_accounts_tenant_idx" ON "ledger_accounts" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "ledger_postings_portfolio_seq_idx" ON "ledger_postings" USING btree ("portfolio_id","seq");--> statement-breakpoint
CREATE INDEX "ledger_postings_account_idx" ON "ledger_postings" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "ledger_postings_transaction_idx" ON "ledger_postings" USING btree ("transaction_id");--> statement-breakpoint
CREATE INDEX "ledger_postings_tenant_idx" ON "ledger_postings" USING btree ("tenant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "portfolio_transactions_reversal_of_key" ON "portfolio_transactions" USING btree ("reversal_of");--> statement-breakpoint
CREATE INDEX "portfolio_transactions_portfolio_idx" ON "portfolio_transactions" USING btree ("portfolio_id","executed_at","id");--> statement-breakpoint
CREATE INDEX "portfolio_transactions_tenant_idx" ON "portfolio_transactions" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "portfolios_tenant_idx" ON "portfolios" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "portfolios_organization_idx" ON "portfolios" USING btree ("organization_id");--> statement-breakpoint

-- Tenant isolation for every portfolio table (finedge_can_see_tenant is defined in 0002_tenancy).
DO $$
DECLARE
  tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['assets', 'asset_prices', 'portfolios', 'portfolio_transactions', 'ledger_accounts',
                             'ledger_postings', 'idempotency_keys']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (finedge_can_see_tenant(tenant_id)) '
                   'WITH CHECK (finedge_can_see_tenant(tenant_id))', tbl);
  END LOOP;
END
$$;
--> statement-breakpoint
-- Default privileges already grant these; said explicitly so the migration stands on its own.
GRANT SELECT, INSERT, UPDATE, DELETE ON "assets", "asset_prices", "portfolios", "portfolio_transactions",
  "ledger_accounts", "ledger_postings", "idempotency_keys" TO finedge_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE "ledger_postings_seq_seq", "portfolio_transactions_seq_seq" TO finedge_app;
--> statement-breakpoint
-- History is never rewritten: journal entries and observed prices are append-only; transactions are never
-- deleted (their one permitted change, a pending status moving on, is policed by a trigger below).
REVOKE UPDATE, DELETE, TRUNCATE ON "ledger_postings", "asset_prices" FROM finedge_app;
--> statement-breakpoint
REVOKE DELETE, TRUNCATE ON "portfolio_transactions" FROM finedge_app;
--> statement-breakpoint
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON "ledger_postings" FOR EACH ROW EXECUTE FUNCTION finedge_refuse_mutation();
--> statement-breakpoint
CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON "ledger_postings" FOR EACH STATEMENT EXECUTE FUNCTION finedge_refuse_mutation();
--> statement-breakpoint
CREATE TRIGGER asset_prices_append_only BEFORE UPDATE OR DELETE ON "asset_prices" FOR EACH ROW EXECUTE FUNCTION finedge_refuse_mutation();
--> statement-breakpoint
CREATE TRIGGER asset_prices_no_truncate BEFORE TRUNCATE ON "asset_prices" FOR EACH STATEMENT EXECUTE FUNCTION finedge_refuse_mutation();
--> statement-breakpoint
CREATE TRIGGER portfolio_transactions_no_delete BEFORE DELETE ON "portfolio_transactions" FOR EACH ROW EXECUTE FUNCTION finedge_refuse_mutation();
--> statement-breakpoint
CREATE TRIGGER portfolio_transactions_no_truncate BEFORE TRUNCATE ON "portfolio_transactions" FOR EACH STATEMENT EXECUTE FUNCTION finedge_refuse_mutation();
--> statement-breakpoint
-- A transaction's business fields are immutable; its status moves once, from pending to settled or
-- cancelled. Everything else is a new row (a reversal), so what was posted is never rewritten.
CREATE OR REPLACE FUNCTION finedge_portfolio_transaction_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (to_jsonb(NEW) - ARRAY['status', 'settled_at', 'cancelled_at'])
     IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'settled_at', 'cancelled_at']) THEN
    RAISE EXCEPTION 'portfolio_transactions: only the status of a pending transaction may change'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.status <> 'pending' OR NEW.status NOT IN ('settled', 'cancelled') THEN
    RAISE EXCEPTION 'portfolio_transactions: % -> % is not a permitted transition', OLD.status, NEW.status
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER portfolio_transactions_transition BEFORE UPDATE ON "portfolio_transactions" FOR EACH ROW EXECUTE FUNCTION finedge_portfolio_transaction_transition();
--> statement-breakpoint
-- The balance cache moves with every entry, in the same statement, so it cannot drift from the journal;
-- the accounts' CHECK then refuses any entry that would overdraw an account that may not go negative.
CREATE OR REPLACE FUNCTION finedge_ledger_apply_posting() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ledger_accounts SET balance = balance + NEW.amount
    WHERE id = NEW.account_id AND portfolio_id = NEW.portfolio_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ledger_postings: account % not found', NEW.account_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER ledger_postings_apply AFTER INSERT ON "ledger_postings" FOR EACH ROW EXECUTE FUNCTION finedge_ledger_apply_posting();
--> statement-breakpoint
-- Double entry, checked at commit: the entries of one transaction sum to zero in every unit.
CREATE OR REPLACE FUNCTION finedge_ledger_check_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  unbalanced text;
BEGIN
  SELECT unit INTO unbalanced FROM ledger_postings
    WHERE transaction_id = NEW.transaction_id GROUP BY unit HAVING sum(amount) <> 0 LIMIT 1;
  IF unbalanced IS NOT NULL THEN
    RAISE EXCEPTION 'ledger_postings: transaction % does not balance in %', NEW.transaction_id, unbalanced
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON "ledger_postings" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION finedge_ledger_check_balanced();
--> statement-breakpoint
CREATE TRIGGER assets_touch_updated_at BEFORE UPDATE ON "assets" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
--> statement-breakpoint
CREATE TRIGGER portfolios_touch_updated_at BEFORE UPDATE ON "portfolios" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
--> statement-breakpoint
CREATE TRIGGER ledger_accounts_touch_updated_at BEFORE UPDATE ON "ledger_accounts" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
