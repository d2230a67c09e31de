import { read } from "../../db/batch";
import type { Transaction } from "../../db/client";
import { assetIdsBySymbol, assetsBySymbol } from "../../db/repositories/assets.repository";
import {
  insertPrices,
  latestPricesAmong,
  type PriceRow,
  priceHistory,
  pricesAt,
  pricesAtSymbols,
} from "../../db/repositories/prices.repository";
import { AppError, type FieldError } from "../../errors";
import { Dec } from "../money/decimal";
import { emptyPage, pageOf, timeCursor } from "../pagination";
import type { TenantContext } from "../tenancy/context";
import type { IdempotentRequest } from "../tenancy/idempotency";
import { type Answer, type DecidedWrite, decidedWrite, type RefusalRenderer } from "./decided-write";

export interface PriceInput {
  symbol: string;
  price: string;
  currency: string;
  at: Date;
}

/** An observation bound for the store, with its index in the request (for error pointers). */
export interface PriceToStore {
  index: number;
  assetId: string;
  at: Date;
  price: string;
}

// A price is an observation: one from the future is a client's clock or time-zone mistake.
const FUTURE_SKEW_MS = 60_000;
const itemError = (index: number, field: string, message: string): FieldError => ({
  location: "body",
  pointer: `/items/${index}/${field}`,
  message,
  code: "invalid",
});
const pairKey = (assetId: string, at: Date) => `${assetId}@${at.getTime()}`;

/**
 * Stores observations once per (asset, instant). The same value again is a no-op; a different value for a
 * recorded instant is a conflict (returned, not stored): a price once published stays as it was, so
 * every valuation made from it can be reproduced. Corrections are new observations at new instants.
 */
export async function storePrices(
  tx: Transaction,
  tenantId: string,
  rows: PriceToStore[],
  source: "api" | "feed",
): Promise<{ inserted: number; unchanged: number; conflicts: PriceToStore[] }> {
  const created = await insertPrices(
    tx,
    rows.map(({ assetId, at, price }) => ({ tenantId, assetId, at, price, source })),
  );
  const fresh = new Set(created.map((row) => pairKey(row.assetId, row.at)));
  const seen = rows.filter((row) => !fresh.has(pairKey(row.assetId, row.at)));
  const recorded = new Map(
    (await pricesAt(tx, tenantId, seen)).map((row) => [pairKey(row.assetId, row.at), row.price]),
  );
  const conflicts = seen.filter((row) => {
    const existing = recorded.get(pairKey(row.assetId, row.at));
    return existing === undefined || !new Dec(existing).eq(row.price);
  });
  return { inserted: created.length, unchanged: seen.length - conflicts.length, conflicts };
}

/** What a batch did: received, newly recorded, and already recorded with the same price. */
export interface IngestSummary {
  received: number;
  inserted: number;
  unchanged: number;
}

/**
 * Ingests a batch all-or-nothing: unknown symbols answer 404, invalid items 422 and instants already
 * recorded with another value 409 - each naming every offending item - and nothing is stored. Decided on one
 * batch read (the assets and what is recorded at the given instants) and made in one call
 * (finedge_ingest_prices), which claims the Idempotency-Key and fails whole, to be decided again, should an
 * instant have been recorded meanwhile.
 */
