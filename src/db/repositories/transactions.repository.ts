import { and, asc, eq, getTableColumns, gte, isNotNull, lt, lte, ne, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Querier } from "../client";
import { portfolioTransactions, type TransactionStatus, type TransactionType } from "../tables/portfolios";
import { keyset, type TimePosition } from "./keyset";

const page = keyset(portfolioTransactions.executedAt, portfolioTransactions.id);

export type TransactionRow = typeof portfolioTransactions.$inferSelect;
/** A transaction with the id of the transaction that reversed it, if any. */
export type TransactionRecord = TransactionRow & { reversedBy: string | null };
export type TransactionValues = Omit<
  typeof portfolioTransactions.$inferInsert,
  "id" | "seq" | "createdAt" | "settledAt" | "cancelledAt"
>;

const reversal = alias(portfolioTransactions, "reversal");
const withReversal = { ...getTableColumns(portfolioTransactions), reversedBy: reversal.id };
/**
 * The reversal of `t`, if any. A reversal is always in the portfolio of what it reverses; saying so lets
 * Postgres look it up by that portfolio rather than weigh every transaction the tenant may see.
 */
const reversalOf = (t: typeof portfolioTransactions) =>
  and(eq(reversal.portfolioId, t.portfolioId), eq(reversal.reversalOf, t.id));
const scoped = (tenantId: string, portfolioId: string) =>
  and(eq(portfolioTransactions.tenantId, tenantId), eq(portfolioTransactions.portfolioId, portfolioId));

/** The transaction with this id in the portfolio (a list of one row, or none). */
export function transactionById(db: Querier, tenantId: string, portfolioId: string, id: string) {
  return db
    .select(withReversal)
    .from(portfolioTransactions)
    .leftJoin(reversal, reversalOf(portfolioTransactions))
    .where(and(scoped(tenantId, portfolioId), eq(portfolioTransactions.id, id)))
    .limit(1);
}

/** The assets the portfolio's transactions name (all of them, or transaction `id`'s), as a subquery. */
export function transactionAssets(db: Querier, tenantId: string, portfolioId: string, id?: string) {
  const conditions = [scoped(tenantId, portfolioId), isNotNull(portfolioTransactions.assetId)];
  if (id) conditions.push(eq(portfolioTransactions.id, id));
  return db
    .selectDistinct({ id: portfolioTransactions.assetId })
    .from(portfolioTransactions)
    .where(and(...conditions));
}

export interface TransactionFilters {
  type?: TransactionType | undefined;
  assetId?: string | undefined;
  status?: TransactionStatus | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/** The portfolio's transactions, most recently executed first, keyed by (executed_at, id). */
export function listTransactions(
  tx: Querier,
  tenantId: string,
  portfolioId: string,
  options: TransactionFilters & { before?: TimePosition | undefined; limit: number },
) {
  const t = portfolioTransactions;
  const conditions = [scoped(tenantId, portfolioId)];
  if (options.type) conditions.push(eq(t.type, options.type));
  if (options.assetId) conditions.push(eq(t.assetId, options.assetId));
  if (options.status) conditions.push(eq(t.status, options.status));
  if (options.from) conditions.push(gte(t.executedAt, options.from));
  if (options.to) conditions.push(lte(t.executedAt, options.to));
  if (options.before) conditions.push(page.before(options.before));
  return tx
    .select(withReversal)
    .from(t)
    .leftJoin(reversal, reversalOf(t))
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(options.limit);
}

/**
 * What the books read of a transaction (replay, valuation, the backdating check): its terms, state, order
 * and price - not who made it or when it was recorded. Holdings and performance read every transaction of
 * the portfolio, so each column left out is left out of every row.
 */
const bookColumns = {
  id: portfolioTransactions.id,
  seq: portfolioTransactions.seq,
  type: portfolioTransactions.type,
  status: portfolioTransactions.status,
  assetId: portfolioTransactions.assetId,
  quantity: portfolioTransactions.quantity,
  price: portfolioTransactions.price,
  amount: portfolioTransactions.amount,
  fees: portfolioTransactions.fees,
  currency: portfolioTransactions.currency,
  executedAt: portfolioTransactions.executedAt,
  reversalOf: portfolioTransactions.reversalOf,
  reversedBy: reversal.id,
};

/**
 * Every transaction that is or may become part of the books (all but cancelled), oldest first. With
 * `ifAnyAfter`, only when one of them was executed after that time (none otherwise): what a backdated write
 * must replay, read in the same batch as everything else it needs.
 */
export function bookTransactions(
  tx: Querier,
  tenantId: string,
  portfolioId: string,
  options: { executedBefore?: Date; ifAnyAfter?: Date } = {},
) {
  const t = portfolioTransactions;
  const conditions = [scoped(tenantId, portfolioId), ne(t.status, "cancelled")];
  if (options.executedBefore) conditions.push(lt(t.executedAt, options.executedBefore));
  if (options.ifAnyAfter) {
    conditions.push(
      sql`exists (select 1 from ${t} as later where later.portfolio_id = ${portfolioId}
                     and later.status <> 'cancelled' and later.executed_at > ${options.ifAnyAfter.toISOString()}::timestamptz)`,
    );
  }
  return tx
    .select(bookColumns)
    .from(t)
    .leftJoin(reversal, reversalOf(t))
    .where(and(...conditions))
    .orderBy(asc(t.executedAt), asc(t.seq));
}

/** The UTC midnight starting the day of the portfolio's first transaction on the books, as a subquery. */
export function firstBookDay(tenantId: string, portfolioId: string): SQL {
  const t = portfolioTransactions;
  return sql`(select date_trunc('day', min(${t.executedAt}) at time zone 'UTC') at time zone 'UTC'
                from ${t} where ${and(scoped(tenantId, portfolioId), ne(t.status, "cancelled"))})`;
}
