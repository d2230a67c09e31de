/** One benchmarked request. `prepare` runs once against the API before measuring (accounts, tokens). */
export interface Scenario {
  name: string;
  /**
   * `floor` is the empty Worker; `api` is FinEdge (Durable Object limiter); `api-unlimited` and
   * `api-upstash` are the same Worker with the limiter off or counting in Upstash.
   */
  target: "floor" | "api" | "api-unlimited" | "api-upstash";
  expectStatus: number;
  /** A floor on the measuring time, for requests that take a large part of a second each. */
  minSeconds?: number;
  prepare?: (apiUrl: string, connections: number) => Promise<RequestPlan>;
  plan?: RequestPlan;
}

/** What autocannon sends; `setupRequest` and `onResponse` let a scenario chain requests (token rotation). */
export interface RequestPlan {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: Record<string, unknown>) => Record<string, unknown>;
  onResponse?: (status: number, body: string) => void;
}

const json = { "content-type": "application/json" };
const PASSWORD = "bench-orbit-lantern-42";

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { ...json, ...headers },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return response.json() as Promise<Record<string, unknown>>;
}

/** A fresh account for a scenario; returns its e-mail and first token pair. */
async function account(apiUrl: string, label: string) {
  const email = `bench-${label}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const registered = await post(`${apiUrl}/api/v1/auth/register`, { email, password: PASSWORD });
  return { email, accessToken: registered.access_token as string };
}

export const scenarios: Scenario[] = [
  { name: "floor", target: "floor", expectStatus: 204, plan: { path: "/" } },
  // The rate-limit check's cost: the same cheap request with the limiter off, in a Durable Object, in Upstash.
  {
    name: "GET /health (limiter off)",
    target: "api-unlimited",
    expectStatus: 200,
    plan: { path: "/health" },
  },
  { name: "GET /health", target: "api", expectStatus: 200, plan: { path: "/health" } },
  { name: "GET /health (Upstash)", target: "api-upstash", expectStatus: 200, plan: { path: "/health" } },
  { name: "GET /health/ready", target: "api", expectStatus: 200, plan: { path: "/health/ready" } },
  {
    name: "GET /api/v1/auth/me",
    target: "api",
    expectStatus: 200,
    prepare: async (apiUrl) => {
      const { accessToken } = await account(apiUrl, "me");
      return { path: "/api/v1/auth/me", headers: { authorization: `Bearer ${accessToken}` } };
    },
  },
  {
    // A permission-checked request: token, session authority, standing (role, memberships) and a read.
    name: "GET /api/v1/api-keys (permission-checked)",
    target: "api",
    expectStatus: 200,
    prepare: async (apiUrl) => {
      const { accessToken } = await account(apiUrl, "perm");
      return { path: "/api/v1/api-keys?limit=1", headers: { authorization: `Bearer ${accessToken}` } };
    },
  },
  {
    // A machine: API-key lookup by hash, scope check, and a tenant-scoped read.
    name: "GET /api/v1/audit-events (API key)",
    target: "api",
    expectStatus: 200,
    prepare: async (apiUrl) => {
      const { accessToken } = await account(apiUrl, "key");
      const key = await post(
        `${apiUrl}/api/v1/api-keys`,
        { name: "bench", scopes: ["audit:read"] },
        { authorization: `Bearer ${accessToken}` },
      );
      return {
        path: "/api/v1/audit-events?limit=1",
        headers: { authorization: `Bearer ${key.key as string}` },
      };
    },
  },
  {
    // Rotation chains: a request takes a live refresh token from the pool and its response puts the
    // successor back (autocannon resets per-connection context after every request, so state lives here).
    name: "POST /api/v1/auth/refresh",
    target: "api",
    expectStatus: 200,
    prepare: async (apiUrl, connections) => {
      const { email } = await account(apiUrl, "refresh");
      const pool: string[] = [];
      for (let i = 0; i < connections; i++) {
        pool.push(
          (await post(`${apiUrl}/api/v1/auth/login`, { email, password: PASSWORD })).refresh_token as string,
        );
      }
      return {
        method: "POST",
        path: "/api/v1/auth/refresh",
        headers: json,
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ refresh_token: pool.shift() ?? "" }),
        }),
        onResponse: (status, body) => {
          if (status === 200) pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
        },
      };
    },
  },
  {
    // Dominated by one scrypt hash (N=2^14, r=8, p=5): its latency at c=1 is the hash's CPU cost.
    name: "POST /api/v1/auth/login",
    target: "api",
    expectStatus: 200,
    minSeconds: 10,
    prepare: async (apiUrl) => {
      const { email } = await account(apiUrl, "login");
      return {
        method: "POST",
        path: "/api/v1/auth/login",
        headers: json,
        body: JSON.stringify({ email, password: PASSWORD }),
      };
    },
  },
];
