import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { FinEdgeProblem, isProblem, ok, paginate } from "../../client/src";
import { registered } from "./client-fixtures";
import { query } from "./tenancy-fixtures";

const TRANSACTIONS = "/api/v1/portfolios/{id}/transactions";

/** A signed-in tenant admin with an organization and a USD portfolio, made through the client. */
async function withPortfolio(options: Parameters<typeof registered>[0] = {}) {
  const test = await registered(options);
  const org = await ok(test.client.api.POST("/api/v1/organizations", { body: { name: "Desk" } }));
  const portfolio = await ok(
    test.client.api.POST("/api/v1/portfolios", {
      body: { organization_id: org.id, name: "Growth", base_currency: "USD" },
    }),
  );
  return { ...test, org, portfolio };
}

const transactionsOf = async (portfolioId: string) =>
  query<{ id: string }>(sql`select id from portfolio_transactions where portfolio_id = ${portfolioId}`);

/** Loses the answer to the first request matching `lose`: the app did the work, the client never hears. */
function losesFirstAnswer(lose: (path: string, init: RequestInit) => boolean) {
  let lost = false;
  return async (path: string, init: RequestInit, app: () => Promise<Response>) => {
    const response = await app();
    if (lost || !lose(path, init)) return response;
    lost = true;
    await response.body?.cancel();
    throw new TypeError("network connection lost");
  };
}

describe("the typed client: money-moving calls", () => {
  it("sends a deposit under a generated Idempotency-Key and, when the answer is lost, retries with the same key", async () => {
    const network = losesFirstAnswer(
      (path, init) => init.method === "POST" && path.endsWith("/transactions"),
    );
    const { client, portfolio, sent } = await withPortfolio({ network });
    const deposit = await ok(
      client.api.POST(TRANSACTIONS, {
        params: { path: { id: portfolio.id } },
        body: { type: "deposit", amount: "10.00" },
      }),
    );
    const posts = sent.filter((request) => request.path.endsWith("/transactions"));
    expect(posts).toHaveLength(2);
    const [first, retry] = posts.map((request) => request.headers.get("idempotency-key"));
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(retry).toBe(first);
    // Posted once: the retry got the first answer again.
    expect(await transactionsOf(portfolio.id)).toEqual([{ id: deposit.id }]);
    const holdings = await ok(
      client.api.GET("/api/v1/portfolios/{id}/holdings", { params: { path: { id: portfolio.id } } }),
    );
    expect(holdings.cash.balance).toBe("10.00");
    // Each intended operation gets its own key.
    await ok(
      client.api.POST(TRANSACTIONS, {
        params: { path: { id: portfolio.id } },
        body: { type: "deposit", amount: "1.00" },
      }),
    );
    const keys = sent
      .filter((r) => r.path.endsWith("/transactions"))
      .map((r) => r.headers.get("idempotency-key"));
    expect(new Set(keys).size).toBe(2);
  });

  it("never resends a call without an Idempotency-Key whose answer was lost", async () => {
    const network = losesFirstAnswer(
      (path, init) => init.method === "POST" && path === "/api/v1/organizations",
    );
    const { client, sent, tenant } = await registered({ network });
    const lost = await client.api.POST("/api/v1/organizations", { body: { name: "Once" } }).catch((e) => e);
    expect(lost).toBeInstanceOf(TypeError);
    expect(sent.filter((r) => r.path === "/api/v1/organizations")).toHaveLength(1);
    expect(sent[sent.length - 1]?.headers.has("idempotency-key")).toBe(false);
    const rows = await query(
      sql`select id from organizations where tenant_id = ${tenant.id} and name = 'Once'`,
    );
    expect(rows).toHaveLength(1);
  });

  it("throws problems as FinEdgeProblem: 422 with the field's pointer, 404 with the request id", async () => {
    const { client, portfolio } = await withPortfolio();
    const invalid = await client.api
      .POST(TRANSACTIONS, {
        params: { path: { id: portfolio.id } },
        body: { type: "deposit", amount: "ten" },
      })
      .catch((e) => e);
    expect(isProblem(invalid, "validation_failed")).toBe(true);
    const problem = invalid as FinEdgeProblem;
    expect(problem.status).toBe(422);
    expect(problem.errorsAt("/amount")).toEqual([
      expect.objectContaining({ location: "body", pointer: "/amount" }),
    ]);

    const missing = await client.api
      .GET("/api/v1/portfolios/{id}", { params: { path: { id: crypto.randomUUID() } } })
      .catch((e) => e);
    expect(missing).toBeInstanceOf(FinEdgeProblem);
    expect(missing).toMatchObject({ status: 404, code: "not_found", title: "Not Found" });
    expect((missing as FinEdgeProblem).requestId).toMatch(/\S/);
  });

  it("iterates a list across pages until next_cursor is null", async () => {
    const { client, org, portfolio, count } = await withPortfolio();
    for (let i = 0; i < 4; i++) {
      await ok(
        client.api.POST("/api/v1/portfolios", {
          body: { organization_id: org.id, name: `Fund ${i}`, base_currency: "USD" },
        }),
      );
    }
    const seen: string[] = [];
    for await (const item of paginate((cursor) =>
      client.api.GET("/api/v1/portfolios", {
        params: { query: { organization_id: org.id, limit: 2, cursor } },
      }),
    )) {
      seen.push(item.id);
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect(seen).toContain(portfolio.id);
    expect(count("GET", "/api/v1/portfolios")).toBe(3);
  });
});
