import { and, asc, desc, eq, isNotNull, sql } from "drizzle-orm";
import { reusable } from "../batch";
import type { Querier } from "../client";
import { type AccountKind, assetPrices, assets, ledgerAccounts, ledgerPostings } from "../tables/portfolios";
import { type SeqPosition, seqKeyset } from "./keyset";

const journal = seqKeyset(ledgerPostings.seq);

export type AccountRow = typeof ledgerAccounts.$inferSelect;
export type PostingRow = typeof ledgerPostings.$inferSelect;

/** An account as the posting rules name it: a kind and a unit (a currency code or an asset id). */
export interface AccountSpec {
  kind: AccountKind;
  unit: string;
  assetId: string | null;
  mayGoNegative: boolean;
}

export const accountKey = (account: { kind: string; unit: string }) => `${account.kind}:${account.unit}`;

export function portfolioAccounts(db: Querier, tenantId: string, portfolioId: string) {
  return accountsStatement(db, { tenantId, portfolioId });
}
const accountsStatement = reusable(
  (db, { tenantId, portfolioId }: { tenantId: string; portfolioId: string }) =>
    db
      .select()
      .from(ledgerAccounts)
      .where(and(eq(ledgerAccounts.tenantId, tenantId), eq(ledgerAccounts.portfolioId, portfolioId)))
      .orderBy(asc(ledgerAccounts.kind), asc(ledgerAccounts.unit)),
);

/** The assets the portfolio has an account in, as a subquery. */
export function accountAssets(db: Querier, tenantId: string, portfolioId: string) {
  return db
    .select({ id: ledgerAccounts.assetId })
    .from(ledgerAccounts)
    .where(
      and(
        eq(ledgerAccounts.tenantId, tenantId),
        eq(ledgerAccounts.portfolioId, portfolioId),
        isNotNull(ledgerAccounts.assetId),
      ),
    );
}

/**
 * The portfolio's accounts as its holdings show them, in one statement: each balance and reservation, and for
 * a position its asset and the asset's latest stored price (null when it has none).
 */
export function holdingAccounts(db: Querier, tenantId: string, portfolioId: string) {
  // Per position, its newest price by the (asset, at) index, read backwards: one row, however long the history.
  // Keyed by the asset alone: the account it comes from is the tenant's (filtered below) and row-level security
  // still confines the prices to the tenant. A tenant condition here too would be planned as if independent of
  // the asset - "few rows match" - and Postgres would sort the asset's whole history instead (0.7 ms at a year).
  const latest = db
    .select({ price: assetPrices.price, at: assetPrices.at })
    .from(assetPrices)
    .where(eq(assetPrices.assetId, ledgerAccounts.assetId))
    .orderBy(desc(assetPrices.at))
    .limit(1)
    .as("latest");
  return db
    .select({
      kind: ledgerAccounts.kind,
      unit: ledgerAccounts.unit,
      balance: ledgerAccounts.balance,
      reserved: ledgerAccounts.reserved,
      asset: { id: assets.id, symbol: assets.symbol, name: assets.name, quantityScale: assets.quantityScale },
      price: { value: latest.price, at: latest.at },
    })
    .from(ledgerAccounts)
    .leftJoin(
      assets,
      and(eq(assets.tenantId, ledgerAccounts.tenantId), eq(assets.id, ledgerAccounts.assetId)),
    )
    .leftJoinLateral(latest, sql`true`)
    .where(and(eq(ledgerAccounts.tenantId, tenantId), eq(ledgerAccounts.portfolioId, portfolioId)))
    .orderBy(asc(ledgerAccounts.kind), asc(ledgerAccounts.unit));
}

/** The entries one transaction posted, with their accounts, in posting order. */
export function transactionPostings(db: Querier, tenantId: string, transactionId: string) {
  return db
    .select({ posting: ledgerPostings, account: ledgerAccounts })
    .from(ledgerPostings)
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerPostings.accountId))
    .where(and(eq(ledgerPostings.tenantId, tenantId), eq(ledgerPostings.transactionId, transactionId)))
    .orderBy(asc(ledgerPostings.seq));
}

/** The portfolio's journal, newest first, keyed by sequence number. */
export function listPostings(
  tx: Querier,
  tenantId: string,
  portfolioId: string,
  options: { before?: SeqPosition | undefined; transactionId?: string | undefined; limit: number },
) {
  const conditions = [eq(ledgerPostings.tenantId, tenantId), eq(ledgerPostings.portfolioId, portfolioId)];
  if (options.before) conditions.push(journal.before(options.before));
  if (options.transactionId) conditions.push(eq(ledgerPostings.transactionId, options.transactionId));
  return tx
    .select({
      posting: ledgerPostings,
      kind: ledgerAccounts.kind,
      assetId: ledgerAccounts.assetId,
      quantityScale: assets.quantityScale,
    })
    .from(ledgerPostings)
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerPostings.accountId))
    .leftJoin(assets, eq(assets.id, ledgerAccounts.assetId))
    .where(and(...conditions))
    .orderBy(...journal.order)
    .limit(options.limit);
}
