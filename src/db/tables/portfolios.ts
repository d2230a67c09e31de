/**
 * Portfolio tables: the tenant's reference data (assets, prices), portfolios, their transactions and the
 * double-entry ledger underneath, and stored idempotent responses. Every row carries its tenant; row-level
 * security, the append-only triggers and the balance checks are in the migration that creates them.
 */
import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, tenantRef, updatedAt } from "./columns";
import { users } from "./identity";
import { organizations } from "./tenancy";

// Every quantity, price and amount: exact decimals, 20 integer digits and 18 decimals (wei-sized units fit).
const decimal = (name: string) => numeric(name, { precision: 38, scale: 18 });
const currencyCode = (name: string) => text(name).notNull();

export const ASSET_CLASSES = ["stock", "etf", "crypto", "commodity", "cash"] as const;
export const TRANSACTION_TYPES = ["buy", "sell", "deposit", "withdrawal", "dividend", "fee"] as const;
export const TRANSACTION_STATUSES = ["pending", "settled", "cancelled"] as const;
export const ACCOUNT_KINDS = ["cash", "position", "equity", "external", "income", "expense"] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

export const assets = pgTable(
  "assets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    /** Upper-case; unique in the tenant. */
    symbol: text("symbol").notNull(),
    name: text("name").notNull(),
    assetClass: text("asset_class", { enum: ASSET_CLASSES }).notNull(),
    currency: currencyCode("currency"),
    exchange: text("exchange"),
    /** Decimal places a quantity may have (0 for whole shares, 8 for bitcoin). */
    quantityScale: integer("quantity_scale").notNull(),
    /** The quote provider's ticker this asset follows; null: not refreshed by the price feed. */
    feedSymbol: text("feed_symbol"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("assets_tenant_symbol_key").on(t.tenantId, t.symbol),
    index("assets_feed_symbol_idx").on(t.feedSymbol).where(sql`${t.feedSymbol} is not null`),
    check("assets_symbol_upper", sql`${t.symbol} = upper(${t.symbol})`),
    check("assets_currency_iso", sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check("assets_quantity_scale_range", sql`${t.quantityScale} between 0 and 18`),
  ],
);

/** Observed prices: append-only, one per asset and instant. */
export const assetPrices = pgTable(
  "asset_prices",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    assetId: uuid("asset_id")
      .notNull()
      .references(() => assets.id),
    at: timestamp("at", { withTimezone: true }).notNull(),
    price: decimal("price").notNull(),
    source: text("source", { enum: ["api", "feed"] }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("asset_prices_asset_at_key").on(t.assetId, t.at),
    check("asset_prices_price_positive", sql`${t.price} > 0`),
  ],
);

export const portfolios = pgTable(
  "portfolios",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    ownerId: uuid("owner_id").references(() => users.id),
    /** The account holder (customers); null for a house portfolio. See migrations/0019. */
    customerId: uuid("customer_id"),
    name: text("name").notNull(),
    baseCurrency: currencyCode("base_currency"),
    allowNegativeCash: boolean("allow_negative_cash").notNull().default(false),
    status: text("status", { enum: ["active", "archived"] })
      .notNull()
      .default("active"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("portfolios_tenant_idx").on(t.tenantId, t.createdAt),
    index("portfolios_organization_idx").on(t.organizationId),
    check("portfolios_base_currency_iso", sql`${t.baseCurrency} ~ '^[A-Z]{3}$'`),
  ],
);

/**
 * A transaction's business fields never change; only a pending one's status moves, once, to settled or
 * cancelled (a trigger enforces both). Settled ones are corrected by a reversing transaction.
 */
export const portfolioTransactions = pgTable(
  "portfolio_transactions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Creation order, for stable replay of transactions executed at the same instant. */
    seq: bigint("seq", { mode: "number" }).notNull().generatedAlwaysAsIdentity(),
    tenantId: tenantRef(),
    portfolioId: uuid("portfolio_id")
      .notNull()
      .references(() => portfolios.id),
    type: text("type", { enum: TRANSACTION_TYPES }).notNull(),
    status: text("status", { enum: TRANSACTION_STATUSES }).notNull(),
    assetId: uuid("asset_id").references(() => assets.id),
    quantity: decimal("quantity"),
    price: decimal("price"),
    priceSource: text("price_source", { enum: ["given", "stored"] }),
    /** The cash amount: quantity x price for trades (rounded to the currency's minor unit), else as given. */
    amount: decimal("amount").notNull(),
    fees: decimal("fees").notNull().default("0"),
    currency: currencyCode("currency"),
    executedAt: timestamp("executed_at", { withTimezone: true }).notNull(),
    note: text("note"),
    reversalOf: uuid("reversal_of").references((): AnyPgColumn => portfolioTransactions.id),
    createdByType: text("created_by_type", { enum: ["user", "api_key", "system"] }).notNull(),
    createdBy: uuid("created_by"),
    createdAt: createdAt(),
    settledAt: timestamp("settled_at", { withTimezone: true }),
    cancelledAt: timestamp("cancelled_at", { withTimezone: true }),
  },
  (t) => [
    // Targets of the postings' composite foreign keys: constraints, so they exist before those keys.
    unique("portfolio_transactions_id_portfolio_key").on(t.id, t.portfolioId),
    // A transaction is reversed at most once.
    uniqueIndex("portfolio_transactions_reversal_of_key").on(t.reversalOf),
    index("portfolio_transactions_portfolio_idx").on(t.portfolioId, t.executedAt, t.id),
    index("portfolio_transactions_tenant_idx").on(t.tenantId),
    check("portfolio_transactions_quantity_positive", sql`${t.quantity} is null or ${t.quantity} > 0`),
    check("portfolio_transactions_price_positive", sql`${t.price} is null or ${t.price} > 0`),
    check("portfolio_transactions_amounts_non_negative", sql`${t.amount} >= 0 and ${t.fees} >= 0`),
    check(
      "portfolio_transactions_trade_fields",
      sql`(${t.type} in ('buy', 'sell')) = (${t.quantity} is not null and ${t.price} is not null and ${t.assetId} is not null)`,
    ),
    check(
      "portfolio_transactions_status_times",
      sql`(${t.status} = 'settled') = (${t.settledAt} is not null) and (${t.status} = 'cancelled') = (${t.cancelledAt} is not null)`,
    ),
  ],
);

