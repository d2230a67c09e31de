/**
 * `npm run smoke -- <url>`: checks a deployed environment end to end, as an operator does after `wrangler deploy`
 * - liveness and readiness (the database and what the Worker depends on), the API reference and its renderer
 * (static assets deployed), a sign-in (with the second factor when the account has one), one read, one
 * prediction (models published and the inference runtime working), and sign-out. The account is a dedicated one
 * of the environment: SMOKE_EMAIL and SMOKE_PASSWORD, and SMOKE_TOTP_SECRET (base32) if it has 2FA on; it needs
 * `predictions:write` (an analyst). Prints each step with its status and time; exits 1 at the first failure.
 */
import { generateTotp } from "../src/services/auth/totp";

interface Step {
  name: string;
  run: (state: State) => Promise<string>;
}
interface State {
  base: URL;
  token?: string;
}

const required = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

async function request(state: State, path: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (state.token) headers.set("authorization", `Bearer ${state.token}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const response = await fetch(new URL(path, state.base), {
    ...init,
    headers,
    body: init.json === undefined ? init.body : JSON.stringify(init.json),
    redirect: "manual",
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

const expectStatus = (answer: { status: number; text: string }, status: number, what: string) => {
  if (answer.status !== status) throw new Error(`${what}: ${answer.status} ${answer.text.slice(0, 300)}`);
};

export const STEPS: Step[] = [
  {
    name: "liveness",
    run: async (state) => {
      const answer = await request(state, "/health");
      expectStatus(answer, 200, "GET /health");
      return `version ${answer.json().version}`;
    },
  },
  {
    name: "readiness",
    run: async (state) => {
      const answer = await request(state, "/health/ready");
      expectStatus(answer, 200, "GET /health/ready");
      const services = answer.json().services as Record<string, { status: string }>;
      return Object.entries(services)
        .map(([name, service]) => `${name} ${service.status}`)
        .join(", ");
    },
  },
  {
    name: "API reference",
    run: async (state) => {
      const page = await request(state, "/docs");
      expectStatus(page, 200, "GET /docs");
      const src = page.text.match(/<script src="([^"]+)"/)?.[1];
      if (!src) throw new Error("GET /docs: no renderer named");
      const renderer = await request(state, src);
      expectStatus(renderer, 200, `GET ${src}`);
      return `${src} ${renderer.text.length} bytes`;
    },
  },
  {
    name: "sign-in",
    run: async (state) => {
      const login = await request(state, "/api/v1/auth/login", {
        method: "POST",
        json: { email: required("SMOKE_EMAIL"), password: required("SMOKE_PASSWORD") },
      });
      expectStatus(login, 200, "POST /api/v1/auth/login");
      let body = login.json();
      if (body.mfa_required) {
        const secret = required("SMOKE_TOTP_SECRET");
        const second = await request(state, "/api/v1/auth/login/2fa", {
          method: "POST",
          json: { mfa_token: body.mfa_token, code: generateTotp({ secret, now: Date.now() }) },
        });
        expectStatus(second, 200, "POST /api/v1/auth/login/2fa");
        body = second.json();
      }
      state.token = body.access_token;
      return `${body.user.email} (${body.user.role})${body.user.two_factor_enabled ? " with 2FA" : ""}`;
    },
  },
  {
    name: "read",
    run: async (state) => {
      const answer = await request(state, "/api/v1/portfolios?limit=1");
      expectStatus(answer, 200, "GET /api/v1/portfolios");
      return `${answer.json().items.length} portfolio(s) on the first page`;
    },
  },
  {
    name: "prediction",
    run: async (state) => {
      const answer = await request(state, "/api/v1/predictions/credit", {
        method: "POST",
        json: {
          application: { seniority: 9, home: "rent", time: 60, age: 30, marital: "married", records: "no" },
          reference: `smoke-${new Date().toISOString()}`,
        },
      });
      expectStatus(answer, 201, "POST /api/v1/predictions/credit");
      const prediction = answer.json();
      return `${prediction.model.name} ${prediction.model.version}: probability ${prediction.probability} (${prediction.band})`;
    },
  },
  {
    name: "sign-out",
    run: async (state) => {
      const answer = await request(state, "/api/v1/auth/logout", { method: "POST" });
      expectStatus(answer, 204, "POST /api/v1/auth/logout");
      return "session ended";
    },
  },
];

async function main() {
  const target = process.argv[2];
  if (!target || !/^https?:\/\//.test(target)) {
    console.error("usage: npm run smoke -- <url>   (SMOKE_EMAIL, SMOKE_PASSWORD, SMOKE_TOTP_SECRET if 2FA)");
    process.exit(2);
  }
  const state: State = { base: new URL(target) };
  for (const step of STEPS) {
    const started = performance.now();
    try {
      const detail = await step.run(state);
      console.log(`ok   ${step.name.padEnd(14)} ${Math.round(performance.now() - started)} ms  ${detail}`);
    } catch (error) {
      console.log(
        `FAIL ${step.name.padEnd(14)} ${Math.round(performance.now() - started)} ms  ${(error as Error).message}`,
      );
      process.exit(1);
    }
  }
  console.log(`smoke: ${state.base.origin} passed`);
}

await main();
