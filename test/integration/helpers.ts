import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { expect } from "vitest";
import { createApp } from "../../src/app";
import type { AppEnv, Bindings } from "../../src/env";

/** The test bindings (from wrangler.toml plus the test database), typed. */
export const bindings = env as unknown as Bindings;

/**
 * A fresh app built by the production factory, for cases that need other bindings (a different
 * configuration) or an extra route contract to exercise the chassis.
 */
export function appWith(extend?: (app: OpenAPIHono<AppEnv>) => void) {
  const app = createApp();
  extend?.(app);
  return async (
    path: string,
    init: RequestInit = {},
    overrides: Partial<Bindings> = {},
  ): Promise<Response> => {
    const ctx = createExecutionContext();
    const response = await app.request(`https://api.test${path}`, init, { ...bindings, ...overrides }, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
}

/**
 * Sends a request through the production app factory (every middleware, the real bindings), with its own
 * execution context awaited, so after-response work and connections finish before the call returns.
 *
 * Why not the Worker's entry (`exports.default.fetch`): under @cloudflare/vitest-pool-workers each such call
 * gets slower as the calls its runtime has served add up (cloudflare/workers-sdk#15446: 5 ms at first, 65 ms
 * after 240 calls, 400 ms after 1,000), and the suites share one runtime per worker. The entry itself - the
 * app built on first use - is exercised by test/integration/health.test.ts.
 */
export const call = appWith();

/** Reads a problem+json body after checking the media type. */
export async function problemOf(response: Response) {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return response.json<{
    type: string;
    title: string;
    status: number;
    detail: string;
    code: string;
    requestId: string;
    instance: string;
    errors?: Array<{ location: string; pointer: string; message: string; code: string }>;
  }>();
}

/**
 * Waits, if need be, until a 60-second window has at least 15 s left. Windows are aligned to the epoch, and the
 * sliding window weighs the previous window's count down (floored) as soon as a new one starts: requests that
 * straddle a boundary may rightly be admitted one more time, so a test counting up to a limit stays inside one.
 */
export async function startInsideOneWindow(windowMs = 60_000, margin = 15_000): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < margin) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/**
 * The database calls one request made, by its `X-Request-Id`: calls to the SQL-over-HTTP server (one round
 * trip each) and WebSocket connections opened through the relay (each a handshake plus one round trip per
 * statement after it). Read from the local servers, which count what the Worker forwards.
 */
export async function databaseCalls(requestId: string): Promise<{ http: number; websocket: number }> {
  const { http, websocket } = await databaseStatements(requestId);
  return { http: http.length, websocket };
}

/** Each HTTP call a request made with its statements' SQL (to tell reads from writes), and its WebSockets. */
export async function databaseStatements(
  requestId: string,
): Promise<{ http: string[][]; websocket: number }> {
  const origin = new URL(bindings.SQL_HTTP_ENDPOINT as string).origin;
  const [http, websocket] = await Promise.all([
    fetch(`${origin}/calls/${encodeURIComponent(requestId)}`).then((r) =>
      r.json<{ statements: string[][] }>(),
    ),
    fetch(`http://${bindings.WS_RELAY}/connections/${encodeURIComponent(requestId)}`).then((r) =>
      r.json<{ connections: number }>(),
    ),
  ]);
  return { http: http.statements, websocket: websocket.connections };
}
