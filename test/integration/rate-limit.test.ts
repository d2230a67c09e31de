import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { createApp } from "../../src/app";
import type { Bindings } from "../../src/env";
import { contractPolicies } from "../../src/middleware/rate-limit";
import {
  DEFAULT_POLICY,
  RATE_LIMIT_POLICIES,
  type RateLimitPolicy,
} from "../../src/services/rate-limit/rules";
import {
  fetchDocument,
  isSecured,
  nameOf,
  type OpenApiDocument,
  operationsOf,
  type WalkedOperation,
} from "../security/openapi-walk";
import { registerUser } from "./auth-helpers";
import { appWith, problemOf, startInsideOneWindow } from "./helpers";

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
    await startInsideOneWindow();
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
    await startInsideOneWindow();
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

  it("fails closed on sign-in and open elsewhere when the limiter does not answer", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
    // An Upstash endpoint that accepts connections and never answers: every check misses its deadline.
    const broken = {
      ...limits,
      UPSTASH_REDIS_REST_URL: inject("silentUrl"),
      UPSTASH_REDIS_REST_TOKEN: "t",
      RATE_LIMIT_TIMEOUT_MS: "300",
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

  it("counts a request that matches no route under the default policy, by address", async () => {
    // Under a prefix whose routes are all per user: the path decides nothing, the matched route does.
    const response = await request(
      "/api/v1/portfolios/1/nothing",
      { headers: { "cf-connecting-ip": ip() } },
      limits,
    );
    expect(response.status).toBe(404);
    expect(response.headers.get("ratelimit-policy")).toBe('"default";q=120;w=60');
  });

  it("keeps the documented limits", () => {
    const expected: Record<string, [number, RateLimitPolicy["scope"], boolean]> = {
      register: [3, "ip", true],
      login: [5, "ip", true],
      login_2fa: [5, "ip", true],
      two_factor: [10, "principal", true],
      federated: [10, "ip", true],
      refresh: [10, "ip", false],
      logout: [10, "principal", false],
      account_email: [5, "ip", true],
      account: [60, "principal", false],
      invitation_accept: [5, "ip", true],
      portfolio: [60, "principal", false],
      predictions: [20, "principal", false],
      prices: [60, "principal", false],
      tenant_api: [120, "principal", false],
      provider_callback: [600, "ip", false],
      default: [120, "ip", false],
    };
    expect(Object.keys(RATE_LIMIT_POLICIES).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, [limit, scope, failClosed]] of Object.entries(expected)) {
      expect(RATE_LIMIT_POLICIES[name as keyof typeof RATE_LIMIT_POLICIES], name).toEqual({
        name,
        limit,
        windowSeconds: 60,
        scope,
        failClosed,
      });
    }
    expect(DEFAULT_POLICY.name).toBe("default");
  });

  it("resolves each request to the policy of the route it is dispatched to", () => {
    const policyFor = contractPolicies(createApp());
    expect(policyFor("POST", "/api/v1/auth/login").name).toBe("login");
    expect(policyFor("POST", "/api/v1/auth/magic-link/verify").name).toBe("login");
    expect(policyFor("POST", "/api/v1/auth/login/2fa").name).toBe("login_2fa");
    expect(policyFor("GET", "/api/v1/auth/federated/google/callback").name).toBe("federated");
    expect(policyFor("POST", "/api/v1/auth/federated/token").name).toBe("federated");
    expect(policyFor("POST", "/api/v1/auth/2fa/backup-code").name).toBe("login_2fa");
    expect(policyFor("POST", "/api/v1/auth/2fa/backup-codes").name).toBe("two_factor");
    expect(policyFor("POST", "/api/v1/auth/2fa/enable").name).toBe("two_factor");
    expect(policyFor("POST", "/api/v1/auth/magic-link").name).toBe("account_email");
    expect(policyFor("POST", "/api/v1/invitations/abc/accept").name).toBe("invitation_accept");
    expect(policyFor("DELETE", "/api/v1/invitations/abc").name).toBe("tenant_api");
    expect(policyFor("POST", "/api/v1/portfolio/buy").name).toBe("portfolio");
    expect(policyFor("GET", "/api/v1/auth/me").scope).toBe("principal");
    expect(policyFor("HEAD", "/api/v1/auth/me").name).toBe("account");
    expect(policyFor("GET", "/health").name).toBe("default");
    // No route: the default, whatever the prefix or method.
    expect(policyFor("GET", "/api/v1/auth/nothing").name).toBe("default");
    expect(policyFor("GET", "/api/v1/transactions").name).toBe("default");
    expect(policyFor("GET", "/api/v1/auth/login").name).toBe("default");
  });
});