export async function ingestPrices(
  ctx: TenantContext,
  items: PriceInput[],
  options: {
    idempotency: IdempotentRequest | undefined;
    answers: { ingested: (summary: IngestSummary) => Answer; refusal: RefusalRenderer };
  },
): Promise<Answer> {
  const { tenantId } = ctx;
  const symbols = [...new Set(items.map((item) => item.symbol))];
  return decidedWrite(
    ctx,
    {
      permission: "prices:write",
      idempotency: options.idempotency,
      refusal: options.answers.refusal,
      fn: "finedge_ingest_prices",
      payload: (write: PriceWrite) => ({
        items: write.rows.map((row) => ({
          asset_id: row.assetId,
          at: row.at.toISOString(),
          price: row.price,
        })),
        source: "api",
        inserted: write.inserted,
      }),
      stale: "Prices for these instants kept arriving while this batch was decided; retry it.",
    },
    async () => {
      const found = await ctx.read((db) => ({
        assets: read(assetsBySymbol(db, tenantId, symbols)),
        recorded: read(pricesAtSymbols(db, tenantId, items)),
      }));
      const assets = new Map(found.assets.map((a) => [a.symbol, a]));
      const unknown = items.flatMap((item, i) =>
        assets.has(item.symbol) ? [] : [itemError(i, "symbol", `No asset has the symbol ${item.symbol}.`)],
      );
      if (unknown.length > 0)
        throw new AppError("not_found", "Some symbols name no asset.", { errors: unknown });

      const errors: FieldError[] = [];
      const rows = new Map<string, PriceToStore>();
      const latestAllowed = ctx.now().getTime() + FUTURE_SKEW_MS;
      items.forEach((item, index) => {
        const asset = assets.get(item.symbol);
        if (!asset) return;
        if (item.currency !== asset.currency) {
          errors.push(itemError(index, "currency", `${asset.symbol} is priced in ${asset.currency}.`));
        }
        if (item.at.getTime() > latestAllowed)
          errors.push(itemError(index, "at", "Prices cannot be in the future."));
        const key = pairKey(asset.id, item.at);
        const earlier = rows.get(key);
        if (earlier && !new Dec(earlier.price).eq(item.price)) {
          errors.push(
            itemError(index, "price", `Item ${earlier.index} gives another price for this instant.`),
          );
        }
        if (!earlier) rows.set(key, { index, assetId: asset.id, at: item.at, price: item.price });
      });
      if (errors.length > 0) throw new AppError("validation_failed", "Some prices are invalid.", { errors });

      const recorded = new Map(found.recorded.map((row) => [pairKey(row.assetId, row.at), row.price]));
      const distinct = [...rows.values()];
      const conflicts = distinct.filter((row) => {
        const existing = recorded.get(pairKey(row.assetId, row.at));
        return existing !== undefined && !new Dec(existing).eq(row.price);
      });
      if (conflicts.length > 0) {
        throw new AppError(
          "conflict",
          "Some instants already have a different price; prices are never rewritten.",
          {
            errors: conflicts.map((row) =>
              itemError(row.index, "price", "A different price is recorded for this instant."),
            ),
          },
        );
      }
      const inserted = distinct.filter((row) => !recorded.has(pairKey(row.assetId, row.at))).length;
      const summary = { received: items.length, inserted, unchanged: items.length - inserted };
      return {
        rows: distinct,
        inserted,
        audit: [
          {
            action: "prices.ingested",
            resourceType: "asset_prices",
            resourceId: null,
            after: { ...summary, symbols: symbols.slice(0, 20) },
          },
        ],
        answer: options.answers.ingested(summary),
      };
    },
  );
}

/** A price batch as decided: the distinct observations, and how many of them are new. */
interface PriceWrite extends DecidedWrite {
  rows: PriceToStore[];
  inserted: number;
}

/** An asset's latest price and, when a range is asked, its history in it (newest first). */
export async function pricesOf(
  ctx: TenantContext,
  symbol: string,
  options: { from?: Date | undefined; to?: Date | undefined; limit: number; cursor?: string | undefined },
) {
  const position = timeCursor(options.cursor);
  const { tenantId } = ctx;
  const ranged = Boolean(options.from || options.to);
  // One batch: the price statements find the asset by its symbol themselves.
  const found = await ctx.read((db) => ({
    asset: read(assetsBySymbol(db, tenantId, [symbol]), (rows) => rows[0]),
    latest: read(
      latestPricesAmong(db, tenantId, assetIdsBySymbol(db, tenantId, [symbol])),
      (rows) => rows[0],
    ),
    rows: read(
      priceHistory(db, tenantId, assetIdsBySymbol(db, tenantId, [symbol]), {
        from: options.from,
        to: options.to,
        before: position,
        // Without a range no history is asked for: the statement reads nothing.
        limit: ranged ? options.limit + 1 : 0,
      }),
    ),
  }));
  const { asset, latest } = found;
  if (!asset) throw new AppError("not_found", "No asset has this symbol.");
  if (!ranged) return { asset, latest, history: emptyPage<PriceRow>() };
  return {
    asset,
    latest,
    history: pageOf(found.rows, options.limit, (row) => ({ createdAt: row.at, id: row.id })),
  };
}
