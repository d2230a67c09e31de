/**
 * Holdings and performance against examples worked by hand; the arithmetic is in the comments.
 * Time-weighted: each day's factor V(d) / (V(d-1) + flow(d)), chained. Money-weighted: XIRR with days/365.
 */
import { describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import {
  createAsset,
  holdings,
  ingestPrices,
  portfolioIn,
  type TransactionView,
  transact,
  transition,
} from "./portfolio-fixtures";
import { createTenant } from "./tenancy-fixtures";

interface Performance {
  from: string;
  to: string;
  start_value: string;
  end_value: string;
  deposits: string;
  withdrawals: string;
  time_weighted_return: string | null;
  money_weighted_return: string | null;
  realized_pnl: string;
  unrealized_pnl: string;
  dividends: string;
  fees: string;
}

async function setup() {
  const tenant = await createTenant("perf");
  const asset = await createAsset(tenant, { quantity_scale: 0 });
  const { portfolio } = await portfolioIn(tenant);
  const token = tenant.admin.token;
  const post = (body: Record<string, unknown>) => transact(token, portfolio.id, body);
  const performance = async (query: string) => {
    const response = await api(`/api/v1/portfolios/${portfolio.id}/performance${query}`, { token });
    expect(response.status, await response.clone().text()).toBe(200);
    return response.json<Performance>();
  };
  return { tenant, asset, portfolio, token, post, performance };
}

describe("performance", () => {
  it("one year, 1000 in and a 100 dividend: both returns are 10%", async () => {
    const { post, performance } = await setup();
    await post({ type: "deposit", amount: "1000.00", executed_at: "2021-01-01T09:00:00Z" });
    await post({ type: "dividend", amount: "100.00", executed_at: "2021-12-31T12:00:00Z" });
    // TWR: 1 Jan: 1000 / (0 + 1000) = 1; every day after 1, until 31 Dec: 1100 / 1000 = 1.1 -> 0.1.
    // XIRR: -1000 on 1 Jan 2021, +1100 at the end of 31 Dec (1 Jan 2022, 365 days): 1100/1000 - 1 = 0.1.
    expect(await performance("?from=2021-01-01&to=2021-12-31")).toEqual({
      portfolio_id: expect.any(String),
      currency: "USD",
      from: "2021-01-01",
      to: "2021-12-31",
      start_value: "0.00",
      end_value: "1100.00",
      deposits: "1000.00",
      withdrawals: "0.00",
      time_weighted_return: "0.1000000000",
      money_weighted_return: "0.1000000000",
      realized_pnl: "0.00",
      unrealized_pnl: "0.00",
      dividends: "100.00",
      fees: "0.00",
    });
  });

  it("two years with a deposit between: TWR 21% (10% a year), XIRR 10% a year", async () => {
    const { post, performance } = await setup();
    await post({ type: "deposit", amount: "1000.00", executed_at: "2021-01-01T09:00:00Z" });
    await post({ type: "dividend", amount: "100.00", executed_at: "2021-12-31T12:00:00Z" });
    await post({ type: "deposit", amount: "1000.00", executed_at: "2022-01-01T09:00:00Z" });
    await post({ type: "dividend", amount: "210.00", executed_at: "2022-12-31T12:00:00Z" });
    const result = await performance("?from=2021-01-01&to=2022-12-31");
    // TWR: 31 Dec 2021: 1100/1000 = 1.1; 1 Jan 2022: 2100 / (1100 + 1000) = 1; 31 Dec 2022: 2310/2100 = 1.1.
    //      1.1 x 1 x 1.1 - 1 = 0.21.
    // XIRR: -1000 at t=0, -1000 at t=1 year (365 days), +2310 at t=2 years (730 days):
    //      1000(1+r)^2 + 1000(1+r) = 2310  ->  x^2 + x - 2.31 = 0  ->  x = (-1 + sqrt(1 + 9.24)) / 2 = 1.1.
    expect(result).toMatchObject({
      end_value: "2310.00",
      deposits: "2000.00",
      time_weighted_return: "0.2100000000",
      money_weighted_return: "0.1000000000",
      dividends: "310.00",
    });
    // Any sub-range: the second year alone starts from 1100 and grows 10% on 2100.
    // TWR: 1 Jan 2022: 2100/(1100 + 1000) = 1; 31 Dec: 2310/2100 = 1.1.
    // XIRR: -1100 (start value) and -1000 at t=0, +2310 at t=1 -> 2310/2100 - 1 = 0.1.
    expect(await performance("?from=2022-01-01&to=2022-12-31")).toMatchObject({
      start_value: "1100.00",
      time_weighted_return: "0.1000000000",
      money_weighted_return: "0.1000000000",
    });
  });

  it("sub-periods split at flows: +10% then -10% is -1% time-weighted, whatever the amounts", async () => {
    const { asset, token, post, performance } = await setup();
    const close = (day: string, price: string) => ({
      symbol: asset.symbol,
      price,
      at: `2024-03-0${day}T21:00:00Z`,
    });
    await ingestPrices(token, [close("1", "100"), close("2", "110"), close("3", "110"), close("4", "99")]);
    await post({ type: "deposit", amount: "1000.00", executed_at: "2024-03-01T09:00:00Z" });
    await post({
      type: "buy",
      asset_id: asset.id,
      quantity: "10",
      price: "100",
      executed_at: "2024-03-01T10:00:00Z",
    });
    await post({ type: "deposit", amount: "1100.00", executed_at: "2024-03-03T09:00:00Z" });
    await post({
      type: "buy",
      asset_id: asset.id,
      quantity: "10",
      price: "110",
      executed_at: "2024-03-03T10:00:00Z",
    });
    const result = await performance("?from=2024-03-01&to=2024-03-04");
    // 1 Mar: 10 x 100 = 1000 / (0 + 1000) = 1.      2 Mar: 10 x 110 = 1100 / 1000 = 1.1.
    // 3 Mar: 20 x 110 = 2200 / (1100 + 1100) = 1.    4 Mar: 20 x 99 = 1980 / 2200 = 0.9.
    // TWR = 1.1 x 0.9 - 1 = -0.01. Unrealized: 1980 - (1000 + 1100) = -120.
    expect(result).toMatchObject({
      start_value: "0.00",
      end_value: "1980.00",
      deposits: "2100.00",
      time_weighted_return: "-0.0100000000",
      unrealized_pnl: "-120.00",
      realized_pnl: "0.00",
    });
    // XIRR solves -1000 - 1100 v^(2/365) + 1980 v^(4/365) = 0 with v = 1/(1+r)... checked by its definition:
    const r = Number(result.money_weighted_return);
    const npv = -1000 - 1100 / (1 + r) ** (2 / 365) + 1980 / (1 + r) ** (4 / 365);
    expect(r).toBeLessThan(0);
    expect(Math.abs(npv)).toBeLessThan(1e-4);
  });

  it("weighted average cost, realized and unrealized P&L, dividends, fees and weights; reversals leave no trace", async () => {
    const { asset, portfolio, token, post, performance } = await setup();
    const at = (hour: number) => `2025-06-02T${String(hour).padStart(2, "0")}:00:00Z`;
    await post({ type: "deposit", amount: "5000.00", executed_at: at(8) });
    await post({ type: "buy", asset_id: asset.id, quantity: "10", price: "100", executed_at: at(9) });
    await post({
      type: "buy",
      asset_id: asset.id,
      quantity: "10",
      price: "120",
      fees: "2.00",
      executed_at: at(10),
    });
    const mistake = await post({
      type: "buy",
      asset_id: asset.id,
      quantity: "7",
      price: "1",
      executed_at: at(11),
    });
    expect((await transition(token, portfolio.id, mistake.id, "reverse")).status).toBe(201);
    await post({
      type: "sell",
      asset_id: asset.id,
      quantity: "5",
      price: "130",
      fees: "1.00",
      executed_at: at(12),
    });
    await post({ type: "fee", amount: "3.00", executed_at: at(13) });
    await post({ type: "dividend", asset_id: asset.id, amount: "7.25", executed_at: at(14) });
    await ingestPrices(token, [{ symbol: asset.symbol, price: "130", at: at(20) }]);

    // Cost: 10 x 100 = 1000, then + 10 x 120 + 2 = 2202 for 20 units: average 110.1.
    // Sale of 5 at 130 less 1 fee = 649; their cost 5 x 110.1 = 550.50; realized 98.50.
    // Left: 15 units costing 1651.50, worth 15 x 130 = 1950: unrealized 298.50.
    // Cash: 5000 - 1000 - 1202 + 649 - 3 + 7.25 = 3451.25; total 5401.25.
    const held = await holdings(token, portfolio.id);
    expect(held.positions).toEqual([
      expect.objectContaining({
        quantity: "15",
        average_cost: "110.1",
        cost_basis: "1651.50",
        price: "130",
        market_value: "1950.00",
        unrealized_pnl: "298.50",
        weight: "0.3610275399", // 1950 / 5401.25
      }),
    ]);
    expect(held.cash).toEqual({
      balance: "3451.25",
      reserved: "0.00",
      available: "3451.25",
      weight: "0.6389724601",
    });
    expect(held.total_value).toBe("5401.25");

    // One day, capital at its start: 5401.25 / 5000 - 1 = 0.08025 = 98.50 + 298.50 + 7.25 - 3 over 5000.
    expect(await performance("?from=2025-06-02&to=2025-06-02")).toMatchObject({
      time_weighted_return: "0.0802500000",
      realized_pnl: "98.50",
      unrealized_pnl: "298.50",
      dividends: "7.25",
      fees: "6.00", // 2 + 1 on trades, 3 charged
    });
    const list = await api(`/api/v1/portfolios/${portfolio.id}/transactions?asset_id=${asset.id}&type=buy`, {
      token,
    });
    const buys = (await list.json<{ items: TransactionView[] }>()).items;
    expect(buys.filter((t) => t.reversal_of === mistake.id || t.id === mistake.id)).toHaveLength(2);
  });

  it("values a position at its asset's latest stored price, at its latest trade's without one", async () => {
    const { asset, portfolio, token, post } = await setup();
    const at = (hour: number) => `2025-06-03T${String(hour).padStart(2, "0")}:00:00Z`;
    await post({ type: "deposit", amount: "1000.00", executed_at: at(8) });
    await post({ type: "buy", asset_id: asset.id, quantity: "2", price: "100", executed_at: at(9) });
    await post({ type: "buy", asset_id: asset.id, quantity: "1", price: "104", executed_at: at(10) });
    const line = async () => (await holdings(token, portfolio.id)).positions;
    expect(await line()).toEqual([
      expect.objectContaining({
        asset_id: asset.id,
        symbol: asset.symbol,
        name: "Fixture asset",
        quantity: "3",
        price: "104",
        price_at: at(10).replace("Z", ".000Z"),
        price_source: "trade",
        market_value: "312.00",
      }),
    ]);
    // The latest stored price wins over the trade's, whichever was stored last; an older one does not.
    await ingestPrices(token, [
      { symbol: asset.symbol, price: "110", at: at(12) },
      { symbol: asset.symbol, price: "90", at: at(11) },
    ]);
    expect(await line()).toEqual([
      expect.objectContaining({
        price: "110",
        price_at: at(12).replace("Z", ".000Z"),
        price_source: "stored",
        market_value: "330.00",
        unrealized_pnl: "26.00", // 330 - (200 + 104)
      }),
    ]);
  });

  it("refuses a reversed or oversized range", async () => {
    const { performance, portfolio, token } = await setup();
    const bad = async (query: string) =>
      (await api(`/api/v1/portfolios/${portfolio.id}/performance${query}`, { token })).status;
    expect(await bad("?from=2024-02-01&to=2024-01-01")).toBe(400);
    expect(await bad("?from=2000-01-01&to=2024-01-01")).toBe(400);
    expect(await bad("?from=2024-13-01")).toBe(400);
    // Nothing invested: no return, and never NaN.
    expect(await performance("?from=2024-01-01&to=2024-01-31")).toMatchObject({
      time_weighted_return: null,
      money_weighted_return: null,
      end_value: "0.00",
    });
  });
});