type Declared = {
  "x-rate-limit"?: unknown;
  responses: Record<string, { content?: Record<string, unknown> }>;
};
const declaredOf = (walked: WalkedOperation) => (walked.operation as Declared)["x-rate-limit"];
const policyNamed = (name: unknown) =>
  Object.values(RATE_LIMIT_POLICIES).find((policy: RateLimitPolicy) => policy.name === name);
/** A concrete request path for a documented one (no route constrains its parameters' form). */
const concrete = (path: string) => path.replace(/\{\w+\}/g, "00000000-0000-4000-8000-000000000000");
const headerOf = (policy: RateLimitPolicy) => `"${policy.name}";q=${policy.limit};w=${policy.windowSeconds}`;

describe("rate-limit policies on the route contracts", () => {
  let document: OpenApiDocument;
  let operations: WalkedOperation[];
  beforeAll(async () => {
    document = await fetchDocument();
    operations = operationsOf(document);
  });

  it("are declared by every operation of the document, each a known policy with its 429 documented", () => {
    expect(operations.length).toBeGreaterThan(50);
    for (const walked of operations) {
      const policy = policyNamed(declaredOf(walked));
      expect(policy, `${nameOf(walked)} x-rate-limit`).toBeDefined();
      expect(
        (walked.operation as Declared).responses["429"]?.content,
        `${nameOf(walked)} 429`,
      ).toHaveProperty("application/problem+json");
    }
  });

  it("count per user or key only where the route authenticates (else nothing would count them)", () => {
    for (const walked of operations) {
      if (policyNamed(declaredOf(walked))?.scope === "principal")
        expect(isSecured(document, walked), nameOf(walked)).toBe(true);
    }
  });

  it("are what the middleware enforces: each operation resolves to the policy it declares", () => {
    const policyFor = contractPolicies(createApp());
    for (const walked of operations) {
      expect(policyFor(walked.method, concrete(walked.path)).name, nameOf(walked)).toBe(declaredOf(walked));
    }
  });

  it("are on the wire: every anonymous operation answers with its policy, counted by address", async () => {
    const anonymous = operations.filter((walked) => policyNamed(declaredOf(walked))?.scope === "ip");
    expect(anonymous.length).toBeGreaterThan(10);
    for (const walked of anonymous) {
      const response = await request(
        concrete(walked.path),
        { method: walked.method, headers: { "cf-connecting-ip": ip() } },
        limits,
      );
      await response.body?.cancel();
      expect(response.headers.get("ratelimit-policy"), nameOf(walked)).toBe(
        headerOf(policyNamed(declaredOf(walked)) as RateLimitPolicy),
      );
    }
  });

  it("are on the wire: every authenticated read answers with its policy, counted per user", async () => {
    const { access_token: token } = await registerUser("limits");
    const reads = operations.filter(
      (walked) => walked.method === "GET" && policyNamed(declaredOf(walked))?.scope === "principal",
    );
    expect(reads.length).toBeGreaterThan(10);
    for (const walked of reads) {
      const response = await request(
        concrete(walked.path),
        { headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": ip() } },
        limits,
      );
      await response.body?.cancel();
      // Tenant routes list the tenant's quota after the endpoint's policy.
      expect(response.headers.get("ratelimit-policy"), `${nameOf(walked)} ${response.status}`).toMatch(
        new RegExp(`^${headerOf(policyNamed(declaredOf(walked)) as RateLimitPolicy)}(, |$)`),
      );
    }
  });
});