/**
 * Ledger accounts of a portfolio, one per (kind, unit): a unit is a currency code or an asset id. `balance`
 * caches the sum of the account's postings (kept by a trigger on postings); `reserved` holds what pending
 * transactions will take out. Accounts that may not go negative (positions; cash unless the portfolio
 * allows it) are held to `balance - reserved >= 0` by a CHECK, the database's last word on overspending.
 */
export const ledgerAccounts = pgTable(
  "ledger_accounts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    portfolioId: uuid("portfolio_id")
      .notNull()
      .references(() => portfolios.id),
    kind: text("kind", { enum: ACCOUNT_KINDS }).notNull(),
    unit: text("unit").notNull(),
    assetId: uuid("asset_id").references(() => assets.id),
    balance: decimal("balance").notNull().default("0"),
    reserved: decimal("reserved").notNull().default("0"),
    mayGoNegative: boolean("may_go_negative").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("ledger_accounts_portfolio_kind_unit_key").on(t.portfolioId, t.kind, t.unit),
    unique("ledger_accounts_id_portfolio_unit_key").on(t.id, t.portfolioId, t.unit),
    index("ledger_accounts_tenant_idx").on(t.tenantId),
    check("ledger_accounts_reserved_non_negative", sql`${t.reserved} >= 0`),
    check(
      "ledger_accounts_available_non_negative",
      sql`${t.mayGoNegative} or ${t.balance} - ${t.reserved} >= 0`,
    ),
  ],
);

/**
 * The journal: append-only entries, debit positive and credit negative. A deferred trigger refuses a
 * transaction whose entries do not sum to zero in every unit; the composite keys tie each entry to an
 * account of the same portfolio and unit, and to a transaction of the same portfolio.
 */
export const ledgerPostings = pgTable(
  "ledger_postings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    seq: bigint("seq", { mode: "number" }).notNull().generatedAlwaysAsIdentity(),
    tenantId: tenantRef(),
    portfolioId: uuid("portfolio_id").notNull(),
    transactionId: uuid("transaction_id").notNull(),
    accountId: uuid("account_id").notNull(),
    unit: text("unit").notNull(),
    amount: decimal("amount").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    foreignKey({
      name: "ledger_postings_account_fk",
      columns: [t.accountId, t.portfolioId, t.unit],
      foreignColumns: [ledgerAccounts.id, ledgerAccounts.portfolioId, ledgerAccounts.unit],
    }),
    foreignKey({
      name: "ledger_postings_transaction_fk",
      columns: [t.transactionId, t.portfolioId],
      foreignColumns: [portfolioTransactions.id, portfolioTransactions.portfolioId],
    }),
    index("ledger_postings_portfolio_seq_idx").on(t.portfolioId, t.seq),
    index("ledger_postings_account_idx").on(t.accountId),
    index("ledger_postings_transaction_idx").on(t.transactionId),
    index("ledger_postings_tenant_idx").on(t.tenantId),
    check("ledger_postings_amount_non_zero", sql`${t.amount} <> 0`),
  ],
);

/** The first response to an Idempotency-Key, replayed to retries until it expires. */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    tenantId: tenantRef(),
    key: text("key").notNull(),
    /** Method and route pattern: one key names one request to one endpoint. */
    route: text("route").notNull(),
    /** SHA-256 of the canonical request (caller, path, query, body). */
    requestHash: text("request_hash").notNull(),
    responseStatus: integer("response_status").notNull(),
    responseBody: text("response_body").notNull(),
    responseContentType: text("response_content_type"),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.key, t.route] }),
    index("idempotency_keys_expires_idx").on(t.expiresAt),
  ],
);
