/** One benchmarked request. `prepare` runs once against the API before measuring (accounts, tokens). */
export interface Scenario {
  name: string;
  /**
   * `floor` is the empty Worker, `floor-fetch` the same plus one fetch to a local echo server, `floor-db` the
   * same plus one database round trip through the API's local SQL-over-HTTP server; `api` is FinEdge (Durable
   * Object limiter); `api-unlimited` and `api-upstash` are the same Worker with the limiter off or counting in
   * Upstash; `hash` verifies one password per request and does nothing else.
   */
  target: "floor" | "floor-fetch" | "floor-db" | "api" | "api-unlimited" | "api-upstash" | "hash";
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

/** The scenarios whose figures bench.ts sets side by side: a login, and the password hash it pays. */
export const LOGIN_SCENARIO = "POST /api/v1/auth/login";
export const HASH_SCENARIO = "password hash alone (verifyPassword, as login)";

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
export async function account(apiUrl: string, label: string) {
  const email = `bench-${label}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const registered = await post(`${apiUrl}/api/v1/auth/register`, { email, password: PASSWORD });
  return { email, accessToken: registered.access_token as string };
}

const DAY_MS = 86_400_000;
const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);

/**
 * A tenant with an organization, an asset with a year of daily closes (ending yesterday) and a portfolio that
 * may go negative in cash (so a benchmark can buy for ever), with monthly buys over that year.
 */
/** A fresh account's API key with one scope (creating a key needs a recent step-up of the session). */
async function apiKey(apiUrl: string, label: string, scope: string): Promise<string> {
  const { accessToken } = await account(apiUrl, label);
  const auth = { authorization: `Bearer ${accessToken}` };
  await post(`${apiUrl}/api/v1/auth/step-up`, { password: PASSWORD }, auth);
  const key = await post(`${apiUrl}/api/v1/api-keys`, { name: "bench", scopes: [scope] }, auth);
  return key.key as string;
}

async function portfolioWorld(apiUrl: string, label: string) {
  const { accessToken } = await account(apiUrl, label);
  const auth = { authorization: `Bearer ${accessToken}` };
  const org = await post(`${apiUrl}/api/v1/organizations`, { name: `bench-${crypto.randomUUID()}` }, auth);
  const symbol = `B${crypto.randomUUID().replaceAll("-", "").slice(0, 8)}`.toUpperCase();
  const asset = await post(
    `${apiUrl}/api/v1/assets`,
    { symbol, name: "Bench asset", asset_class: "stock", currency: "USD", quantity_scale: 2 },
    auth,
  );
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const closes = Array.from({ length: 365 }, (_, i) => ({
    symbol,
    price: `${100 + (i % 17)}.${i % 2 === 0 ? "25" : "75"}`,
    currency: "USD",
    at: new Date(today - (365 - i) * DAY_MS + 20 * 3_600_000).toISOString(),
  }));
  await post(`${apiUrl}/api/v1/prices`, { items: closes }, auth);
  const portfolio = await post(
    `${apiUrl}/api/v1/portfolios`,
    { organization_id: org.id, name: "Bench", base_currency: "USD", allow_negative_cash: true },
    auth,
  );
  const transactions = `${apiUrl}/api/v1/portfolios/${portfolio.id}/transactions`;
  await post(transactions, { type: "deposit", amount: "100000.00", executed_at: closes[0]?.at }, auth);
  for (let month = 0; month < 12; month++) {
    const at = closes[month * 30 + 1]?.at;
    await post(
      transactions,
      { type: "buy", asset_id: asset.id, quantity: "10.5", price: "101", executed_at: at },
      auth,
    );
  }
  return {
    auth,
    organizationId: org.id as string,
    symbol,
    portfolioPath: `/api/v1/portfolios/${portfolio.id as string}`,
    assetId: asset.id as string,
    from: isoDay(today - 365 * DAY_MS),
    to: isoDay(today - DAY_MS),
  };
}

const APPLICATION = {
  seniority: 9,
  home: "rent",
  time: 60,
  age: 30,
  marital: "married",
  records: "no",
  job: "freelance",
  expenses: 73,
  income: 129,
  assets: 0,
  debt: 0,
  amount: 800,
  price: 846,
};
const STATEMENT = {
  total_assets: "5000000000.00",
  total_liabilities: "2600000000.00",
  current_assets: "1800000000.00",
  current_liabilities: "950000000.00",
  net_income: "310000000.00",
  net_income_prior: "280000000.00",
  funds_from_operations: "520000000.00",
  revenue: "4200000000.00",
  ebit: "450000000.00",
  ebitda: "610000000.00",
  interest_expense: "60000000.00",
  long_term_debt: "1500000000.00",
  total_debt: "1800000000.00",
  total_equity: "2400000000.00",
};

/**
 * A scoring request for a fresh account. The first request is timed on its own and printed: in an isolate
 * that has not scored yet it pays the inference runtime's start-up and the model's load from R2 (cold).
 */
async function scoringPlan(
  apiUrl: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<RequestPlan> {
  const accessToken = token ?? (await account(apiUrl, "score")).accessToken;
  const headers = { ...json, authorization: `Bearer ${accessToken}` };
  const started = performance.now();
  await post(`${apiUrl}${path}`, body, headers);
  const first = performance.now() - started;
  const again = performance.now();
  await post(`${apiUrl}${path}`, body, headers);
  console.log(
    `  ${path}: first request ${first.toFixed(1)} ms, second ${(performance.now() - again).toFixed(1)} ms`,
  );
  return { method: "POST", path, headers, body: JSON.stringify(body) };
}

export const scenarios: Scenario[] = [
  { name: "floor", target: "floor", expectStatus: 204, plan: { path: "/" } },
  {
    name: "floor + one fetch (local echo server)",
    target: "floor-fetch",
    expectStatus: 204,
    plan: { path: "/" },
  },
  {
    name: "floor + one database round trip (select 1)",
    target: "floor-db",
    expectStatus: 204,
    plan: { path: "/" },
  },
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
    prepare: async (apiUrl) => ({
      path: "/api/v1/audit-events?limit=1",
      headers: { authorization: `Bearer ${await apiKey(apiUrl, "key", "audit:read")}` },
    }),
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
    // A money movement as a careful client sends it, with a fresh Idempotency-Key: the read it is decided on,
    // then one call - key claimed, portfolio locked, balances checked, postings, audit event, answer recorded.
    name: "POST /api/v1/portfolios/{id}/transactions (buy, Idempotency-Key)",
    target: "api",
    expectStatus: 201,
    prepare: async (apiUrl) => {
      const world = await portfolioWorld(apiUrl, "buy");
      return {
        method: "POST",
        path: `${world.portfolioPath}/transactions`,
        headers: { ...json, ...world.auth },
        body: JSON.stringify({ type: "buy", asset_id: world.assetId, quantity: "1", price: "100.25" }),
        setupRequest: (request) => ({
          ...request,
          headers: { ...(request.headers as Record<string, string>), "idempotency-key": crypto.randomUUID() },
        }),
      };
    },
  },
  ...writeScenarios(),
  {
    name: "GET /api/v1/portfolios/{id}/holdings",
    target: "api",
    expectStatus: 200,
    prepare: async (apiUrl) => {
      const world = await portfolioWorld(apiUrl, "holdings");
      return { path: `${world.portfolioPath}/holdings`, headers: world.auth };
    },
  },
  {
    // 365 daily valuations, time- and money-weighted returns, from a year of closes and monthly buys.
    name: "GET /api/v1/portfolios/{id}/performance (a year of daily prices)",
    target: "api",
    expectStatus: 200,
    prepare: async (apiUrl) => {
      const world = await portfolioWorld(apiUrl, "performance");
      return {
        path: `${world.portfolioPath}/performance?from=${world.from}&to=${world.to}`,
        headers: world.auth,
      };
    },
  },
  {
    // One loan application: manifest validation, one ONNX run in WebAssembly (graph: scaler, matrix product,
    // sigmoid), linear reason codes, quota count, prediction row and audit event in one transaction.
    name: "POST /api/v1/predictions/credit (credit-lr)",
    target: "api",
    expectStatus: 201,
    prepare: (apiUrl) =>
      scoringPlan(apiUrl, "/api/v1/predictions/credit", { application: APPLICATION, model: "credit-lr" }),
  },
  {
    // The same with the 200-tree model; its reason codes score 13 substituted copies in the same batch.
    name: "POST /api/v1/predictions/credit (credit-gbdt)",
    target: "api",
    expectStatus: 201,
    prepare: (apiUrl) =>
      scoringPlan(apiUrl, "/api/v1/predictions/credit", { application: APPLICATION, model: "credit-gbdt" }),
  },
  {
    // An inline annual statement: O-score features, the five credit ratios, one ONNX run.
    name: "POST /api/v1/predictions/annual (inline statement)",
    target: "api",
    expectStatus: 201,
    prepare: (apiUrl) => scoringPlan(apiUrl, "/api/v1/predictions/annual", { statement: STATEMENT }),
  },
  {
    // A machine scoring: the key and the tenant's facts held by its TenantAuthority, nothing read first.
    name: "POST /api/v1/predictions/credit (API key)",
    target: "api",
    expectStatus: 201,
    prepare: async (apiUrl) => {
      const body = { application: APPLICATION, model: "credit-lr" };
      const key = await apiKey(apiUrl, "score-key", "predictions:write");
      const headers = { ...json, authorization: `Bearer ${key}` };
      await post(`${apiUrl}/api/v1/predictions/credit`, body, headers);
      return { method: "POST", path: "/api/v1/predictions/credit", headers, body: JSON.stringify(body) };
    },
  },
  {
    // A company's stored statement: the model from the edge, the statements in one batch.
    name: "POST /api/v1/predictions/annual (stored statements)",
    target: "api",
    expectStatus: 201,
    prepare: async (apiUrl) => {
      const { accessToken } = await account(apiUrl, "score-stored");
      const auth = { authorization: `Bearer ${accessToken}` };
      const company = await post(`${apiUrl}/api/v1/companies`, { name: "Bench company" }, auth);
      const statement = {
        ...STATEMENT,
        period_type: "annual",
        fiscal_year: 2025,
        period_end: "2025-12-31",
        currency: "USD",
      };
      await post(
        `${apiUrl}/api/v1/companies/${company.id as string}/financials`,
        { statements: [statement] },
        auth,
      );
      return scoringPlan(apiUrl, "/api/v1/predictions/annual", { company_id: company.id }, accessToken);
    },
  },
  {
    // Dominated by one scrypt hash (N=2^14, r=8, p=5): its latency at c=1 is the hash's CPU cost.
    name: LOGIN_SCENARIO,
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
  {
    // The hash login must pay, alone: `verifyPassword` (same function and parameters) in a Worker of its own.
    name: HASH_SCENARIO,
    target: "hash",
    expectStatus: 204,
    minSeconds: 10,
    plan: { path: "/" },
  },
];

/** A request whose JSON body is made afresh for each request (a unique name, symbol or instant). */
const freshBody = (make: () => unknown) => (request: Record<string, unknown>) => ({
  ...request,
  body: JSON.stringify(make()),
});

/**
 * Writes other than money movements, each as a client makes it: one round trip where nothing must be read
 * first (creations), two where the write is decided on what it reads (changes).
 */
function writeScenarios(): Scenario[] {
  const unique = () => crypto.randomUUID().replaceAll("-", "").slice(0, 10).toUpperCase();
  return [
    {
      name: "POST /api/v1/organizations",
      target: "api",
      expectStatus: 201,
      prepare: async (apiUrl) => {
        const { auth } = await portfolioWorld(apiUrl, "org-create");
        return {
          method: "POST",
          path: "/api/v1/organizations",
          headers: { ...json, ...auth },
          setupRequest: freshBody(() => ({ name: `bench-${unique()}` })),
        };
      },
    },
    {
      name: "POST /api/v1/portfolios",
      target: "api",
      expectStatus: 201,
      prepare: async (apiUrl) => {
        const world = await portfolioWorld(apiUrl, "portfolio-create");
        return {
          method: "POST",
          path: "/api/v1/portfolios",
          headers: { ...json, ...world.auth },
          body: JSON.stringify({
            organization_id: world.organizationId,
            name: "Bench",
            base_currency: "USD",
          }),
        };
      },
    },
    {
      name: "PATCH /api/v1/portfolios/{id}",
      target: "api",
      expectStatus: 200,
      prepare: async (apiUrl) => {
        const world = await portfolioWorld(apiUrl, "portfolio-rename");
        return {
          method: "PATCH",
          path: world.portfolioPath,
          headers: { ...json, ...world.auth },
          setupRequest: freshBody(() => ({ name: `Bench ${unique()}` })),
        };
      },
    },
    {
      name: "POST /api/v1/assets",
      target: "api",
      expectStatus: 201,
      prepare: async (apiUrl) => {
        const { auth } = await portfolioWorld(apiUrl, "asset-create");
        return {
          method: "POST",
          path: "/api/v1/assets",
          headers: { ...json, ...auth },
          setupRequest: freshBody(() => ({
            symbol: `A${unique()}`,
            name: "Bench asset",
            asset_class: "stock",
            currency: "USD",
            quantity_scale: 2,
          })),
        };
      },
    },
    {
      name: "POST /api/v1/prices (one price)",
      target: "api",
      expectStatus: 200,
      prepare: async (apiUrl) => {
        const world = await portfolioWorld(apiUrl, "price");
        let at = Date.now() - 3_600_000;
        return {
          method: "POST",
          path: "/api/v1/prices",
          headers: { ...json, ...world.auth },
          setupRequest: freshBody(() => ({
            items: [
              { symbol: world.symbol, price: "101.50", currency: "USD", at: new Date(at++).toISOString() },
            ],
          })),
        };
      },
    },
  ];
}
