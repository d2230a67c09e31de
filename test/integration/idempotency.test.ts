import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { problemOf } from "./helpers";
import { createAsset, holdings, portfolioIn, postTransaction } from "./portfolio-fixtures";
import { addUser, createTenant, platformDatabase, query } from "./tenancy-fixtures";

async function funded() {
  const tenant = await createTenant("idem");
  const { org, portfolio } = await portfolioIn(tenant);
  return { tenant, org, portfolio, token: tenant.admin.token };
}

const transactionCount = async (portfolioId: string) =>
  Number(
    (
      await query<{ n: string }>(
        sql`select count(*) as n from portfolio_transactions where portfolio_id = ${portfolioId}`,
      )
    )[0]?.n,
  );

/**
 * Whether the database serves connections side by side. The embedded one (PGlite) has a single backend
 * that serves one transaction at a time, so a duplicate there waits its turn and is replayed - it can never
 * be seen in flight. Told apart by an advisory lock: on a real server a second connection cannot take it.
 */
async function connectionsRunSideBySide(): Promise<boolean> {
  const [a, b] = [platformDatabase(), platformDatabase()];
  const key = Math.floor(Math.random() * 1e9);
  try {
    await a.db.execute(sql`select pg_advisory_lock(${key})`);
    const second = await b.db.execute<{ taken: boolean }>(sql`select pg_try_advisory_lock(${key}) as taken`);
    const taken = second.rows[0]?.taken === true;
    if (taken) await b.db.execute(sql`select pg_advisory_unlock(${key})`);
    await a.db.execute(sql`select pg_advisory_unlock(${key})`);
    return !taken;
  } finally {
    await a.close();
    await b.close();
  }
}

