import { and, count, eq, inArray, type SQLWrapper, sql } from "drizzle-orm";
import { read, reusable } from "../batch";
import type { Querier } from "../client";
import { requirement } from "../requirements";
import { ledgerAccounts, portfolios, portfolioTransactions } from "../tables/portfolios";
import { keyset, type TimePosition } from "./keyset";

export type PortfolioRow = typeof portfolios.$inferSelect;

const page = keyset(portfolios.createdAt, portfolios.id);

/** The portfolio with this id (a list of one row, or none). */
export function portfolioById(db: Querier, tenantId: string, id: string) {
  return portfolioStatement(db, { tenantId, id });
}
const portfolioStatement = reusable((db, { tenantId, id }: { tenantId: string; id: string }) =>
  db
    .select()
    .from(portfolios)
    .where(and(eq(portfolios.tenantId, tenantId), eq(portfolios.id, id)))
    .limit(1),
);

/** The tenant's portfolios in the given organizations (or all), newest first. */
export function listPortfolios(
  db: Querier,
  tenantId: string,
  options: {
    /** Every organization, these, or a subquery giving them. */
    organizationIds: "all" | string[] | SQLWrapper;
    /** Only this organization's (still within `organizationIds`). */
    organizationId?: string | undefined;
    status?: "active" | "archived" | undefined;
    before?: TimePosition | undefined;
    limit: number;
  },
) {
  const conditions = [eq(portfolios.tenantId, tenantId)];
  if (options.organizationIds !== "all") {
    conditions.push(inArray(portfolios.organizationId, options.organizationIds));
  }
  if (options.organizationId) conditions.push(eq(portfolios.organizationId, options.organizationId));
  if (options.status) conditions.push(eq(portfolios.status, options.status));
  if (options.before) conditions.push(page.before(options.before));
  return db
    .select()
    .from(portfolios)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(options.limit);
}

/**
 * The statements that set some of a portfolio's fields: the row (returned) and, when whether cash may go
 * negative changes, its cash accounts, which carry the permission the balance CHECK reads.
 */
export function portfolioUpdateStatements(
  db: Querier,
  tenantId: string,
  id: string,
  fields: Partial<Pick<PortfolioRow, "name" | "allowNegativeCash" | "status" | "customerId">>,
) {
  const row = db
    .update(portfolios)
    .set(fields)
    .where(and(eq(portfolios.tenantId, tenantId), eq(portfolios.id, id)))
    .returning();
  const cash =
    fields.allowNegativeCash === undefined
      ? undefined
      : db
          .update(ledgerAccounts)
          .set({ mayGoNegative: fields.allowNegativeCash })
          .where(
            and(
              eq(ledgerAccounts.tenantId, tenantId),
              eq(ledgerAccounts.portfolioId, id),
              eq(ledgerAccounts.kind, "cash"),
            ),
          );
  return { row, cash };
}

/**
 * A statement that fails its batch with `stale` unless the portfolio is still as read - its organization,
 * name, status, cash rule and owner - locking it as every write that moves its money does; `unused` also needs it
 * still to have no transaction (a deletion's condition).
 */
export function portfolioAsRead(db: Querier, before: PortfolioRow, options: { unused?: boolean } = {}) {
  const unused = options.unused
    ? sql`and not exists (select 1 from ${portfolioTransactions}
                           where ${portfolioTransactions.tenantId} = ${before.tenantId}
                             and ${portfolioTransactions.portfolioId} = ${before.id})`
    : sql``;
  return requirement(
    db,
    sql`exists (select 1 from ${portfolios}
                 where ${portfolios.tenantId} = ${before.tenantId} and ${portfolios.id} = ${before.id}
                   and ${portfolios.organizationId} = ${before.organizationId}
                   and ${portfolios.name} = ${before.name} and ${portfolios.status} = ${before.status}
                   and ${portfolios.allowNegativeCash} = ${before.allowNegativeCash}
                   and ${portfolios.customerId} is not distinct from ${before.customerId}::uuid
                 for update) ${unused}`,
    "stale",
  );
}

/** How many transactions (of any status) the portfolio has, as a statement: one row, `n`. */
export function transactionCount(db: Querier, tenantId: string, portfolioId: string) {
  return db
    .select({ n: count() })
    .from(portfolioTransactions)
    .where(
      and(eq(portfolioTransactions.tenantId, tenantId), eq(portfolioTransactions.portfolioId, portfolioId)),
    );
}

/** Deletes a portfolio that never had a transaction (and so has no postings), with any empty accounts. */
export function portfolioDeleteStatements(db: Querier, tenantId: string, id: string) {
  return {
    accounts: read(
      db
        .delete(ledgerAccounts)
        .where(and(eq(ledgerAccounts.tenantId, tenantId), eq(ledgerAccounts.portfolioId, id))),
    ),
    portfolio: read(
      db.delete(portfolios).where(and(eq(portfolios.tenantId, tenantId), eq(portfolios.id, id))),
    ),
  };
}
