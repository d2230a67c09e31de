import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { problemOf } from "./helpers";
import { createAsset, holdings, portfolioIn, postTransaction, transact } from "./portfolio-fixtures";
import { createTenant, query } from "./tenancy-fixtures";

const CONCURRENCY = 50;

/** Sends a request until it is no longer refused as a duplicate in flight (409), as a client retries. */
async function untilSettled(send: () => Promise<Response>): Promise<Response> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const response = await send();
    if (response.status !== 409) return response;
    expect((await problemOf(response)).code).toBe("idempotency_conflict");
    expect(response.headers.get("retry-after")).toBe("1");
    // Backing off, as Retry-After asks, keeps fifty retrying clients from flooding the Worker.
    await new Promise((resolve) => setTimeout(resolve, Math.min(25 * (attempt + 1), 500)));
  }
  throw new Error("still in flight after 200 attempts");
}

async function seeded(holding: string) {
  const tenant = await createTenant("race");
  const asset = await createAsset(tenant);
  const { portfolio } = await portfolioIn(tenant);
  const token = tenant.admin.token;
  await transact(token, portfolio.id, {
    type: "deposit",
    amount: "100000.00",
    executed_at: "2025-01-01T00:00:00Z",
  });
  await transact(token, portfolio.id, {
    type: "buy",
    asset_id: asset.id,
    quantity: holding,
    price: "10",
    executed_at: "2025-01-02T00:00:00Z",
  });
  return { asset, portfolio, token };
}

describe("under concurrency", () => {
  it(`${CONCURRENCY} simultaneous sells of one unit from a holding of 10: exactly 10 succeed`, async () => {
    const { asset, portfolio, token } = await seeded("10");
    const responses = await Promise.all(
      Array.from({ length: CONCURRENCY }, () =>
        postTransaction(token, portfolio.id, {
          type: "sell",
          asset_id: asset.id,
          quantity: "1",
          price: "11",
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 422)).toHaveLength(CONCURRENCY - 10);
    for (const refused of responses.filter((r) => r.status === 422)) {
      expect((await problemOf(refused)).code).toBe("insufficient_holding");
    }
    const after = await holdings(token, portfolio.id);
    expect(after.positions).toEqual([]);
    expect(after.cash.balance).toBe(`${100000 - 100 + 110}.00`);
    const [sells] = await query<{ n: string }>(
      sql`select count(*) as n from portfolio_transactions where portfolio_id = ${portfolio.id} and type = 'sell'`,
    );
    expect(Number(sells?.n)).toBe(10);
  });

  it(`${CONCURRENCY} simultaneous pending sells cannot reserve more than is held`, async () => {
    const { asset, portfolio, token } = await seeded("7");
    const responses = await Promise.all(
      Array.from({ length: CONCURRENCY }, () =>
        postTransaction(token, portfolio.id, {
          type: "sell",
          asset_id: asset.id,
          quantity: "1",
          price: "11",
          settle: false,
        }),
      ),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(7);
    expect((await holdings(token, portfolio.id)).positions[0]).toMatchObject({
      quantity: "7",
      reserved: "7",
      available: "0",
    });
  });

  it(`${CONCURRENCY} simultaneous retries of one idempotent request post it once, and all get its response`, async () => {
    const { asset, portfolio, token } = await seeded("10");
    const key = crypto.randomUUID();
    const body = { type: "sell", asset_id: asset.id, quantity: "3", price: "12" };
    const responses = await Promise.all(
      Array.from({ length: CONCURRENCY }, () =>
        untilSettled(() => postTransaction(token, portfolio.id, body, { "Idempotency-Key": key })),
      ),
    );
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(responses.every((r) => r.status === 201)).toBe(true);
    expect(new Set(bodies).size).toBe(1);
    expect(responses.filter((r) => r.headers.get("idempotency-replayed") === "true")).toHaveLength(
      CONCURRENCY - 1,
    );
    const [sells] = await query<{ n: string }>(
      sql`select count(*) as n from portfolio_transactions where portfolio_id = ${portfolio.id} and type = 'sell'`,
    );
    expect(Number(sells?.n)).toBe(1);
    expect((await holdings(token, portfolio.id)).positions[0]?.quantity).toBe("7");
  });
});
