import { FinEdgeProblem } from "./problem.js";
import type { Session } from "./session.js";

/** The `fetch` the client calls: the platform's, or one the app or a test supplies. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** One request as the transport sends it, possibly several times. */
export interface Outgoing {
  url: string;
  method: string;
  headers: Headers;
  /** A fresh body for each attempt (the same bytes), or null for none. */
  body: (() => BodyInit) | null;
  /** The body is a stream: `fetch` needs `duplex: "half"`. */
  streaming?: boolean;
  /** False when the body can be sent once only (a caller's own stream): then it is never resent. */
  replayable?: boolean;
  signal?: AbortSignal | null | undefined;
}

/** Sends one attempt of a request; the default is `fetch`, bulk uploads may use XMLHttpRequest. */
export type Attempt = (request: Outgoing, headers: Headers, body: BodyInit | null) => Promise<Response>;

export interface RetryPolicy {
  /** Retries after a 429 or 503 with `Retry-After`, or a network failure. */
  retries: number;
  /** A `Retry-After` longer than this is not waited for: the problem is thrown. */
  maxDelayMs: number;
  /** The first wait after a network failure; it doubles with each retry. */
  networkBackoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, maxDelayMs: 30_000, networkBackoffMs: 250 };

/** RFC 9110 s9.2.2: these methods may be repeated; POST and PATCH only under an Idempotency-Key. */
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** RFC 9110 s10.2.3: delay-seconds or an HTTP-date; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * RFC 6750 s3.1: the access token was refused as expired, revoked or malformed - worth a refresh. A browser
 * calling across origins cannot read `WWW-Authenticate` (CORS exposes only listed headers); then the
 * problem code tells: `unauthorized` refuses the token, `invalid_credentials` a password, which a refresh
 * would not mend.
 */
async function invalidToken(response: Response): Promise<boolean> {
  if (response.status !== 401) return false;
  const challenge = response.headers.get("www-authenticate");
  if (challenge !== null) return /error="invalid_token"/.test(challenge);
  const problem = await response
    .clone()
    .json()
    .catch(() => null);
  return (problem as { code?: string } | null)?.code === "unauthorized";
}

/** How long to wait before trying again, or null to give up: 429 and 503, or a key's request in flight. */
async function waitFor(response: Response): Promise<number | null> {
  const delay = retryAfterMs(response.headers.get("retry-after"));
  if (delay === null) return null;
  if (response.status === 429 || response.status === 503) return delay;
  if (response.status !== 409) return null;
  // The first request under this Idempotency-Key is still running: its answer is replayed once it is done.
  const problem = await response
    .clone()
    .json()
    .catch(() => null);
  return (problem as { code?: string } | null)?.code === "idempotency_conflict" ? delay : null;
}

/**
 * Sends requests with the session's credentials: refreshes once and resends when the access token is refused
 * as invalid, waits out `Retry-After` (bounded) and network failures for requests that may be repeated, and
 * throws every error answer as a FinEdgeProblem. Requests under an Idempotency-Key resend the same key.
 */
export class Transport {
  readonly #fetch: FetchLike;
  readonly #session: Session;
  readonly #retry: RetryPolicy;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: {
    fetch: FetchLike;
    session: Session;
    retry: RetryPolicy;
    sleep?: (ms: number) => Promise<void>;
  }) {
    this.#fetch = options.fetch;
    this.#session = options.session;
    this.#retry = options.retry;
    this.#sleep = options.sleep ?? sleep;
  }

  /** Cookie mode: requests carry the browser's cookies (`credentials: "include"`). */
  get cookieMode(): boolean {
    return this.#session.delivery === "cookie";
  }

  /** One attempt through `fetch`. */
  readonly fetchAttempt: Attempt = (request, headers, body) =>
    this.#fetch(request.url, {
      method: request.method,
      headers,
      body,
      signal: request.signal ?? null,
      // Cookie mode: the browser sends the refresh and CSRF cookies (they are HttpOnly or SameSite=Strict).
      ...(this.cookieMode ? { credentials: "include" } : {}),
      ...(request.streaming ? { duplex: "half" } : {}),
    } as RequestInit);

  /** Sends a request until it succeeds or may not be tried again; an error answer is thrown. */
  async send(request: Outgoing, attempt: Attempt = this.fetchAttempt): Promise<Response> {
    const method = request.method.toUpperCase();
    const replayable = request.replayable !== false;
    const repeatable =
      replayable && (IDEMPOTENT_METHODS.has(method) || request.headers.has("idempotency-key"));
    let refreshed = false;
    for (let retries = 0; ; ) {
      const headers = new Headers(request.headers);
      const sent = await this.#session.authorize(headers, method);
      let response: Response;
      try {
        response = await attempt(request, headers, request.body?.() ?? null);
      } catch (error) {
        const aborted = (error as { name?: string } | null)?.name === "AbortError";
        if (!repeatable || aborted || retries >= this.#retry.retries) throw error;
        await this.#sleep(this.#retry.networkBackoffMs * 2 ** retries++);
        continue;
      }
      if (response.ok) return response;
      // A refused access token means nothing was done: resending after a refresh is safe for any method,
      // once - unless its body cannot be sent again.
      if (sent !== null && !refreshed && replayable && (await invalidToken(response))) {
        refreshed = true;
        await response.body?.cancel();
        await this.#session.renew(sent);
        continue;
      }
      const delay = repeatable && retries < this.#retry.retries ? await waitFor(response) : null;
      if (delay !== null && delay <= this.#retry.maxDelayMs) {
        await response.body?.cancel();
        await this.#sleep(delay);
        retries++;
        continue;
      }
      throw await FinEdgeProblem.fromResponse(response);
    }
  }
}
