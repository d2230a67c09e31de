import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Consultation } from "../../src/durable-objects/tenant-authority";

const policy = { threshold: 5, lockSeconds: 900, windowSeconds: 600 };

// Real epoch times: the objects' alarms run on the wall clock, so test clocks start from it.
const guard = () => env.ACCOUNT_GUARD.get(env.ACCOUNT_GUARD.idFromName(`${crypto.randomUUID()}@example.com`));
const authority = () => env.SESSION_AUTHORITY.get(env.SESSION_AUTHORITY.idFromName(crypto.randomUUID()));
const storedKeys = (stub: ReturnType<typeof authority>) =>
  runInDurableObject(stub, (_, state) => [...state.storage.kv.list()].map(([key]) => key));

describe("AccountGuard", () => {
  it("locks on exactly the threshold-th failure, once", async () => {
    const stub = guard();
    const now = Date.now();
    for (let n = 1; n < policy.threshold; n++) {
      expect(await stub.recordFailure(now + n, policy)).toEqual({
        locked: false,
        retryAfterSeconds: 0,
        failures: n,
        justLocked: false,
      });
    }
    const locking = await stub.recordFailure(now + 10, policy);
    expect(locking).toEqual({ locked: true, retryAfterSeconds: 900, failures: 5, justLocked: true });
    expect(await stub.status(now + 10)).toEqual({ locked: true, retryAfterSeconds: 900, failures: 5 });
  });

  it("serialises 50 concurrent failures: one lock, exactly at the threshold", async () => {
    const stub = guard();
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 50 }, () => stub.recordFailure(now, policy)));
    expect(results.filter((r) => r.justLocked)).toHaveLength(1);
    expect(
      results
        .filter((r) => !r.locked)
        .map((r) => r.failures)
        .sort(),
    ).toEqual([1, 2, 3, 4]);
    expect(results.filter((r) => r.locked)).toHaveLength(46);
    expect(results.every((r) => r.failures <= policy.threshold)).toBe(true);
    expect(await stub.status(now)).toEqual({ locked: true, retryAfterSeconds: 900, failures: 5 });
  });

  it("does not extend the lock for failures while locked", async () => {
    const stub = guard();
    const now = Date.now();
    for (let n = 0; n < policy.threshold; n++) await stub.recordFailure(now, policy);
    const later = now + 600_000;
    const hammered = await stub.recordFailure(later, policy);
    expect(hammered).toEqual({ locked: true, retryAfterSeconds: 300, failures: 5, justLocked: false });
    expect((await stub.status(now + 899_999)).locked).toBe(true);
    expect(await stub.status(now + 900_000)).toEqual({ locked: false, retryAfterSeconds: 0, failures: 0 });
  });

  it("starts afresh when the lock expires", async () => {
    const stub = guard();
    const now = Date.now();
    for (let n = 0; n < policy.threshold; n++) await stub.recordFailure(now, policy);
    const afterLock = now + 900_000;
    const next = await stub.recordFailure(afterLock, policy);
    expect(next).toEqual({ locked: false, retryAfterSeconds: 0, failures: 1, justLocked: false });
  });

  it("forgets failures older than the window", async () => {
    const stub = guard();
    const now = Date.now();
    for (let n = 0; n < policy.threshold - 1; n++) await stub.recordFailure(now, policy);
    expect((await stub.status(now + 599_999)).failures).toBe(4);
    expect((await stub.status(now + 600_000)).failures).toBe(0);
    const next = await stub.recordFailure(now + 600_000, policy);
    expect(next).toMatchObject({ locked: false, failures: 1, justLocked: false });
  });

  it("resets the count on success", async () => {
    const stub = guard();
    const now = Date.now();
    for (let n = 0; n < policy.threshold - 1; n++) await stub.recordFailure(now, policy);
    await stub.recordSuccess();
    expect((await stub.status(now)).failures).toBe(0);
    expect(await stub.recordFailure(now, policy)).toMatchObject({ locked: false, failures: 1 });
  });

  it("unlocks on an administrator's request", async () => {
    const stub = guard();
    const now = Date.now();
    for (let n = 0; n < policy.threshold; n++) await stub.recordFailure(now, policy);
    await stub.unlock();
    expect(await stub.status(now)).toEqual({ locked: false, retryAfterSeconds: 0, failures: 0 });
  });

  it("keeps one account's failures away from another's", async () => {
    const [victim, other] = [guard(), guard()];
    const now = Date.now();
    for (let n = 0; n < policy.threshold; n++) await victim.recordFailure(now, policy);
    expect(await other.status(now)).toEqual({ locked: false, retryAfterSeconds: 0, failures: 0 });
  });
});