describe("Idempotency-Key", () => {
  it("replays the first response to a retry, which posts nothing", async () => {
    const { portfolio, token } = await funded();
    const key = crypto.randomUUID();
    const first = await postTransaction(
      token,
      portfolio.id,
      { type: "deposit", amount: "10.00" },
      { "Idempotency-Key": key },
    );
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotency-replayed")).toBeNull();
    // The same payload with its keys in another order is the same request.
    const retry = await postTransaction(
      token,
      portfolio.id,
      { amount: "10.00", type: "deposit" },
      { "Idempotency-Key": key },
    );
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotency-replayed")).toBe("true");
    expect(retry.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await retry.text()).toBe(await first.text());
    expect(await transactionCount(portfolio.id)).toBe(1);
    expect((await holdings(token, portfolio.id)).cash.balance).toBe("10.00");
  });

  it("refuses the key with another payload (422), or from another caller, and keys each route apart", async () => {
    const { tenant, org, portfolio, token } = await funded();
    const key = crypto.randomUUID();
    await postTransaction(
      token,
      portfolio.id,
      { type: "deposit", amount: "10.00" },
      { "Idempotency-Key": key },
    );
    const other = await postTransaction(
      token,
      portfolio.id,
      { type: "deposit", amount: "11.00" },
      { "Idempotency-Key": key },
    );
    expect(other.status).toBe(422);
    expect((await problemOf(other)).code).toBe("idempotency_key_reused");
    // A colleague never gets someone else's stored response.
    const colleague = await addUser(tenant, "analyst", [{ organizationId: org.id, role: "analyst" }]);
    const theirs = await postTransaction(
      colleague.token,
      portfolio.id,
      { type: "deposit", amount: "10.00" },
      { "Idempotency-Key": key },
    );
    expect(theirs.status).toBe(422);
    // Another route under the same key is another request.
    const pending = await postTransaction(token, portfolio.id, {
      type: "deposit",
      amount: "1.00",
      settle: false,
    });
    const settled = await api(
      `/api/v1/portfolios/${portfolio.id}/transactions/${(await pending.json<{ id: string }>()).id}/settle`,
      {
        token,
        method: "POST",
        headers: { "Idempotency-Key": key },
      },
    );
    expect(settled.status).toBe(200);
    expect(await transactionCount(portfolio.id)).toBe(2);
    expect((await holdings(token, portfolio.id)).cash.balance).toBe("11.00");
  });

  it("does not store a refusal of the input: corrected, the request goes through under the same key", async () => {
    const { portfolio, token } = await funded();
    const key = crypto.randomUUID();
    const invalid = await postTransaction(
      token,
      portfolio.id,
      { type: "deposit", amount: "ten" },
      { "Idempotency-Key": key },
    );
    expect(invalid.status).toBe(422);
    expect((await problemOf(invalid)).code).toBe("validation_failed");
    const corrected = await postTransaction(
      token,
      portfolio.id,
      { type: "deposit", amount: "10.00" },
      { "Idempotency-Key": key },
    );
    expect(corrected.status).toBe(201);
  });

  it("stores a business refusal like any outcome: the retry gets it again even once it would pass", async () => {
    const { tenant, portfolio, token } = await funded();
    const asset = await createAsset(tenant);
    const key = crypto.randomUUID();
    const order = { type: "buy", asset_id: asset.id, quantity: "1", price: "5" };
    const refused = await postTransaction(token, portfolio.id, order, { "Idempotency-Key": key });
    expect(refused.status).toBe(422);
    await postTransaction(token, portfolio.id, { type: "deposit", amount: "10.00" });
    const retry = await postTransaction(token, portfolio.id, order, { "Idempotency-Key": key });
    expect(retry.status).toBe(422);
    expect(retry.headers.get("idempotency-replayed")).toBe("true");
    expect((await problemOf(retry)).code).toBe("insufficient_funds");
    expect(
      (await postTransaction(token, portfolio.id, order, { "Idempotency-Key": crypto.randomUUID() })).status,
    ).toBe(201);
  });

  it("forgets a response once it expires, keeps it at least a day, and refuses malformed keys", async () => {
    const { tenant, portfolio, token } = await funded();
    const key = crypto.randomUUID();
    await postTransaction(
      token,
      portfolio.id,
      { type: "deposit", amount: "1.00" },
      { "Idempotency-Key": key },
    );
    const [stored] = await query<{ ttl: number }>(
      sql`select extract(epoch from expires_at - created_at)::int as ttl from idempotency_keys where tenant_id = ${tenant.id} and key = ${key}`,
    );
    expect(stored?.ttl).toBeGreaterThanOrEqual(24 * 3600);
    await query(
      sql`update idempotency_keys set expires_at = now() - interval '1 second' where tenant_id = ${tenant.id} and key = ${key}`,
    );
    const again = await postTransaction(
      token,
      portfolio.id,
      { type: "deposit", amount: "1.00" },
      { "Idempotency-Key": key },
    );
    expect(again.headers.get("idempotency-replayed")).toBeNull();
    expect(await transactionCount(portfolio.id)).toBe(2);

    for (const bad of ["x".repeat(256), "with space"]) {
      const response = await postTransaction(
        token,
        portfolio.id,
        { type: "deposit", amount: "1.00" },
        { "Idempotency-Key": bad },
      );
      expect(response.status).toBe(400);
      expect((await problemOf(response)).code).toBe("invalid_parameters");
    }
  });

  it("answers 409 to a duplicate while the first is still running", async ({ skip }) => {
    if (!(await connectionsRunSideBySide())) skip("the embedded database runs one transaction at a time");
    const { tenant, portfolio, token } = await funded();
    const key = crypto.randomUUID();
    const holder = platformDatabase();
    try {
      // Stands in for a first request mid-way: it holds the key's claim until its transaction ends.
      await holder.db.transaction(async (tx) => {
        const name = `idempotency:${tenant.id}:POST /api/v1/portfolios/:id/transactions:${key}`;
        await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${name}, 0))`);
        const duplicate = await postTransaction(
          token,
          portfolio.id,
          { type: "deposit", amount: "1.00" },
          { "Idempotency-Key": key },
        );
        expect(duplicate.status).toBe(409);
        expect((await problemOf(duplicate)).code).toBe("idempotency_conflict");
      });
    } finally {
      await holder.close();
    }
    expect(await transactionCount(portfolio.id)).toBe(0);
    // Released with its transaction: the key is free again.
    const after = await postTransaction(
      token,
      portfolio.id,
      { type: "deposit", amount: "1.00" },
      { "Idempotency-Key": key },
    );
    expect(after.status).toBe(201);
  });
});
