/**
 * The price feed against a local HTTP server standing in for the provider (test/setup/quote-server.ts):
 * the cron trigger asks once per followed ticker and records the quote for every tenant's following asset.
 */
import { sql } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { loadConfig } from "../../src/config";
import { RequestDatabase } from "../../src/db/client";
import type { Bindings } from "../../src/env";
import { runScheduled } from "../../src/scheduled";
import { refreshPrices } from "../../src/services/prices/refresh";
import { api } from "./auth-helpers";
import { bindings } from "./helpers";
import { createAsset, portfolioIn, transact, uniqueSymbol } from "./portfolio-fixtures";
import { createTenant, query } from "./tenancy-fixtures";

const provider = inject("quoteServer");
const setQuote = async (ticker: string, price: string) => {
  const response = await fetch(`${provider.url}/quotes/${ticker}`, {
    method: "PUT",
    body: JSON.stringify({ price }),
  });
  expect(response.status).toBe(204);
};
const timesAsked = async (ticker: string) =>
  (await (await fetch(`${provider.url}/requests/${ticker}`)).json<{ count: number }>()).count;
const feedBindings = (tickers: string[], apiKey = provider.apiKey): Bindings => ({
  ...bindings,
  PRICE_FEED_URL: `${provider.url}/query`,
  PRICE_FEED_API_KEY: apiKey,
  PRICE_FEED_SYMBOLS: tickers.join(","),
});
const pricesOf = (assetId: string) =>
  query<{ price: string; source: string; at: string }>(
    sql`select price::text, source, at from asset_prices where asset_id = ${assetId} order by at`,
  );

describe("the price feed", () => {
  it("refreshes, on the cron trigger, every tenant's assets that follow an allowed ticker", async () => {
    const [ticker, unlisted, unquoted] = [uniqueSymbol("F"), uniqueSymbol("U"), uniqueSymbol("Q")];
    await setQuote(ticker, "187.4200");
    await setQuote(unlisted, "5.00");
    const first = await createTenant("feed");
    const second = await createTenant("feed");
    const followers = [
      await createAsset(first, { symbol: uniqueSymbol(), feed_symbol: ticker }),
      await createAsset(second, { symbol: uniqueSymbol(), feed_symbol: ticker }),
    ];
    const notAllowed = await createAsset(first, { feed_symbol: unlisted });
    const noQuote = await createAsset(second, { feed_symbol: unquoted });

    await runScheduled(feedBindings([ticker, unquoted]));

    for (const asset of followers) {
      expect(await pricesOf(asset.id)).toEqual([
        { price: "187.420000000000000000", source: "feed", at: expect.any(String) },
      ]);
    }
    expect(await timesAsked(ticker)).toBe(1);
    expect(await timesAsked(unlisted)).toBe(0);
    expect(await timesAsked(unquoted)).toBe(1);
    expect(await pricesOf(notAllowed.id)).toEqual([]);
    expect(await pricesOf(noQuote.id)).toEqual([]);
    const [event] = await query<{ actor_type: string; action: string }>(
      sql`select actor_type, action from audit_events where tenant_id = ${first.id} and action = 'prices.refreshed'`,
    );
    expect(event).toEqual({ actor_type: "system", action: "prices.refreshed" });

    // A trade without a price now takes the fed one.
    const { portfolio } = await portfolioIn(first);
    await transact(first.admin.token, portfolio.id, { type: "deposit", amount: "1000.00" });
    const bought = await transact(first.admin.token, portfolio.id, {
      type: "buy",
      asset_id: followers[0]?.id,
      quantity: "2",
    });
    expect(bought).toMatchObject({ price: "187.42", price_source: "stored", amount: "374.84" });
  });

  it("records one observation per minute: a re-run is a no-op, a changed quote in the same minute is not stored", async () => {
    const ticker = uniqueSymbol("M");
    await setQuote(ticker, "10.5");
    const tenant = await createTenant("feed");
    const asset = await createAsset(tenant, { feed_symbol: ticker });
    const config = loadConfig(feedBindings([ticker]));
    const database = new RequestDatabase({ url: bindings.DATABASE_URL as string, relay: bindings.WS_RELAY });
    try {
      const minute = new Date("2026-04-01T14:30:10Z");
      expect(await refreshPrices(config, database, minute)).toEqual({ tickers: 1, stored: 1, failed: 0 });
      expect(await refreshPrices(config, database, new Date("2026-04-01T14:30:50Z"))).toEqual({
        tickers: 1,
        stored: 0,
        failed: 0,
      });
      await setQuote(ticker, "11");
      expect(await refreshPrices(config, database, minute)).toEqual({ tickers: 1, stored: 0, failed: 0 });
      expect(await refreshPrices(config, database, new Date("2026-04-01T14:31:00Z"))).toEqual({
        tickers: 1,
        stored: 1,
        failed: 0,
      });
    } finally {
      await database.close();
    }
    expect((await pricesOf(asset.id)).map((p) => [p.price, new Date(p.at).toISOString()])).toEqual([
      ["10.500000000000000000", "2026-04-01T14:30:00.000Z"],
      ["11.000000000000000000", "2026-04-01T14:31:00.000Z"],
    ]);
    const latest = await api(`/api/v1/prices/${asset.symbol}`, { token: tenant.admin.token });
    expect((await latest.json<{ latest: { price: string; source: string } }>()).latest).toMatchObject({
      price: "11",
      source: "feed",
    });
  });

  it("is off unless configured, and stores nothing when the provider refuses", async () => {
    const ticker = uniqueSymbol("O");
    await setQuote(ticker, "3.25");
    const tenant = await createTenant("feed");
    const asset = await createAsset(tenant, { feed_symbol: ticker });
    await runScheduled(bindings);
    expect(await timesAsked(ticker)).toBe(0);
    await runScheduled(feedBindings([ticker], "wrong-key"));
    expect(await timesAsked(ticker)).toBe(1);
    expect(await pricesOf(asset.id)).toEqual([]);
  });
});
