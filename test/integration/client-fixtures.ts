/**
 * The typed client (client/) driving the Worker's app: its `fetch` routes each request into the app, with
 * a record of what was sent, so tests can count refreshes and retries.
 */
import { decodeJwt } from "jose";
import {
  createFinEdgeClient,
  type FinEdgeClientOptions,
  memoryTokenStore,
  type Tokens,
} from "../../client/src";
import { loadConfig } from "../../src/config";
import type { Bindings } from "../../src/env";
import { issueAccessToken } from "../../src/services/auth/jwt";
import { loadSigningKeys } from "../../src/services/auth/keys";
import { PASSWORD, uniqueEmail } from "./auth-helpers";
import { bindings, call } from "./helpers";

export interface Sent {
  method: string;
  path: string;
  headers: Headers;
}

/** What stands between the client and the app: by default nothing, else a test's network conditions. */
export type Network = (path: string, init: RequestInit, app: () => Promise<Response>) => Promise<Response>;

export interface TestClientOptions extends Partial<FinEdgeClientOptions> {
  /** Other bindings for the app (real rate limits, say). */
  overrides?: Partial<Bindings>;
  network?: Network;
}

/** A client whose requests go into the app, and the list of requests it sent. */
export function testClient(options: TestClientOptions = {}) {
  const { overrides = {}, network, ...clientOptions } = options;
  const sent: Sent[] = [];
  const store = clientOptions.tokens ?? memoryTokenStore();
  const client = createFinEdgeClient({
    baseUrl: "https://api.test",
    tokens: store,
    ...clientOptions,
    fetch: (input, init) => {
      const url = new URL(input);
      const path = `${url.pathname}${url.search}`;
      sent.push({ method: init.method ?? "GET", path, headers: new Headers(init.headers) });
      // A browser's cookie mode is for the browser to honour; the app's Request in workerd takes no
      // `credentials`, so a test plays the browser's part itself (cookieJar).
      const { credentials: _credentials, ...rest } = init as RequestInit & { credentials?: string };
      const app = () => call(path, rest, overrides);
      return network ? network(path, rest, app) : app();
    },
  });
  const count = (method: string, path: string) =>
    sent.filter((request) => request.method === method && request.path.split("?")[0] === path).length;
  return { client, sent, store, count };
}

/** Registers a new account through the client; the tenant's admin, signed in. */
export async function registered(options: TestClientOptions = {}) {
  const test = testClient(options);
  const email = uniqueEmail("client");
  const { user, tenant } = await test.client.auth.register({ email, password: PASSWORD });
  return { ...test, email, user, tenant };
}

/** The same session's access token, expired (issued 20 minutes ago for 15). */
export async function expiredAccessToken(token: string): Promise<string> {
  const claims = decodeJwt(token) as { sub: string; tid: string; role: string; sid: string };
  const config = loadConfig(bindings);
  const keys = await loadSigningKeys(bindings.JWT_SIGNING_KEYS as string);
  const issued = await issueAccessToken(
    keys,
    { userId: claims.sub, tenantId: claims.tid, role: claims.role, sessionId: claims.sid },
    { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, now: new Date(Date.now() - 20 * 60_000) },
  );
  return issued.token;
}

/** Replaces the stored access token with an expired one of the same session. */
export async function expireAccessToken(store: { get(): unknown; set(tokens: Tokens): unknown }) {
  const tokens = (await store.get()) as Tokens;
  await store.set({ ...tokens, accessToken: await expiredAccessToken(tokens.accessToken) });
  return tokens;
}
