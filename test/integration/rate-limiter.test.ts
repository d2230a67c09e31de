import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { Bindings } from "../../src/env";
import { createDurableObjectLimiter } from "../../src/services/rate-limit/durable-object-limiter";
import {
  type RateLimitDecision,
  RateLimiterUnavailable,
  type RateLimitRule,
  withDeadline,
} from "../../src/services/rate-limit/limiter";
import { createUpstashLimiter } from "../../src/services/rate-limit/upstash-limiter";

// Set by the global setup only when TEST_REDIS_URL names a Redis (the shim in test/support/upstash-rest.ts).
const { UPSTASH_REDIS_REST_URL: upstashUrl, UPSTASH_REDIS_REST_TOKEN: upstashToken } = env as Bindings;

const rule = (limit: number, windowSeconds = 60): RateLimitRule => ({
  name: `test-${crypto.randomUUID()}`,
  limit,
  windowSeconds,
});
const counter = () => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(crypto.randomUUID()));
const allowedOf = (decisions: RateLimitDecision[]) => decisions.filter((d) => d.allowed);

/** Waits out the last second of a window, so simultaneous calls cannot straddle two windows. */
async function awayFromWindowEdge(windowSeconds: number): Promise<void> {
  const left = windowSeconds * 1000 - (Date.now() % (windowSeconds * 1000));
  if (left < 1000) await new Promise((resolve) => setTimeout(resolve, left + 10));
}

// The first call into an object loads the Worker's modules (seconds in the test pool, beyond a check's
// deadline); production objects start far faster.
beforeAll(async () => {
  await env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("warm-up")).ping();
}, 60_000);

describe("Durable Object rate limiter", () => {
  const limiter = createDurableObjectLimiter(env.RATE_LIMITER);

  it("admits exactly the limit of 20 simultaneous checks for one key", async () => {
    const limit = rule(5);
    await awayFromWindowEdge(limit.windowSeconds);
    const decisions = await Promise.all(
      Array.from({ length: 20 }, () => limiter.check(limit, "203.0.113.7")),
    );
    const allowed = allowedOf(decisions);
    expect(allowed.map((d) => d.remaining).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const denied of decisions.filter((d) => !d.allowed)) {
      expect(denied).toMatchObject({ limit: 5, remaining: 0 });
      expect(denied.resetSeconds).toBeGreaterThanOrEqual(1);
      expect(denied.resetSeconds).toBeLessThanOrEqual(61);
    }
    expect(limiter.backend).toBe("durable_object");
  });

  it("counts each key and each rule on its own", async () => {
    const login = rule(2);
    const signup = rule(2);
    await awayFromWindowEdge(60);
    for (let n = 0; n < 3; n++) await limiter.check(login, "alice");
    expect((await limiter.check(login, "alice")).allowed).toBe(false);
    expect(await limiter.check(login, "bob")).toMatchObject({ allowed: true, remaining: 1, resetSeconds: 0 });
    expect(await limiter.check(signup, "alice")).toMatchObject({ allowed: true, remaining: 1 });
  });

  it("slides: the previous window's count fades with its overlap", async () => {
    const stub = counter();
    const w = 60_000;
    const start = Math.floor(Date.now() / w) * w;
    for (let n = 0; n < 5; n++) expect((await stub.hit(start, 5, 60)).remaining).toBe(4 - n);
    // Five in this window weigh 5 at the next window's first millisecond, 4 one millisecond later.
    expect(await stub.hit(start + 1, 5, 60)).toEqual({
      allowed: false,
      limit: 5,
      remaining: 0,
      resetSeconds: 60,
    });
    expect(await stub.hit(start + w, 5, 60)).toMatchObject({ allowed: false, resetSeconds: 1 });
    expect(await stub.hit(start + w + 1, 5, 60)).toEqual({
      allowed: true,
      limit: 5,
      remaining: 0,
      resetSeconds: 12,
    });
    // floor(0.8 * 5) + 1 = 5 at 20% into the window; one millisecond later it is 3 + 1.
    expect(await stub.hit(start + w + 12_000, 5, 60)).toMatchObject({ allowed: false, resetSeconds: 1 });
    expect(await stub.hit(start + w + 12_001, 5, 60)).toMatchObject({ allowed: true, remaining: 0 });
    // A caller whose clock is behind cannot reopen an earlier window.
    expect((await stub.hit(start, 5, 60)).allowed).toBe(false);
    // Two windows on, nothing weighs any more.
    expect(await stub.hit(start + 3 * w, 5, 60)).toEqual({
      allowed: true,
      limit: 5,
      remaining: 4,
      resetSeconds: 0,
    });
  });

  it("deletes a record once it no longer weighs on any window, and keeps a live one", async () => {
    const live = counter();
    const stale = counter();
    await live.hit(Date.now(), 5, 60);
    await stale.hit(Date.now() - 180_000, 5, 60);
    await runDurableObjectAlarm(live);
    await runDurableObjectAlarm(stale);
    const keys = (stub: ReturnType<typeof counter>) =>
      runInDurableObject(stub, (_, state) => [...state.storage.kv.list()].map(([key]) => key));
    expect(await keys(live)).toEqual(["state"]);
    expect(await keys(stale)).toEqual([]);
  });

  it("stores a window's first count at once and the counts after it together, within a second", async () => {
    const stub = counter();
    const stored = () =>
      runInDurableObject(stub, (_, state) => state.storage.kv.get<{ current: number }>("state")?.current);
    const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const now = Date.now();
    await stub.hit(now, 100, 3600);
    await settle(50);
    expect(await stored()).toBe(1);
    for (let n = 0; n < 4; n++) await stub.hit(now, 100, 3600);
    await settle(50);
    // Decided from memory: the fifth hit sees the four before it while the store still holds the first.
    expect(await stored()).toBe(1);
    expect((await stub.hit(now, 100, 3600)).remaining).toBe(94);
    await settle(1_200);
    expect(await stored()).toBe(6);
  });

  it("spreads the deletion of one window's records over the hour after they stop weighing", async () => {
    const now = Date.now();
    const window = Math.floor(now / 60_000);
    const stubs = Array.from({ length: 12 }, counter);
    await Promise.all(stubs.map((stub) => stub.hit(now, 5, 60)));
    const alarms = await Promise.all(
      stubs.map((stub) => runInDurableObject(stub, (_, state) => state.storage.getAlarm())),
    );
    const expiry = (window + 2) * 60_000;
    for (const alarm of alarms) {
      expect(alarm).toBeGreaterThanOrEqual(expiry);
      expect(alarm).toBeLessThan(expiry + 3_600_000);
    }
    // Epoch-aligned windows would otherwise send every record of a window to its alarm at the same instant.
    expect(new Set(alarms).size).toBeGreaterThan(1);
  });

  it("rejects a malformed rule as a programming error, not as unavailability", async () => {
    await expect(limiter.check({ name: "bad", limit: 0, windowSeconds: 60 }, "k")).rejects.toThrow(
      RangeError,
    );
    await expect(limiter.ping()).resolves.toBeUndefined();
  });

  it("turns a backend that does not answer in time into RateLimiterUnavailable", async () => {
    const never = withDeadline(() => new Promise<never>(() => {}), 20, "a silent backend");
    await expect(never).rejects.toThrow(RateLimiterUnavailable);
    const failing = withDeadline(() => Promise.reject(new Error("boom")), 1000, "a failing backend");
    await expect(failing).rejects.toMatchObject({ name: "RateLimiterUnavailable", cause: new Error("boom") });
  });
});