describe("SessionAuthority", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const token = (iat: number, sid = "s1", jti = crypto.randomUUID()) => ({ jti, sid, iat });

  it("refuses a revoked access token until its expiry, and prunes it after", async () => {
    const stub = authority();
    const t = now();
    const revoked = token(t);
    await stub.revokeToken(revoked.jti, t + 900);
    expect(await stub.check(revoked, t + 899)).toEqual({ valid: false, reason: "token_revoked" });
    expect(await stub.check(token(t), t)).toEqual({ valid: true });
    expect(await stub.check(revoked, t + 900)).toEqual({ valid: true });

    await stub.revokeToken("expired", t - 1);
    expect(await storedKeys(stub)).toEqual([`token:${revoked.jti}`]);
  });

  it("prunes on its alarm and re-arms it for the next expiry", async () => {
    const stub = authority();
    const t = now();
    await stub.revokeSession("live", t + 3600);
    await runInDurableObject(stub, (_, state) => state.storage.kv.put("token:stale", t - 1));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storedKeys(stub)).toEqual(["session:live"]);
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBe((t + 3600) * 1000);
  });

  it("refuses every token of a revoked session", async () => {
    const stub = authority();
    const t = now();
    await stub.revokeSession("s1", t + 86_400);
    expect(await stub.check(token(t, "s1"), t)).toEqual({ valid: false, reason: "session_revoked" });
    expect(await stub.check(token(t + 10, "s1"), t + 10)).toEqual({
      valid: false,
      reason: "session_revoked",
    });
    expect(await stub.check(token(t, "s2"), t)).toEqual({ valid: true });
  });

  it("revokeAll kills older tokens and accepts one issued after, even in the same second", async () => {
    const stub = authority();
    const t = now();
    await stub.revokeAll(t + 0.5);
    expect(await stub.check(token(t - 60), t)).toEqual({ valid: false, reason: "all_revoked" });
    expect(await stub.check(token(t + 0.4), t + 1)).toEqual({ valid: false, reason: "all_revoked" });
    // A whole-second iat of the revocation's second cannot be proven later, so it is refused.
    expect(await stub.check(token(t), t + 1)).toEqual({ valid: false, reason: "all_revoked" });
    expect(await stub.check(token(t + 0.6, "new"), t + 1)).toEqual({ valid: true });
    expect(await stub.check(token(t + 1, "new"), t + 1)).toEqual({ valid: true });
  });

  it("keeps the excepted session alive through revokeAll, until the next revokeAll", async () => {
    const stub = authority();
    const t = now();
    await stub.revokeAll(t, "current");
    expect(await stub.check(token(t - 60, "current"), t)).toEqual({ valid: true });
    expect(await stub.check(token(t - 60, "other"), t)).toEqual({ valid: false, reason: "all_revoked" });
    await stub.revokeAll(t + 5);
    expect(await stub.check(token(t - 60, "current"), t + 5)).toEqual({
      valid: false,
      reason: "all_revoked",
    });
  });

  it("never moves the cutoff back", async () => {
    const stub = authority();
    const t = now();
    await stub.revokeAll(t);
    await stub.revokeAll(t - 100);
    expect(await stub.check(token(t - 50), t)).toEqual({ valid: false, reason: "all_revoked" });
  });

  it("keeps one user's revocations away from another's", async () => {
    const [alice, bob] = [authority(), authority()];
    const t = now();
    const shared = token(t - 60, "s1", "jti-1");
    await alice.revokeAll(t);
    await alice.revokeToken(shared.jti, t + 900);
    await alice.revokeSession(shared.sid, t + 900);
    expect(await alice.check(shared, t)).toMatchObject({ valid: false });
    expect(await bob.check(shared, t)).toEqual({ valid: true });
  });
});

