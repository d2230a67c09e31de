import { and, count, eq, inArray, type SQLWrapper } from "drizzle-orm";
import { reusable } from "../batch";
import type { Querier, Transaction } from "../client";
import { ledgerAccounts, portfolios, portfolioTransactions } from "../tables/portfolios";
import { keyset, type TimePosition } from "./keyset";

export type PortfolioRow = typeof portfolios.$inferSelect;

const page = keyset(portfolios.createdAt, portfolios.id);

export async function findPortfolio(
  tx: Transaction,
  tenantId: string,
  id: string,
): Promise<PortfolioRow | undefined> {
  const [row] = await portfolioById(tx, tenantId, id);
  return row;
}

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

/**
 * The portfolio, locked until the transaction ends. Every write that moves its money takes this lock
 * first, so checks of balances made under it still hold at commit: no double spending, whatever the
 * concurrency. (Taken before the audit chain's lock, always in that order, so writers cannot deadlock.)
 */
export async function lockPortfolio(
  tx: Transaction,
  tenantId: string,
  id: string,
): Promise<PortfolioRow | undefined> {
  const [row] = await tx
    .select()
    .from(portfolios)
    .where(and(eq(portfolios.tenantId, tenantId), eq(portfolios.id, id)))
    .limit(1)
    .for("update");
  return row;
}

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

export async function insertPortfolio(
  tx: Transaction,
  values: Omit<typeof portfolios.$inferInsert, "id" | "createdAt" | "updatedAt" | "status">,
): Promise<PortfolioRow> {
  const [row] = await tx.insert(portfolios).values(values).returning();
  if (!row) throw new Error("portfolio insert returned nothing");
  return row;
}

export async function updatePortfolio(
  tx: Transaction,
  tenantId: string,
  id: string,
  fields: Partial<Pick<PortfolioRow, "name" | "allowNegativeCash" | "status">>,
): Promise<PortfolioRow | undefined> {
  const [row] = await tx
    .update(portfolios)
    .set(fields)
    .where(and(eq(portfolios.tenantId, tenantId), eq(portfolios.id, id)))
    .returning();
  if (row && fields.allowNegativeCash !== undefined) {
    // Cash accounts carry the permission the balance CHECK reads.
    await tx
      .update(ledgerAccounts)
      .set({ mayGoNegative: fields.allowNegativeCash })
      .where(
        and(
          eq(ledgerAccounts.tenantId, tenantId),
          eq(ledgerAccounts.portfolioId, id),
          eq(ledgerAccounts.kind, "cash"),
        ),
      );
  }
  return row;
}

/** How many transactions (of any status) the portfolio has. */
export async function countTransactions(tx: Transaction, tenantId: string, portfolioId: string) {
  const [row] = await tx
    .select({ n: count() })
    .from(portfolioTransactions)
    .where(
      and(eq(portfolioTransactions.tenantId, tenantId), eq(portfolioTransactions.portfolioId, portfolioId)),
    );
  return row?.n ?? 0;
}

/** Deletes a portfolio that never had a transaction (and so has no postings), with any empty accounts. */
export async function deletePortfolio(tx: Transaction, tenantId: string, id: string): Promise<void> {
  await tx
    .delete(ledgerAccounts)
    .where(and(eq(ledgerAccounts.tenantId, tenantId), eq(ledgerAccounts.portfolioId, id)));
  await tx.delete(portfolios).where(and(eq(portfolios.tenantId, tenantId), eq(portfolios.id, id)));
}
