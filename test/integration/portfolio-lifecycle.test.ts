/**
 * A transaction's life after it is posted: pending ones hold reserves until settled or cancelled, settled ones
 * are corrected only by reversal, backdating must fit the past, and the database keeps history as it was.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import {
  failure,
  funded,
  holdings,
  postingCount,
  postTransaction,
  refusal,
  type TransactionView,
  transact,
  transition,
  txPath,
} from "./portfolio-fixtures";

describe("transactions, once posted,", () => {
  it("pending hold what they take: two pending sells cannot spend the same units; cancelling releases them", async () => {
    const { asset, portfolio, token } = await funded("1000.00");
    await transact(token, portfolio.id, { type: "buy", asset_id: asset.id, quantity: "5", price: "10" });
    const first = await transact(token, portfolio.id, {
      type: "sell",
      asset_id: asset.id,
      quantity: "4",
      price: "11",
      settle: false,
    });
    expect(first.status).toBe("pending");
    const before = await postingCount(portfolio.id);
    await refusal(
      await postTransaction(token, portfolio.id, {
        type: "sell",
        asset_id: asset.id,
        quantity: "2",
        price: "11",
        status: "pending",
      }),
      422,
      "insufficient_holding",
    );
    const held = await holdings(token, portfolio.id);
    expect(held.positions[0]).toMatchObject({ quantity: "5", reserved: "4", available: "1" });

    expect((await transition(token, portfolio.id, first.id, "cancel")).status).toBe(200);
    expect((await holdings(token, portfolio.id)).positions[0]).toMatchObject({
      reserved: "0",
      available: "5",
    });
    expect(await postingCount(portfolio.id)).toBe(before);
    await refusal(await transition(token, portfolio.id, first.id, "settle"), 409, "conflict");
    await refusal(await transition(token, portfolio.id, first.id, "cancel"), 409, "conflict");

    // A pending buy holds its cash; settling posts it and releases the hold.
    const buy = await transact(token, portfolio.id, {
      type: "buy",
      asset_id: asset.id,
      quantity: "10",
      price: "90",
      fees: "1.00",
      settle: false,
    });
    expect((await holdings(token, portfolio.id)).cash).toMatchObject({
      balance: "950.00",
      reserved: "901.00",
      available: "49.00",
    });
    await refusal(
      await postTransaction(token, portfolio.id, { type: "withdrawal", amount: "50.00" }),
      422,
      "insufficient_funds",
    );
    const settled = await transition(token, portfolio.id, buy.id, "settle");
    expect(settled.status).toBe(200);
    expect(await settled.json()).toMatchObject({ status: "settled", id: buy.id });
    const after = await holdings(token, portfolio.id);
    expect(after.cash).toMatchObject({ balance: "49.00", reserved: "0.00" });
    expect(after.positions[0]).toMatchObject({ quantity: "15" });
    await refusal(
      await postTransaction(token, portfolio.id, {
        type: "sell",
        status: "pending",
        settle: true,
        asset_id: asset.id,
        quantity: "1",
        price: "1",
      }),
      422,
      "validation_failed",
    );
  });

  it("are corrected by reversal: balances return, both stay in the ledger, and nothing is reversed twice", async () => {
    const { asset, portfolio, token } = await funded("1000.00");
    const buy = await transact(token, portfolio.id, {
      type: "buy",
      asset_id: asset.id,
      quantity: "3",
      price: "100",
      fees: "2.50",
    });
    const postings = await postingCount(portfolio.id);
    const reversed = await transition(token, portfolio.id, buy.id, "reverse");
    expect(reversed.status).toBe(201);
    const reversal = await reversed.json<TransactionView>();
    expect(reversal).toMatchObject({
      type: "buy",
      status: "settled",
      reversal_of: buy.id,
      amount: "300.00",
      fees: "2.50",
    });
    expect(await postingCount(portfolio.id)).toBe(postings * 2 - 2);

    const after = await holdings(token, portfolio.id);
    expect(after.cash.balance).toBe("1000.00");
    expect(after.positions).toEqual([]);
    const original = await (await api(txPath(portfolio.id, `/${buy.id}`), { token })).json<TransactionView>();
    expect(original).toMatchObject({ status: "settled", reversed_by: reversal.id, amount: "300.00" });

    await refusal(await transition(token, portfolio.id, buy.id, "reverse"), 409, "conflict");
    await refusal(await transition(token, portfolio.id, reversal.id, "reverse"), 409, "conflict");
    const pending = await transact(token, portfolio.id, { type: "deposit", amount: "5.00", settle: false });
    await refusal(await transition(token, portfolio.id, pending.id, "reverse"), 409, "conflict");
    await refusal(await transition(token, portfolio.id, crypto.randomUUID(), "reverse"), 404, "not_found");
  });

  it("are not reversed when the reversal would overdraw, now or at any later point of the books", async () => {
    const { asset, portfolio, token } = await funded("100.00");
    const first = await transact(token, portfolio.id, { type: "deposit", amount: "900.00" });
    await transact(token, portfolio.id, { type: "buy", asset_id: asset.id, quantity: "5", price: "150" });
    await refusal(await transition(token, portfolio.id, first.id, "reverse"), 422, "insufficient_funds");

    const buy = await transact(token, portfolio.id, {
      type: "buy",
      asset_id: asset.id,
      quantity: "1",
      price: "100",
    });
    await transact(token, portfolio.id, { type: "sell", asset_id: asset.id, quantity: "6", price: "100" });
    // Today nothing is held, so removing the buy would leave the later sale short of a unit.
    await refusal(await transition(token, portfolio.id, buy.id, "reverse"), 422, "insufficient_holding");
  });

  it("may be backdated only when the books stay whole at every point in time", async () => {
    const { asset, portfolio, token } = await funded("0");
    const day = (n: number) => new Date(Date.UTC(2026, 0, n, 12)).toISOString();
    await transact(token, portfolio.id, { type: "deposit", amount: "500.00", executed_at: day(10) });
    await transact(token, portfolio.id, {
      type: "buy",
      asset_id: asset.id,
      quantity: "4",
      price: "100",
      executed_at: day(12),
    });
    await transact(token, portfolio.id, { type: "deposit", amount: "200.00", executed_at: day(14) });
    // Today 4 are held, but a sale dated before the purchase sells nothing.
    await refusal(
      await postTransaction(token, portfolio.id, {
        type: "sell",
        asset_id: asset.id,
        quantity: "1",
        price: "100",
        executed_at: day(11),
      }),
      422,
      "insufficient_holding",
    );
    // 300.00 are there today, but a withdrawal before the purchase would have left too little to pay for it.
    await refusal(
      await postTransaction(token, portfolio.id, {
        type: "withdrawal",
        amount: "150.00",
        executed_at: day(11),
      }),
      422,
      "insufficient_funds",
    );
    await transact(token, portfolio.id, { type: "withdrawal", amount: "100.00", executed_at: day(11) });
    await transact(token, portfolio.id, {
      type: "sell",
      asset_id: asset.id,
      quantity: "1",
      price: "100",
      executed_at: day(13),
    });
  });

  it("are history the database itself will not rewrite", async () => {
    const { asset, portfolio, token } = await funded("100.00");
    const buy = await transact(token, portfolio.id, {
      type: "buy",
      asset_id: asset.id,
      quantity: "1",
      price: "10",
    });
    const attempts = [
      sql`update ledger_postings set amount = amount * 2 where transaction_id = ${buy.id}`,
      sql`delete from ledger_postings where transaction_id = ${buy.id}`,
      sql`update portfolio_transactions set amount = '1' where id = ${buy.id}`,
      sql`update portfolio_transactions set status = 'cancelled', cancelled_at = now(), settled_at = null where id = ${buy.id}`,
      sql`delete from portfolio_transactions where id = ${buy.id}`,
      sql`update asset_prices set price = 1`,
    ];
    for (const statement of attempts)
      expect(await failure(statement)).toMatch(/append-only|permission denied|transition|status/);
    // An unbalanced journal entry is refused at commit.
    expect(
      await failure(sql`insert into ledger_postings (tenant_id, portfolio_id, transaction_id, account_id, unit, amount)
        select tenant_id, portfolio_id, transaction_id, account_id, unit, 1 from ledger_postings
        where transaction_id = ${buy.id} and amount > 0 limit 1`),
    ).toMatch(/does not balance/);
    expect((await holdings(token, portfolio.id)).cash.balance).toBe("90.00");
  });
});
