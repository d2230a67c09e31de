import createClient, { type Client } from "openapi-fetch";
import { type AuthApi, authApi } from "./auth.js";
import { type BulkApi, bulkApi } from "./bulk.js";
import type { paths } from "./generated/schema.js";
import { idempotencyKeys } from "./idempotency.js";
import type { FinEdgeProblem } from "./problem.js";
import { csrfCookie, Session, type TokenDelivery } from "./session.js";
import { memoryTokenStore, type TokenStore } from "./tokens.js";
import { DEFAULT_RETRY, type FetchLike, type Outgoing, type RetryPolicy, Transport } from "./transport.js";

export interface FinEdgeClientOptions {
  /** The API's origin, e.g. `https://api.finedge.example` (paths in the types start with `/api/v1`). */
  baseUrl: string;
  /** Defaults to the platform's `fetch`. Tests and server-side callers pass their own. */
  fetch?: FetchLike;
  /** Where tokens live; memory by default (see `webStorageTokenStore`, `secureTokenStore`). */
  tokens?: TokenStore;
  /** `cookie` for browser apps: the refresh token stays in an HttpOnly cookie. Default `bearer`. */
  tokenDelivery?: TokenDelivery;
  retry?: Partial<RetryPolicy>;
  /** Cookie mode: the CSRF token when the store holds none; by default the readable CSRF cookie. */
  csrfToken?: () => string | null;
  /** Called when the session can no longer be refreshed: show the sign-in screen. */
  onSessionEnd?: (problem: FinEdgeProblem) => void;
  /** How the client waits before a retry; `setTimeout` by default (an app's scheduler, a test's clock). */
  sleep?: (ms: number) => Promise<void>;
  /** Generates Idempotency-Keys; `crypto.randomUUID` by default. */
  idempotencyKey?: () => string;
}

/** The FinEdge client: every path of the API, typed, plus sign-in, pages and bulk uploads. */
export interface FinEdgeClient {
  /** Typed calls for every operation (openapi-fetch): `api.GET("/api/v1/portfolios", {...})`. */
  api: Client<paths>;
  auth: AuthApi;
  bulk: BulkApi;
  session: Session;
  transport: Transport;
}

/** A request built by openapi-fetch, as the transport sends it (its small JSON body read once). */
async function outgoingOf(request: Request): Promise<Outgoing> {
  const bytes = request.body === null ? null : await request.arrayBuffer();
  return {
    url: request.url,
    method: request.method,
    headers: new Headers(request.headers),
    body: bytes === null ? null : () => bytes,
    signal: request.signal,
  };
}

export function createFinEdgeClient(options: FinEdgeClientOptions): FinEdgeClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  // Unbound, the platform's fetch throws "Illegal invocation" in browsers.
  const fetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const session: Session = new Session({
    store: options.tokens ?? memoryTokenStore(),
    delivery: options.tokenDelivery ?? "bearer",
    csrfToken: options.csrfToken ?? csrfCookie,
    ...(options.onSessionEnd ? { onSessionEnd: options.onSessionEnd } : {}),
    sendRefresh: (headers, body) =>
      transport.fetchAttempt(
        { url: `${baseUrl}/api/v1/auth/refresh`, method: "POST", headers, body: null },
        headers,
        body,
      ),
  });
  const transport = new Transport({
    fetch,
    session,
    retry,
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
  const api = createClient<paths>({
    baseUrl,
    fetch: async (request: Request) => transport.send(await outgoingOf(request)),
  });
  api.use(idempotencyKeys(options.idempotencyKey ?? (() => crypto.randomUUID())));
  return {
    api,
    auth: authApi(api, session),
    bulk: bulkApi({
      baseUrl,
      transport,
      idempotencyKey: options.idempotencyKey ?? (() => crypto.randomUUID()),
    }),
    session,
    transport,
  };
}
