import { describe, expect, it } from "vitest";
import { Dec } from "../../../src/services/money/decimal";
import { type BookRow, replay, shortfallInTime } from "../../../src/services/portfolios/book";
import { xirr } from "../../../src/services/portfolios/xirr";

let seq = 0;
const row = (fields: Partial<BookRow> & Pick<BookRow, "type">): BookRow => ({
  id: crypto.randomUUID(),
  seq: ++seq,
  status: "settled",
  assetId: null,
  quantity: null,
  amount: "0",
  fees: "0",
  currency: "USD",
  executedAt: new Date(Date.UTC(2026, 0, seq)),
  reversalOf: null,
  reversedBy: null,
  ...fields,
});
const A = "asset-a";

describe("the books", () => {
  it("keep positions at weighted average cost and realize sales against it", () => {
    const { book, realized } = replay([
      row({ type: "deposit", amount: "10000" }),
      row({ type: "buy", assetId: A, quantity: "3", amount: "300", fees: "1" }), // cost 301
      row({ type: "buy", assetId: A, quantity: "1", amount: "140", fees: "0" }), // cost 441 for 4: avg 110.25
      row({ type: "sell", assetId: A, quantity: "2", amount: "250", fees: "2" }), // 248 - 220.50 = 27.50
    ]);
    expect(realized.toFixed()).toBe("27.5");
    expect(book.positions.get(A)?.quantity.toFixed()).toBe("2");
    expect(book.positions.get(A)?.cost.toFixed()).toBe("220.5");
    // 10000 - 301 - 140 + 248
    expect(book.cash.toFixed()).toBe("9807");
  });

  it("leave out reversed transactions, their reversals, and what is not settled", () => {
    const { book } = replay([
      row({ type: "deposit", amount: "100" }),
      row({ type: "deposit", amount: "50", reversedBy: "r" }),
      row({ type: "deposit", amount: "50", reversalOf: "x" }),
      row({ type: "deposit", amount: "7", status: "pending" }),
    ]);
    expect(book.cash.toFixed()).toBe("100");
  });

  it("sell everything at exactly its cost, leaving no rounding residue", () => {
    const { book, realized } = replay([
      row({ type: "buy", assetId: A, quantity: "3", amount: "100" }),
      row({ type: "sell", assetId: A, quantity: "1", amount: "40" }), // cost 33.33...
      row({ type: "sell", assetId: A, quantity: "2", amount: "80" }),
    ]);
    expect(book.positions.get(A)?.cost.isZero()).toBe(true);
    expect(realized.toFixed()).toBe("20");
  });

  it("find where a backdated change would make a holding negative in time", () => {
    const rows = [
      row({ type: "deposit", amount: "100" }),
      row({ type: "buy", assetId: A, quantity: "1", amount: "100" }),
      row({ type: "deposit", amount: "100" }),
    ];
    const early = row({
      type: "withdrawal",
      amount: "50",
      executedAt: new Date(Number(rows[0]?.executedAt) + 1),
    });
    early.seq = Number.MAX_SAFE_INTEGER;
    expect(shortfallInTime([...rows, early], early, false)?.executedAt).toEqual(rows[1]?.executedAt);
    expect(shortfallInTime([...rows, early], early, true)).toBeUndefined();
    // A pending deposit does not count until it settles; a pending withdrawal counts at once.
    const pendingIn = row({ type: "deposit", amount: "50", status: "pending", executedAt: early.executedAt });
    expect(shortfallInTime([...rows, pendingIn, early], early, false)).toBeDefined();
  });
});

describe("XIRR", () => {
  const on = (iso: string, amount: string) => ({ at: new Date(iso), amount: new Dec(amount) });

  it("solves the worked examples", () => {
    // -100 then +110 a year (365 days) later: 10%.
    expect(xirr([on("2021-01-01", "-100"), on("2022-01-01", "110")])?.toFixed()).toBe("0.1");
    // -1000, -1000 a year later, +2310 two years in: x^2 + x = 2.31 -> x = 1.1.
    expect(
      xirr([on("2021-01-01", "-1000"), on("2022-01-01", "-1000"), on("2023-01-01", "2310")])?.toFixed(),
    ).toBe("0.1");
    // Half lost over a year: -50%.
    expect(xirr([on("2021-01-01", "-200"), on("2022-01-01", "100")])?.toFixed()).toBe("-0.5");
    // Money back with nothing earned: 0.
    expect(xirr([on("2021-01-01", "-100"), on("2021-07-01", "100")])?.toFixed()).toBe("0");
  });

  it("has no answer when the flows never change sign", () => {
    expect(xirr([on("2021-01-01", "-100"), on("2022-01-01", "-10")])).toBeNull();
    expect(xirr([on("2021-01-01", "100")])).toBeNull();
    expect(xirr([])).toBeNull();
  });
});
