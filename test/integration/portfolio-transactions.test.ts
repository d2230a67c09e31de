import { describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import {
  createAsset,
  funded,
  holdings,
  ingestPrices,
  postTransaction,
  refusal,
  type TransactionView,
  transact,
  txPath,
} from "./portfolio-fixtures";

describe("transactions", () => {
  it("never overdraw: buys within cash, sells within the holding, withdrawals within cash", async () => {
    const { asset, portfolio, token } = await funded("1000.00");
    await refusal(
      await postTransaction(token, portfolio.id, {
        type: "buy",
        asset_id: asset.id,
        quantity: "10",
        price: "100",
        fees: "0.01",
      }),
      422,
      "insufficient_funds",
      "/quantity",
    );
    await transact(token, portfolio.id, {
      type: "buy",
      asset_id: asset.id,
      quantity: "9",
      price: "100",
      fees: "5.00",
    });
    await refusal(
      await postTransaction(token, portfolio.id, {
        type: "sell",
        asset_id: asset.id,
        quantity: "10",
        price: "100",
      }),
      422,
      "insufficient_holding",
      "/quantity",
    );
    await refusal(
      await postTransaction(token, portfolio.id, { type: "withdrawal", amount: "95.01" }),
      422,
      "insufficient_funds",
      "/amount",
    );
    await refusal(
      await postTransaction(token, portfolio.id, { type: "fee", amount: "95.01" }),
      422,
      "insufficient_funds",
    );
    await transact(token, portfolio.id, { type: "withdrawal", amount: "95.00" });
    const after = await holdings(token, portfolio.id);
    expect(after.cash.balance).toBe("0.00");
    expect(after.positions[0]).toMatchObject({ quantity: "9", cost_basis: "905.00" });
  });

  it("may take cash below zero where the portfolio allows it", async () => {
    const { asset, portfolio, token } = await funded("0", { allow_negative_cash: true });
    await transact(token, portfolio.id, { type: "buy", asset_id: asset.id, quantity: "2", price: "50.5" });
    expect((await holdings(token, portfolio.id)).cash.balance).toBe("-101.00");
  });

  it("respect the asset's quantity precision and the currency's minor unit", async () => {
    const { tenant, portfolio, token } = await funded("1000.00");
    const coin = await createAsset(tenant, { quantity_scale: 8, asset_class: "crypto" });
    await refusal(
      await postTransaction(token, portfolio.id, {
        type: "buy",
        asset_id: coin.id,
        quantity: "0.000000001",
        price: "1",
      }),
      422,
      "validation_failed",
      "/quantity",
    );
    await refusal(
      await postTransaction(token, portfolio.id, { type: "deposit", amount: "1.005" }),
      422,
      "validation_failed",
      "/amount",
    );
    await refusal(
      await postTransaction(token, portfolio.id, {
        type: "buy",
        asset_id: coin.id,
        quantity: "1",
        price: "1",
        fees: "0.001",
      }),
      422,
      "validation_failed",
      "/fees",
    );
    // Trailing zeros are not precision; the amount is quantity x price to the cent, half to even.
    const bought = await transact(token, portfolio.id, {
      type: "buy",
      asset_id: coin.id,
      quantity: "0.12345000",
      price: "100.05",
    });
    // 0.12345 x 100.05 = 12.3511725 -> 12.35
    expect(bought).toMatchObject({ quantity: "0.12345000", amount: "12.35", price: "100.05" });
    for (const bad of ["-1", "1e2", "01", "1.", " 1", "0", "0.00"]) {
      await refusal(
        await postTransaction(token, portfolio.id, { type: "deposit", amount: bad }),
        422,
        "validation_failed",
      );
    }
    await refusal(
      await postTransaction(token, portfolio.id, { type: "deposit", amount: 10 }),
      422,
      "validation_failed",
    );
  });

  it("take the latest stored price when none is given, and refuse one that is missing or stale", async () => {
    const { asset, portfolio, token } = await funded("1000.00");
    await refusal(
      await postTransaction(token, portfolio.id, { type: "buy", asset_id: asset.id, quantity: "1" }),
      422,
      "stale_price",
      "/price",
    );
    const old = new Date(Date.now() - 16 * 60_000).toISOString();
    await ingestPrices(token, [{ symbol: asset.symbol, price: "20", at: old }]);
    await refusal(
      await postTransaction(token, portfolio.id, { type: "buy", asset_id: asset.id, quantity: "1" }),
      422,
      "stale_price",
    );
    // A trade executed when that price was fresh may still use it.
    const backdated = await transact(token, portfolio.id, {
      type: "buy",
      asset_id: asset.id,
      quantity: "1",
      executed_at: new Date(Date.now() - 10 * 60_000).toISOString(),
    });
    expect(backdated).toMatchObject({ price: "20", price_source: "stored", amount: "20.00" });
    await ingestPrices(token, [
      { symbol: asset.symbol, price: "21.5", at: new Date(Date.now() - 60_000).toISOString() },
    ]);
    const fresh = await transact(token, portfolio.id, { type: "buy", asset_id: asset.id, quantity: "2" });
    expect(fresh).toMatchObject({ price: "21.5", price_source: "stored", amount: "43.00" });
    const given = await transact(token, portfolio.id, {
      type: "sell",
      asset_id: asset.id,
      quantity: "1",
      price: "25",
    });
    expect(given).toMatchObject({ price: "25", price_source: "given" });
  });

  it("are in the portfolio's currency, and not in the future", async () => {
    const { tenant, portfolio, token } = await funded("100.00");
    const euro = await createAsset(tenant, { currency: "EUR" });
    await refusal(
      await postTransaction(token, portfolio.id, {
        type: "buy",
        asset_id: euro.id,
        quantity: "1",
        price: "1",
      }),
      422,
      "validation_failed",
      "/asset_id",
    );
    await refusal(
      await postTransaction(token, portfolio.id, { type: "deposit", amount: "1.00", currency: "EUR" }),
      422,
      "validation_failed",
      "/currency",
    );
    await refusal(
      await postTransaction(token, portfolio.id, {
        type: "deposit",
        amount: "1.00",
        executed_at: new Date(Date.now() + 3_600_000).toISOString(),
      }),
      422,
      "validation_failed",
      "/executed_at",
    );
    await refusal(
      await postTransaction(token, portfolio.id, {
        type: "buy",
        asset_id: crypto.randomUUID(),
        quantity: "1",
        price: "1",
      }),
      404,
      "not_found",
      "/asset_id",
    );
  });

  it("are listed newest first, filtered and paged; dividends and fees post to income and expense", async () => {
    const { asset, portfolio, token } = await funded("0");
    const day = (n: number) => new Date(Date.UTC(2026, 1, n, 12)).toISOString();
    const deposit = await transact(token, portfolio.id, {
      type: "deposit",
      amount: "300.00",
      executed_at: day(1),
    });
    const buy = await transact(token, portfolio.id, {
      type: "buy",
      asset_id: asset.id,
      quantity: "2",
      price: "100",
      executed_at: day(2),
    });
    const dividend = await transact(token, portfolio.id, {
      type: "dividend",
      asset_id: asset.id,
      amount: "3.20",
      executed_at: day(3),
    });
    const fee = await transact(token, portfolio.id, {
      type: "fee",
      amount: "1.10",
      executed_at: day(4),
      note: "custody",
    });
    const ids = async (q: string) =>
      (await (await api(txPath(portfolio.id, q), { token })).json<{ items: TransactionView[] }>()).items.map(
        (t) => t.id,
      );
    expect(await ids("")).toEqual([fee.id, dividend.id, buy.id, deposit.id]);
    expect(await ids(`?asset_id=${asset.id}`)).toEqual([dividend.id, buy.id]);
    expect(await ids("?type=buy")).toEqual([buy.id]);
    expect(await ids(`?from=${day(2)}&to=${day(3)}`)).toEqual([dividend.id, buy.id]);
    expect(await ids("?status=pending")).toEqual([]);
    const page = await (await api(txPath(portfolio.id, "?limit=3"), { token })).json<{
      next_cursor: string;
    }>();
    expect(await ids(`?limit=3&cursor=${page.next_cursor}`)).toEqual([deposit.id]);

    const accounts = await (await api(`/api/v1/portfolios/${portfolio.id}/ledger/accounts`, { token })).json<{
      items: Array<{ kind: string; balance: string }>;
    }>();
    const balance = (kind: string) => accounts.items.find((a) => a.kind === kind)?.balance;
    expect({
      cash: balance("cash"),
      income: balance("income"),
      expense: balance("expense"),
      equity: balance("equity"),
    }).toEqual({
      cash: "102.10",
      income: "-3.20",
      expense: "1.10",
      equity: "-300.00",
    });
  });

  it("go through the seeds' buy and sell shortcuts with the same rules", async () => {
    const { asset, portfolio, token } = await funded("100.00");
    const bought = await api("/api/v1/portfolio/buy", {
      token,
      body: { portfolio_id: portfolio.id, asset_id: asset.id, quantity: "2", price: "30" },
    });
    expect(bought.status).toBe(201);
    expect(await bought.json()).toMatchObject({ type: "buy", quantity: "2", amount: "60.00" });
    const oversold = await api("/api/v1/portfolio/sell", {
      token,
      body: { portfolio_id: portfolio.id, asset_id: asset.id, quantity: "3", price: "30" },
    });
    await refusal(oversold, 422, "insufficient_holding");
    const sold = await api("/api/v1/portfolio/sell", {
      token,
      body: { portfolio_id: portfolio.id, asset_id: asset.id, quantity: "2", price: "35" },
    });
    expect(sold.status).toBe(201);
    expect((await holdings(token, portfolio.id)).cash.balance).toBe("110.00");
    const nowhere = await api("/api/v1/portfolio/buy", {
      token,
      body: { portfolio_id: crypto.randomUUID(), asset_id: asset.id, quantity: "1", price: "1" },
    });
    await refusal(nowhere, 404, "not_found");
  });
});
