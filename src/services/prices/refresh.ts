import type { AppConfig } from "../../config";
import type { RequestDatabase } from "../../db/client";
import { listFedAssets } from "../../db/repositories/assets.repository";
import { appendAuditEvent } from "../../db/repositories/audit.repository";
import { describeError, log } from "../../logger";
import { storePrices } from "../portfolios/prices";
import { fetchQuote, type Quote } from "./alpha-vantage";

export interface RefreshResult {
  tickers: number;
  stored: number;
  failed: number;
}

/**
 * The cron trigger's price refresh, off unless PRICE_FEED_URL, PRICE_FEED_API_KEY and PRICE_FEED_SYMBOLS are
 * set. Each run asks the provider once per allowed ticker that some tenant's asset follows (`feed_symbol`),
 * and records the quote for every such asset, in its own tenant's scope, observed at the run's minute - so
 * a re-run within the minute is a no-op. A failing ticker or tenant is logged and skipped, never fatal.
 */
export async function refreshPrices(
  config: AppConfig,
  database: RequestDatabase,
  now: Date,
  fetcher: typeof fetch = fetch,
): Promise<RefreshResult> {
  const result: RefreshResult = { tickers: 0, stored: 0, failed: 0 };
  const { PRICE_FEED_URL: url, PRICE_FEED_API_KEY: apiKey, PRICE_FEED_SYMBOLS: allowed } = config;
  if (!url || !apiKey || allowed.length === 0) return result;
  const followers = await listFedAssets(database.db, allowed);
  const tickers = [...new Set(followers.map((asset) => asset.feedSymbol as string))];
  const quotes = new Map<string, Quote>();
  for (const ticker of tickers) {
    result.tickers += 1;
    try {
      const quote = await fetchQuote({ url, apiKey }, ticker, fetcher);
      if ("error" in quote) throw new Error(quote.error);
      quotes.set(ticker, quote);
    } catch (error) {
      result.failed += 1;
      log(config.LOG_LEVEL, "warn", { msg: "price feed: no quote", ticker, error: describeError(error) });
    }
  }
  const at = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const byTenant = new Map<string, typeof followers>();
  for (const asset of followers)
    byTenant.set(asset.tenantId, [...(byTenant.get(asset.tenantId) ?? []), asset]);
  for (const [tenantId, assets] of byTenant) {
    const rows = assets.flatMap((asset, index) => {
      const quote = quotes.get(asset.feedSymbol as string);
      return quote ? [{ index, assetId: asset.id, at, price: quote.price }] : [];
    });
    if (rows.length === 0) continue;
    try {
      const stored = await database.tenant(tenantId, async (tx) => {
        const outcome = await storePrices(tx, tenantId, rows, "feed");
        await appendAuditEvent(tx, {
          tenantId,
          actorType: "system",
          actorId: null,
          action: "prices.refreshed",
          resourceType: "asset_prices",
          resourceId: null,
          summary: {
            after: {
              inserted: outcome.inserted,
              unchanged: outcome.unchanged,
              conflicts: outcome.conflicts.length,
            },
          },
          requestId: null,
          ip: null,
        });
        return outcome;
      });
      result.stored += stored.inserted;
      if (stored.conflicts.length > 0) {
        log(config.LOG_LEVEL, "warn", {
          msg: "price feed: instants already priced differently",
          tenantId,
          conflicts: stored.conflicts.length,
        });
      }
    } catch (error) {
      result.failed += 1;
      log(config.LOG_LEVEL, "error", {
        msg: "price feed: tenant not refreshed",
        tenantId,
        error: describeError(error),
      });
    }
  }
  return result;
}