describe("SessionAuthority's copy of the standing", () => {
  const t = () => Math.floor(Date.now() / 1000);
  const claims = { jti: "j", sid: "s", iat: 0 };
  const facts = { role: "analyst" as const, status: "active" as const, memberships: [] };

  it("holds a copy filled under the generation it answered, until its bound", async () => {
    const stub = authority();
    const asked = await stub.check(claims, t(), { standing: true });
    expect(asked).toEqual({ valid: true, standing: undefined, generation: 0 });
    expect(await stub.learnStanding(0, facts, t() + 60)).toBe(true);
    expect(await stub.check(claims, t(), { standing: true })).toEqual({
      valid: true,
      standing: facts,
      generation: 0,
    });
    // Past its bound the copy is not used.
    expect(await stub.check(claims, t() + 61, { standing: true })).toMatchObject({ standing: undefined });
  });

  it("refuses a fill read before a change it was told of", async () => {
    const stub = authority();
    await stub.check(claims, t(), { standing: true });
    await stub.forgetStanding();
    expect(await stub.learnStanding(0, facts, t() + 60)).toBe(false);
    expect(await stub.check(claims, t(), { standing: true })).toEqual({
      valid: true,
      standing: undefined,
      generation: 1,
    });
  });
});

describe("TenantAuthority", () => {
  const tenantAuthority = () =>
    env.TENANT_AUTHORITY.get(env.TENANT_AUTHORITY.idFromName(crypto.randomUUID()));
  // Its answers as the Worker types them (RPC types a reply holding model rows' JSON columns as never).
  const consulted = (answer: Promise<unknown>) => answer as Promise<Consultation>;
  const day = "2026-12-03";
  const until = () => Math.floor(Date.now() / 1000) + 60;
  const active = (rows?: number) => ({
    status: "active" as const,
    quotas: rows === undefined ? {} : { inferenceRowsPerDay: rows },
  });
  const models = { own: [], activation: undefined };

  it("judges nothing without a copy, then takes by the facts it learns", async () => {
    const stub = tenantAuthority();
    const take = { day, rows: 1, defaultLimit: 100 };
    const first = await stub.consult({ day, model: "credit-lr", take });
    expect(first).toMatchObject({ generation: 0, tenant: undefined, models: undefined, granted: undefined });
    const learned = await stub.learn(
      0,
      { tenant: active(2), model: { name: "credit-lr", rows: models }, until: until() },
      take,
    );
    expect(learned).toMatchObject({ granted: 1, used: 1 });
    expect(await stub.consult({ day, model: "credit-lr", take })).toMatchObject({ granted: 1, used: 2 });
    // All or nothing: the quota of two is spent.
    expect(await stub.consult({ day, model: "credit-lr", take })).toMatchObject({ granted: 0, used: 2 });
    await stub.release(day, 1);
    expect(await stub.consult({ day, model: "credit-lr", take })).toMatchObject({ granted: 1, used: 2 });
  });

  it("grants a keyed take once: a retried bulk chunk gets the same rows, and partial takes what is left", async () => {
    const stub = tenantAuthority();
    await stub.learn(0, { tenant: active(10), used: { day, rows: 4 }, until: until() });
    const chunk = { day, rows: 8, defaultLimit: 100, partial: true, key: "job:0" };
    expect(await stub.consult({ day, take: chunk })).toMatchObject({ granted: 6, used: 10 });
    expect(await stub.consult({ day, take: chunk })).toMatchObject({ granted: 6, used: 10 });
    expect(await stub.consult({ day, take: { ...chunk, key: "job:1" } })).toMatchObject({ granted: 0 });
  });

  it("refuses a fill read before a change, grants nothing to a suspended tenant, and starts a day from the record", async () => {
    const stub = tenantAuthority();
    const { generation } = await consulted(stub.consult({ day }));
    await stub.forget();
    await stub.learn(generation, { tenant: active(), until: until() });
    expect((await consulted(stub.consult({ day }))).tenant).toBeUndefined();

    const now = await consulted(stub.consult({ day }));
    await stub.learn(now.generation, {
      tenant: { status: "suspended", quotas: {} },
      used: { day, rows: 7 },
      until: until(),
    });
    expect(await stub.consult({ day, take: { day, rows: 1, defaultLimit: 100 } })).toMatchObject({
      granted: 0,
      used: 7,
    });
  });
});