describe("Upstash rate limiter", () => {
  it("throws RateLimiterUnavailable at its one-second deadline when Upstash does not answer", async () => {
    // Accepts connections and never answers; the client's own retries with backoff would take far longer.
    const down = createUpstashLimiter({ url: inject("silentUrl"), token: "unused" });
    let started = Date.now();
    await expect(down.check(rule(5), "k")).rejects.toThrow(RateLimiterUnavailable);
    expect(Date.now() - started).toBeLessThan(2500);
    started = Date.now();
    await expect(down.ping()).rejects.toThrow(RateLimiterUnavailable);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  describe.skipIf(!upstashUrl || !upstashToken)("against Redis (TEST_REDIS_URL)", () => {
    it("admits exactly 5 of 20 simultaneous checks at 5 per 60 s", async () => {
      const limiter = createUpstashLimiter({ url: upstashUrl ?? "", token: upstashToken ?? "" });
      const limit = rule(5);
      await awayFromWindowEdge(limit.windowSeconds);
      const decisions = await Promise.all(
        Array.from({ length: 20 }, () => limiter.check(limit, "203.0.113.7")),
      );
      expect(
        allowedOf(decisions)
          .map((d) => d.remaining)
          .sort(),
      ).toEqual([0, 1, 2, 3, 4]);
      expect(
        decisions.filter((d) => !d.allowed).every((d) => d.resetSeconds >= 1 && d.resetSeconds <= 60),
      ).toBe(true);
      expect(await limiter.check(limit, "198.51.100.1")).toMatchObject({ allowed: true, remaining: 4 });
      await expect(limiter.ping()).resolves.toBeUndefined();
      expect(limiter.backend).toBe("upstash");
    });
  });
});
