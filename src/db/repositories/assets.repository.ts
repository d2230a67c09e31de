import { and, desc, eq, ilike, inArray, isNotNull, lte, or, type SQLWrapper, sql } from "drizzle-orm";
import type { Database, Querier } from "../client";
import { requirement } from "../requirements";
import { assetPrices, assets } from "../tables/portfolios";
import { keyset, type TimePosition } from "./keyset";

export type AssetRow = typeof assets.$inferSelect;
export type AssetValues = Omit<typeof assets.$inferInsert, "id" | "createdAt" | "updatedAt">;

const page = keyset(assets.createdAt, assets.id);
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** The asset with this id (a list of one row, or none). */
export function assetById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(assets)
    .where(and(eq(assets.tenantId, tenantId), eq(assets.id, id)))
    .limit(1);
}

/**
 * The asset with this id and its latest stored price at or before `at` (null when none), in one statement: a
 * trade names its asset and, without a price of its own, is valued at that price.
 */
export function assetWithPriceAt(db: Querier, tenantId: string, id: string, at: Date) {
  const latest = db
    .select({ price: assetPrices.price, at: assetPrices.at })
    .from(assetPrices)
    .where(and(eq(assetPrices.assetId, assets.id), lte(assetPrices.at, at)))
    .orderBy(desc(assetPrices.at))
    .limit(1)
    .as("latest");
  return db
    .select({ asset: assets, price: { value: latest.price, at: latest.at } })
    .from(assets)
    .leftJoinLateral(latest, sql`true`)
    .where(and(eq(assets.tenantId, tenantId), eq(assets.id, id)))
    .limit(1);
}

/** The tenant's assets with these symbols. */
export function assetsBySymbol(db: Querier, tenantId: string, symbols: string[]) {
  return db
    .select()
    .from(assets)
    .where(and(eq(assets.tenantId, tenantId), inArray(assets.symbol, symbols)));
}

/** The ids of the tenant's assets with these symbols, as a subquery. */
export function assetIdsBySymbol(db: Querier, tenantId: string, symbols: string[]) {
  return db
    .select({ id: assets.id })
    .from(assets)
    .where(and(eq(assets.tenantId, tenantId), inArray(assets.symbol, symbols)));
}

/** The tenant's assets among `ids`: a list, or a subquery giving them. */
export function assetsAmong(db: Querier, tenantId: string, ids: string[] | SQLWrapper) {
  return db
    .select()
    .from(assets)
    .where(and(eq(assets.tenantId, tenantId), inArray(assets.id, ids)));
}

/** The tenant's assets, newest first; `q` matches the symbol or the name, ignoring case. */
export function listAssets(
  tx: Querier,
  tenantId: string,
  options: { q?: string | undefined; before?: TimePosition | undefined; limit: number },
) {
  const conditions = [eq(assets.tenantId, tenantId), page.before(options.before)];
  if (options.q) {
    const pattern = `%${likeLiteral(options.q)}%`;
    const match = or(ilike(assets.symbol, pattern), ilike(assets.name, pattern));
    if (match) conditions.push(match);
  }
  return tx
    .select()
    .from(assets)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(options.limit);
}

/** A statement that fails its batch with `stale` unless the asset's changeable fields are still as read. */
export function assetAsRead(db: Querier, before: AssetRow) {
  return requirement(
    db,
    sql`exists (select 1 from ${assets}
                 where ${assets.tenantId} = ${before.tenantId} and ${assets.id} = ${before.id}
                   and ${assets.name} = ${before.name} and ${assets.assetClass} = ${before.assetClass}
                   and ${assets.exchange} is not distinct from ${before.exchange}
                   and ${assets.quantityScale} = ${before.quantityScale}
                   and ${assets.feedSymbol} is not distinct from ${before.feedSymbol}
                 for update)`,
    "stale",
  );
}

/** Platform scope, for the price feed: every tenant's assets that follow one of these provider tickers. */
export async function listFedAssets(db: Database, feedSymbols: string[]) {
  if (feedSymbols.length === 0) return [];
  return db
    .select({ id: assets.id, tenantId: assets.tenantId, feedSymbol: assets.feedSymbol })
    .from(assets)
    .where(and(isNotNull(assets.feedSymbol), inArray(assets.feedSymbol, feedSymbols)));
}
