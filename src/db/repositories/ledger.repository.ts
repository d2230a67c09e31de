import { and, asc, desc, eq, isNotNull, sql } from "drizzle-orm";
import { reusable } from "../batch";
import type { Querier, Transaction } from "../client";
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

/** Opens the accounts that do not exist yet and returns all of the portfolio's, by `accountKey`. */
export async function ensureAccounts(
  tx: Transaction,
  tenantId: string,
  portfolioId: string,
  specs: AccountSpec[],
): Promise<Map<string, AccountRow>> {
  const existing = new Map(
    (await portfolioAccounts(tx, tenantId, portfolioId)).map((a) => [accountKey(a), a]),
  );
  const missing = specs.filter((spec) => !existing.has(accountKey(spec)));
  if (missing.length > 0) {
    const unique = [...new Map(missing.map((spec) => [accountKey(spec), spec])).values()];
    const created = await tx
      .insert(ledgerAccounts)
      .values(unique.map((spec) => ({ tenantId, portfolioId, ...spec })))
      .returning();
    for (const account of created) existing.set(accountKey(account), account);
  }
  return existing;
}

export async function insertPostings(
  tx: Transaction,
  rows: Array<Omit<typeof ledgerPostings.$inferInsert, "id" | "seq" | "createdAt">>,
): Promise<void> {
  // One statement per entry, in the given order: the balance CHECK is judged after each, so callers
  // put increases before decreases and no intermediate state is refused.
  for (const row of rows) await tx.insert(ledgerPostings).values(row);
}

/** Moves an account's reserve (positive: hold more; negative: release). */
export async function adjustReserved(
  tx: Transaction,
  tenantId: string,
  accountId: string,
  delta: string,
): Promise<void> {
  await tx
    .update(ledgerAccounts)
    .set({ reserved: sql`${ledgerAccounts.reserved} + ${delta}::numeric` })
    .where(and(eq(ledgerAccounts.tenantId, tenantId), eq(ledgerAccounts.id, accountId)));
}

/** The entries one transaction posted, with their accounts. */
export async function postingsOfTransaction(tx: Transaction, tenantId: string, transactionId: string) {
  return tx
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
