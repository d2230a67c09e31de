import { describe, expect, it } from "vitest";
import { FinEdgeProblem, isProblem, ok } from "../../client/src";
import type { Bindings } from "../../src/env";
import { PASSWORD } from "./auth-helpers";
import { registered, testClient } from "./client-fixtures";
import { startInsideOneWindow } from "./helpers";

const ME = "/api/v1/auth/me";
// Real limits through the Durable Object limiter, scaled down so that /me admits one call a minute.
const tight = { RATE_LIMIT_SCALE: "0.02" } as Partial<Bindings>;
const ip = () => `10.77.${Math.floor(Math.random() * 254) + 1}.${Math.floor(Math.random() * 254) + 1}`;
/** A client address of its own, so no other test's calls count against these limits. */
const fromOwnAddress = (address = ip()) => ({
  network: (_path: string, init: RequestInit, app: () => Promise<Response>) => {
    (init.headers as Headers).set("cf-connecting-ip", address);
    return app();
  },
});

describe("the typed client: Retry-After", () => {
  it("waits out a 503's Retry-After and resends a keyed money call with the same key", async () => {
    let refused = false;
    const { client, sent, store } = await registered();
    const org = await ok(client.api.POST("/api/v1/organizations", { body: { name: "Desk" } }));
    const portfolio = await ok(
      client.api.POST("/api/v1/portfolios", {
        body: { organization_id: org.id, name: "P", base_currency: "USD" },
      }),
    );
    // An edge in front of the app is briefly unavailable.
    const { client: behindEdge } = testClient({
      tokens: store,
      network: async (path, init, app) => {
        sent.push({ method: init.method ?? "GET", path, headers: new Headers(init.headers) });
        if (refused || !path.endsWith("/transactions")) return app();
        refused = true;
        return new Response("busy", { status: 503, headers: { "retry-after": "1" } });
      },
    });
    const started = Date.now();
    const deposit = await ok(
      behindEdge.api.POST("/api/v1/portfolios/{id}/transactions", {
        params: { path: { id: portfolio.id } },
        body: { type: "deposit", amount: "5.00" },
      }),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(deposit).toMatchObject({ type: "deposit", amount: "5.00", status: "settled" });
    const keys = sent
      .filter((r) => r.path.endsWith("/transactions"))
      .map((r) => r.headers.get("idempotency-key"));
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
  });

  it("honours the API's 429 Retry-After for a repeatable call, a bounded number of times", async () => {
    await startInsideOneWindow();
    const { store } = await registered();
    const waits: number[] = [];
    const retryAfter: number[] = [];
    const { client, count } = testClient({
      tokens: store,
      overrides: tight,
      retry: { retries: 2, maxDelayMs: 120_000 },
      sleep: async (ms) => {
        waits.push(ms);
      },
      network: async (_path, _init, app) => {
        const response = await app();
        if (response.status === 429) retryAfter.push(Number(response.headers.get("retry-after")));
        return response;
      },
    });
    await ok(client.api.GET(ME));
    const limited = await client.api.GET(ME).catch((e) => e);
    expect(isProblem(limited, "rate_limited")).toBe(true);
    expect(count("GET", ME)).toBe(4);
    expect(retryAfter).toHaveLength(3);
    // Each wait is what the answer before it asked for, in milliseconds.
    expect(waits).toEqual(retryAfter.slice(0, 2).map((seconds) => seconds * 1000));
    expect(Math.min(...retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it("does not wait longer than allowed, nor resend a sign-in (a POST without an Idempotency-Key)", async () => {
    await startInsideOneWindow();
    const { email, store } = await registered();
    const { client, count } = testClient({ tokens: store, overrides: tight, retry: { maxDelayMs: 0 } });
    await ok(client.api.GET(ME));
    const tooLong = await client.api.GET(ME).catch((e) => e);
    expect(tooLong).toMatchObject({ status: 429, code: "rate_limited" });
    expect(count("GET", ME)).toBe(2);

    const signIn = testClient({ overrides: tight, ...fromOwnAddress() });
    await signIn.client.auth.login({ email, password: PASSWORD });
    const second = await signIn.client.auth.login({ email, password: PASSWORD }).catch((e) => e);
    expect(second).toBeInstanceOf(FinEdgeProblem);
    expect((second as FinEdgeProblem).status).toBe(429);
    expect(Number((second as FinEdgeProblem).headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(signIn.count("POST", "/api/v1/auth/login")).toBe(2);
  });
});
