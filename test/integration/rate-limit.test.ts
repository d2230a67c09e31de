import { afterEach, describe, expect, it, vi } from "vitest";
import type { Bindings } from "../../src/env";
import { allPolicies, policyFor } from "../../src/services/rate-limit/rules";
import { appWith, problemOf } from "./helpers";

// Real limits (scale 1) through the Durable Object limiter; each test uses its own client address.
const request = appWith();
const limits = { RATE_LIMIT_SCALE: "1" } as Partial<Bindings>;
const octet = () => Math.floor(Math.random() * 254) + 1;
const ip = () => `10.${octet()}.${octet()}.${octet()}`;
const json = (body: unknown, address: string): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", "cf-connecting-ip": address },
  body: JSON.stringify(body),
});

afterEach(() => vi.restoreAllMocks());

describe("rate limits", () => {
  it("allows 5 logins a minute per address, then 429 problem+json with Retry-After and RateLimit headers", async () => {
    const address = ip();
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 7; i++) {
      last = await request(
        "/api/v1/auth/login",
        json({ email: "nobody@example.com", password: "whatever-1234" }, address),
        limits,
      );
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 5).every((s) => s === 401 || s === 423)).toBe(true);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const problem = await problemOf(last as Response);
    expect(problem.code).toBe("rate_limited");
    expect(Number(last?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(last?.headers.get("ratelimit-policy")).toBe('"login";q=5;w=60');
    expect(last?.headers.get("ratelimit")).toMatch(/^"login";r=0;t=\d+$/);
  });

  it("counts each address separately and each endpoint under its own policy", async () => {
    const first = ip();
    for (let i = 0; i < 3; i++) await request("/api/v1/auth/register", json({ email: "bad" }, first), limits);
    const blocked = await request("/api/v1/auth/register", json({ email: "bad" }, first), limits);
    expect(blocked.status).toBe(429);
    const other = await request("/api/v1/auth/register", json({ email: "bad" }, ip()), limits);
    expect(other.status).toBe(422);
    const login = await request(
      "/api/v1/auth/login",
      json({ email: "a@example.com", password: "whatever-1234" }, first),
      limits,
    );
    expect(login.status).not.toBe(429);
  });

  it("puts the headers on ordinary responses too", async () => {
    const response = await request("/health", { headers: { "cf-connecting-ip": ip() } }, limits);
    expect(response.status).toBe(200);
    expect(response.headers.get("ratelimit-policy")).toBe('"default";q=120;w=60');
    expect(response.headers.get("ratelimit")).toMatch(/^"default";r=119;t=\d+$/);
  });

  it("fails closed on sign-in and open elsewhere when the limiter is unreachable", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
    // An Upstash endpoint where nothing listens: every check fails.
    const broken = {
      ...limits,
      UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1",
      UPSTASH_REDIS_REST_TOKEN: "t",
    } as Partial<Bindings>;
    const login = await request(
      "/api/v1/auth/login",
      json({ email: "a@example.com", password: "whatever-1234" }, ip()),
      broken,
    );
    expect(login.status).toBe(503);
    expect((await problemOf(login)).code).toBe("service_unavailable");
    const health = await request("/health", { headers: { "cf-connecting-ip": ip() } }, broken);
    expect(health.status).toBe(200);
  });

  it("maps the documented endpoints to the documented limits", () => {
    const expected: Record<string, [number, boolean]> = {
      register: [3, true],
      login: [5, true],
      login_2fa: [5, true],
      two_factor: [10, true],
      refresh: [10, false],
      logout: [10, false],
    };
    for (const [name, [limit, failClosed]] of Object.entries(expected)) {
      expect(
        allPolicies().find((p) => p.name === name),
        name,
      ).toMatchObject({ limit, failClosed, windowSeconds: 60 });
    }
    expect(policyFor("POST", "/api/v1/auth/login/2fa").name).toBe("login_2fa");
    expect(policyFor("POST", "/api/v1/auth/2fa/backup-code").name).toBe("login_2fa");
    expect(policyFor("POST", "/api/v1/auth/2fa/enable").name).toBe("two_factor");
    expect(policyFor("GET", "/api/v1/auth/me").scope).toBe("principal");
    expect(policyFor("GET", "/health").name).toBe("default");
  });
});
