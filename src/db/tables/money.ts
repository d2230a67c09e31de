/**
 * Money-movement checks: the tenant's versioned policy, every check of a movement with the facts it was
 * scored on, the tenant's blocklist, and currency transaction reports (CTRs). See migrations/0019.
 */
import { sql } from "drizzle-orm";
import {
  check,
  date,
  index,
  inet,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, tenantRef, updatedAt } from "./columns";
import { customers } from "./compliance";
import { portfolios, portfolioTransactions } from "./portfolios";

const decimal = (name: string) => numeric(name, { precision: 38, scale: 18 });

export const MONEY_CHECK_TYPES = ["buy", "sell", "deposit", "withdrawal"] as const;
export type MoneyCheckType = (typeof MONEY_CHECK_TYPES)[number];
export const MONEY_DECISIONS = ["allow", "review", "block"] as const;
export type MoneyDecision = (typeof MONEY_DECISIONS)[number];
export const REVIEW_STATUSES = ["held", "approved", "rejected"] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];
export const BLOCKLIST_KINDS = ["ip", "email", "domain", "customer", "counterparty"] as const;
export type BlocklistKind = (typeof BLOCKLIST_KINDS)[number];
export const CTR_DIRECTIONS = ["in", "out"] as const;
export type CtrDirection = (typeof CTR_DIRECTIONS)[number];

/** A tenant's money-movement policy: each change a new version; the newest is in force. */
export const moneyPolicies = pgTable(
  "money_policies",
  {
    tenantId: tenantRef(),
    version: integer("version").notNull(),
    policy: jsonb("policy").notNull(),
    createdByType: text("created_by_type").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ name: "money_policies_pkey", columns: [t.tenantId, t.version] })],
);

/** Every check of a money movement: its score, decision and reasons, and the facts it was scored on. */
export const moneyChecks = pgTable(
  "money_checks",
  {
    id: uuid("id").primaryKey(),
    tenantId: tenantRef(),
    portfolioId: uuid("portfolio_id")
      .notNull()
      .references(() => portfolios.id),
    customerId: uuid("customer_id").references(() => customers.id),
    /** The transaction posted; null when the movement was blocked. */
    transactionId: uuid("transaction_id").references(() => portfolioTransactions.id),
    type: text("type", { enum: MONEY_CHECK_TYPES }).notNull(),
    amount: decimal("amount").notNull(),
    currency: text("currency").notNull(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id").notNull(),
    ip: inet("ip"),
    device: text("device"),
    country: text("country"),
    counterparty: text("counterparty"),
    score: integer("score").notNull(),
    decision: text("decision", { enum: MONEY_DECISIONS }).notNull(),
    reasons: jsonb("reasons").$type<Array<{ code: string; points: number; detail: string }>>().notNull(),
    signals: jsonb("signals").$type<Record<string, unknown>>().notNull(),
    policyVersion: integer("policy_version").notNull(),
    reviewStatus: text("review_status", { enum: REVIEW_STATUSES }),
    reviewedBy: text("reviewed_by"),
    reviewedAt: timestamp("reviewed_at", { withTimezone: true }),
    reviewNote: text("review_note"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex("money_checks_transaction_key")
      .on(t.transactionId)
      .where(sql`${t.transactionId} is not null`),
    index("money_checks_tenant_time_idx").on(t.tenantId, t.createdAt),
    check("money_checks_score", sql`${t.score} between 0 and 100`),
  ],
);

/** What the tenant refuses money movements from: networks, e-mail addresses or domains, customers, counterparties. */
export const moneyBlocklist = pgTable(
  "money_blocklist",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    kind: text("kind", { enum: BLOCKLIST_KINDS }).notNull(),
    /** Lower-case: the network as written (CIDR), the address, the domain, the customer's id, the counterparty. */
    value: text("value").notNull(),
    network: text("network"),
    note: text("note"),
    createdByType: text("created_by_type").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("money_blocklist_entry_key").on(t.tenantId, t.kind, t.value)],
);

/** A currency transaction report: one customer's cash in or out over one business day. */
export const currencyTransactionReports = pgTable(
  "currency_transaction_reports",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    customerId: uuid("customer_id")
      .notNull()
      .references(() => customers.id),
    businessDay: date("business_day").notNull(),
    direction: text("direction", { enum: CTR_DIRECTIONS }).notNull(),
    currency: text("currency").notNull(),
    total: decimal("total").notNull(),
    transactionIds: uuid("transaction_ids").array().notNull().default(sql`'{}'`),
    source: text("source", { enum: ["automatic", "manual"] }).notNull(),
    status: text("status", { enum: ["open", "filed"] })
      .notNull()
      .default("open"),
    dueOn: date("due_on").notNull(),
    note: text("note"),
    createdByType: text("created_by_type").notNull(),
    createdBy: text("created_by").notNull(),
    filedAt: timestamp("filed_at", { withTimezone: true }),
    filedBy: text("filed_by"),
    filingReference: text("filing_reference"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("ctr_tenant_time_idx").on(t.tenantId, t.createdAt)],
);
