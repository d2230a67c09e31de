import { and, desc, eq, gte, inArray, lt, lte, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { Querier, Transaction } from "../client";
import { assetPrices, assets } from "../tables/portfolios";
import { keyset, type TimePosition } from "./keyset";

const history = keyset(assetPrices.at, assetPrices.id);

export type PriceRow = typeof assetPrices.$inferSelect;
export interface PricePoint {
  assetId: string;
  at: Date;
  price: string;
}

/** Inserts observations; an (asset, instant) already recorded is skipped and left out of the result. */
export async function insertPrices(
  tx: Transaction,
  rows: Array<{ tenantId: string; assetId: string; at: Date; price: string; source: "api" | "feed" }>,
): Promise<Array<{ assetId: string; at: Date }>> {
  if (rows.length === 0) return [];
  return tx
    .insert(assetPrices)
    .values(rows)
    .onConflictDoNothing({ target: [assetPrices.assetId, assetPrices.at] })
    .returning({ assetId: assetPrices.assetId, at: assetPrices.at });
}

/** The recorded prices at exactly these (asset, instant) pairs. */
export async function pricesAt(
  tx: Transaction,
  tenantId: string,
  pairs: Array<{ assetId: string; at: Date }>,
): Promise<PricePoint[]> {
  if (pairs.length === 0) return [];
  const ids = pairs.map((pair) => pair.assetId);
  const ats = pairs.map((pair) => pair.at.toISOString());
  return tx
    .select({ assetId: assetPrices.assetId, at: assetPrices.at, price: assetPrices.price })
    .from(assetPrices)
    .where(
      and(
        eq(assetPrices.tenantId, tenantId),
        sql`(${assetPrices.assetId}, ${assetPrices.at}) in (select * from unnest(array[${sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        )}]::uuid[], array[${sql.join(
          ats.map((at) => sql`${at}`),
          sql`, `,
        )}]::timestamptz[]))`,
      ),
    );
}

/** The prices recorded at exactly these (symbol, instant) pairs, as a statement of a batch. */
export function pricesAtSymbols(db: Querier, tenantId: string, pairs: Array<{ symbol: string; at: Date }>) {
  const symbols = sql.join(
    pairs.map((pair) => sql`${pair.symbol}`),
    sql`, `,
  );
  const ats = sql.join(
    pairs.map((pair) => sql`${pair.at.toISOString()}`),
    sql`, `,
  );
  return db
    .select({ assetId: assetPrices.assetId, at: assetPrices.at, price: assetPrices.price })
    .from(assetPrices)
    .innerJoin(assets, and(eq(assets.tenantId, assetPrices.tenantId), eq(assets.id, assetPrices.assetId)))
    .where(
      and(
        eq(assets.tenantId, tenantId),
        sql`(${assets.symbol}, ${assetPrices.at}) in (select * from unnest(array[${symbols}]::text[], array[${ats}]::timestamptz[]))`,
      ),
    );
}

/** The latest stored price of each asset among `assetIds`: a list, or a subquery giving them. */
export function latestPricesAmong(db: Querier, tenantId: string, assetIds: string[] | SQLWrapper) {
  return db
    .selectDistinctOn([assetPrices.assetId], {
      assetId: assetPrices.assetId,
      at: assetPrices.at,
      price: assetPrices.price,
      source: assetPrices.source,
    })
    .from(assetPrices)
    .where(and(eq(assetPrices.tenantId, tenantId), inArray(assetPrices.assetId, assetIds)))
    .orderBy(assetPrices.assetId, desc(assetPrices.at));
}

/** One asset's prices in [from, to], newest first, keyed by (at, id). */
export function priceHistory(
  tx: Querier,
  tenantId: string,
  assetIds: string[] | SQLWrapper,
  options: {
    from?: Date | undefined;
    to?: Date | undefined;
    before?: TimePosition | undefined;
    limit: number;
  },
) {
  const conditions = [eq(assetPrices.tenantId, tenantId), inArray(assetPrices.assetId, assetIds)];
  if (options.from) conditions.push(gte(assetPrices.at, options.from));
  if (options.to) conditions.push(lte(assetPrices.at, options.to));
  if (options.before) conditions.push(history.before(options.before));
  return tx
    .select()
    .from(assetPrices)
    .where(and(...conditions))
    .orderBy(...history.order)
    .limit(options.limit);
}

/**
 * The prices a daily valuation from `from` to `to` (exclusive) needs, as two statements: each asset's last
 * price before `from` (`opening`), and its last price of each UTC day in the range (`closes`). `assetIds` and
 * `from` may be subqueries, so both can ride in one batch with what decides them.
 */
export function dailyCloses(
  db: Querier,
  tenantId: string,
  assetIds: string[] | SQLWrapper,
  from: Date | SQL,
  to: Date,
) {
  const scope = and(eq(assetPrices.tenantId, tenantId), inArray(assetPrices.assetId, assetIds));
  const fields = { assetId: assetPrices.assetId, at: assetPrices.at, price: assetPrices.price };
  const day = sql`(${assetPrices.at} at time zone 'UTC')::date`;
  return {
    opening: db
      .selectDistinctOn([assetPrices.assetId], fields)
      .from(assetPrices)
      .where(and(scope, lt(assetPrices.at, from)))
      .orderBy(assetPrices.assetId, desc(assetPrices.at)),
    closes: db
      .selectDistinctOn([assetPrices.assetId, day], fields)
      .from(assetPrices)
      .where(and(scope, gte(assetPrices.at, from), lt(assetPrices.at, to)))
      .orderBy(assetPrices.assetId, day, desc(assetPrices.at)),
  };
}
