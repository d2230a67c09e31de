import type { components } from "./generated/schema.js";
import { FinEdgeProblem } from "./problem.js";
import type { TokenStore } from "./tokens.js";

type TokenPair = components["schemas"]["TokenPair"] | components["schemas"]["CookieTokenPair"];

/**
 * `bearer`: both tokens come back in JSON and live in the token store. `cookie` (browsers): the refresh
 * token is an HttpOnly cookie the browser sends only to /api/v1/auth/refresh, and unsafe requests carry
 * the CSRF token.
 */
export type TokenDelivery = "bearer" | "cookie";

/** Methods the API's CSRF check covers in cookie mode. */
const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const CSRF_COOKIE = "__Host-finedge_csrf";

export interface SessionOptions {
  store: TokenStore;
  delivery: TokenDelivery;
  /** Sends POST /api/v1/auth/refresh with these headers and body. */
  sendRefresh: (headers: Headers, body: string | null) => Promise<Response>;
  /** Cookie mode: the CSRF token when the store has none (after a reload, from the readable CSRF cookie). */
  csrfToken?: () => string | null;
  /** Called when the session can no longer be refreshed (signed out elsewhere, expired, reused token). */
  onSessionEnd?: (problem: FinEdgeProblem) => void;
}

/** The CSRF cookie's value, where the runtime has `document.cookie` (browsers). */
export function csrfCookie(): string | null {
  const cookies = (globalThis as { document?: { cookie?: string } }).document?.cookie ?? "";
  const found = cookies.split("; ").find((pair) => pair.startsWith(`${CSRF_COOKIE}=`));
  return found ? decodeURIComponent(found.slice(CSRF_COOKIE.length + 1)) : null;
}

/**
 * The signed-in state: puts credentials on requests and rotates the refresh token. Refresh tokens are
 * single-use (a reused one ends the whole session), so one refresh at a time is in flight and every call
 * that meets an expired access token meanwhile waits for that same refresh.
 */
export class Session {
  readonly delivery: TokenDelivery;
  #inflight: Promise<void> | undefined;
  readonly #options: SessionOptions;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.delivery = options.delivery;
  }

  /** Records the tokens of a sign-in or refresh answer. */
  async signedIn(answer: TokenPair): Promise<void> {
    await this.#options.store.set({
      accessToken: answer.access_token,
      refreshToken: "refresh_token" in answer ? answer.refresh_token : undefined,
      csrfToken: "csrf_token" in answer ? answer.csrf_token : undefined,
    });
  }

  /**
   * Puts the session's credentials on a request's headers, unless the caller set its own `Authorization`
   * (an API key, say). Returns the access token it put there, if any.
   */
  async authorize(headers: Headers, method: string): Promise<string | null> {
    const tokens = await this.#options.store.get();
    let sent: string | null = null;
    if (tokens && !headers.has("authorization")) {
      headers.set("authorization", `Bearer ${tokens.accessToken}`);
      sent = tokens.accessToken;
    }
    if (
      this.delivery === "cookie" &&
      UNSAFE_METHODS.has(method.toUpperCase()) &&
      !headers.has("x-csrf-token")
    ) {
      const csrf = tokens?.csrfToken ?? this.#options.csrfToken?.() ?? null;
      if (csrf) headers.set("x-csrf-token", csrf);
    }
    return sent;
  }

  /**
   * After the API refused `stale` as expired or invalid: a fresh access token, unless another call already
   * got one meanwhile.
   */
  async renew(stale: string): Promise<void> {
    const current = (await this.#options.store.get())?.accessToken;
    if (current !== undefined && current !== stale) return;
    await this.refresh();
  }

  /** Rotates the refresh token: one rotation in flight, shared by every caller. */
  refresh(): Promise<void> {
    this.#inflight ??= this.#rotate().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /** Forgets the tokens (sign-out, or a session the API ended). */
  async end(problem?: FinEdgeProblem): Promise<void> {
    await this.#options.store.clear();
    if (problem) this.#options.onSessionEnd?.(problem);
  }

  async #rotate(): Promise<void> {
    const tokens = await this.#options.store.get();
    const headers = new Headers();
    let body: string | null = null;
    if (this.delivery === "cookie") {
      const csrf = tokens?.csrfToken ?? this.#options.csrfToken?.() ?? null;
      if (csrf) headers.set("x-csrf-token", csrf);
    } else {
      if (!tokens?.refreshToken) {
        const problem = new FinEdgeProblem(401, {
          code: "unauthorized",
          title: "Unauthorized",
          detail: "Not signed in: no refresh token is held.",
        });
        await this.end(problem);
        throw problem;
      }
      headers.set("content-type", "application/json");
      body = JSON.stringify({ refresh_token: tokens.refreshToken });
    }
    const response = await this.#options.sendRefresh(headers, body);
    if (!response.ok) {
      const problem = await FinEdgeProblem.fromResponse(response);
      // Refused: the session is over (reused, revoked or expired token; a CSRF failure in cookie mode).
      if (problem.status === 401 || problem.status === 403) await this.end(problem);
      throw problem;
    }
    await this.signedIn((await response.json()) as TokenPair);
  }
}
