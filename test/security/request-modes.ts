import { expect } from "vitest";
import { api, PASSWORD } from "../integration/auth-helpers";
import { seeded } from "../support/seeded";
import { expectProblem, type Problem } from "./expectations";
import { parametersIn, type WalkedOperation } from "./openapi-walk";
import { send } from "./worker";

/**
 * The ways a client can send the same request, so every attack runs in each of them:
 * - `bearer`: an access token in `Authorization`, nothing else (the way the suites always sent it);
 * - `idempotency-key`: the same, plus an `Idempotency-Key` - honoured by the routes that document it, and
 *   harmless everywhere else;
 * - `cookie`: a browser in cookie mode - the access token as bearer, the `__Host-` CSRF cookie on every
 *   request (the refresh cookie too on the refresh path) and its value echoed in `X-CSRF-Token`, sent
 *   same-origin as a browser does.
 */
export const MODES = ["bearer", "idempotency-key", "cookie"] as const;
export type Mode = (typeof MODES)[number];

export const modeLabel = (mode: Mode) =>
  mode === "bearer" ? "" : mode === "cookie" ? " [cookie mode]" : " [with Idempotency-Key]";

export const REFRESH_COOKIE = "__Secure-finedge_refresh";
export const CSRF_COOKIE = "__Host-finedge_csrf";
export const REFRESH_PATH = "/api/v1/auth/refresh";
/** The origin the suites' requests are addressed to (see test/integration/helpers.ts). */
export const API_ORIGIN = "https://api.test";

/**
 * The routes that sign a browser in (README, cookie mode): they take credentials in the body and answer with
 * fresh cookies, so a cookie sent along grants nothing and no CSRF token is asked for - but a cross-site
 * request is refused there too.
 */
export const SIGN_IN_PATHS = new Set([
  "/api/v1/auth/register",
  "/api/v1/auth/login",
  "/api/v1/auth/login/2fa",
  "/api/v1/auth/2fa/backup-code",
  "/api/v1/auth/magic-link/verify",
]);

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
export const isStateChanging = (walked: WalkedOperation) => UNSAFE_METHODS.has(walked.method);

/** Whether the operation documents the `Idempotency-Key` header (and so stores and replays answers). */
export const honoursIdempotencyKey = (walked: WalkedOperation) =>
  parametersIn(walked, "header").some((parameter) => parameter.name.toLowerCase() === "idempotency-key");

/** A browser's cookie jar for one cookie-mode session: what the API set, kept up to date from its answers. */
export interface CookieSession {
  accessToken: string;
  sessionId: string;
  refresh: string;
  csrf: string;
}

function cookieValue(response: Response, name: string): string | undefined {
  const line = response.headers.getSetCookie().find((header) => header.startsWith(`${name}=`));
  return line?.slice(name.length + 1).split(";")[0];
}

/** Signs in with `X-Token-Delivery: cookie`, as a browser app does, and keeps the cookies it gets. */
export async function cookieSignIn(email: string, password = PASSWORD): Promise<CookieSession> {
  const response = await api("/api/v1/auth/login", {
    body: { email, password },
    headers: { "x-token-delivery": "cookie" },
  });
  expect(response.status, await response.clone().text()).toBe(200);
  const body = await response.json<{ access_token: string; session_id: string; csrf_token: string }>();
  const refresh = cookieValue(response, REFRESH_COOKIE);
  const csrf = cookieValue(response, CSRF_COOKIE);
  expect(refresh, "refresh cookie").toBeDefined();
  expect(csrf, "CSRF cookie").toBe(body.csrf_token);
  return {
    accessToken: body.access_token,
    sessionId: body.session_id,
    refresh: refresh as string,
    csrf: csrf as string,
  };
}

/** Takes in the cookies an answer renews (a refresh rotates both), as the browser would. */
export function absorbCookies(session: CookieSession, response: Response): void {
  const refresh = cookieValue(response, REFRESH_COOKIE);
  const csrf = cookieValue(response, CSRF_COOKIE);
  if (refresh) session.refresh = refresh;
  if (csrf) session.csrf = csrf;
}

/**
 * What a same-origin browser sends in cookie mode to `path`: the cookies, and in `X-CSRF-Token` the CSRF
 * cookie's value - or `csrfHeader` instead (`null`: no header at all).
 */
export function cookieHeaders(
  session: CookieSession,
  path: string,
  csrfHeader: string | null = session.csrf,
): Record<string, string> {
  const cookies = [`${CSRF_COOKIE}=${session.csrf}`];
  if (path.split("?")[0] === REFRESH_PATH) cookies.unshift(`${REFRESH_COOKIE}=${session.refresh}`);
  return {
    cookie: cookies.join("; "),
    origin: API_ORIGIN,
    "sec-fetch-site": "same-origin",
    ...(csrfHeader === null ? {} : { "x-csrf-token": csrfHeader }),
  };
}

/**
 * A CSRF token of the right shape, but tampered: one signature character changed - the one before last, as
 * the last one's low bits are padding and would decode to the same signature.
 */
export function tamperedCsrf(token: string): string {
  const changed = token.at(-2) === "A" ? "B" : "A";
  return `${token.slice(0, -2)}${changed}${token.at(-1)}`;
}

/**
 * Idempotency-Key values the header's grammar refuses (1-255 printable ASCII): empty, blank, too long,
 * control characters (those a Fetch `Headers` lets through), DEL. Characters above ASCII are refused by the same
 * pattern (checked on it in fuzz.test.ts): workerd prints a notice for every request built with one in a header.
 */
export const MALFORMED_IDEMPOTENCY_KEYS = [
  "",
  "   ",
  "k".repeat(256),
  "key\twith-tab",
  "key\u0001ctl",
  "key\u001bescape",
  "key\u007fdel",
  "two words",
];

/** A fresh key for one attempt; its prefix lets a suite find every answer stored under its keys. */
export const freshKey = (prefix: string) => `${prefix}-${crypto.randomUUID()}`;

/** The answer to an attempt, read once: status, body text, problem (when it is one) and replay flag. */
export interface Answer {
  status: number;
  text: string;
  problem?: Problem;
  replayed: boolean;
}

/**
 * Reads an answer; an error must be a problem document. A replay is the stored first answer, byte for byte,
 * so its problem names the first request's id (the retry's own is in `X-Request-Id`).
 */
export async function readAnswer(response: Response, context: string): Promise<Answer> {
  const replayed = response.headers.get("idempotency-replayed") === "true";
  if (response.status < 400) return { status: response.status, text: await response.text(), replayed };
  if (!replayed) {
    const problem = await expectProblem(response.clone(), context);
    return { status: response.status, text: await response.text(), problem, replayed };
  }
  const text = await response.text();
  const where = `${context} -> ${response.status} (replayed) ${text.slice(0, 300)}`;
  expect(response.headers.get("content-type"), where).toBe("application/problem+json");
  const problem = JSON.parse(text) as Problem;
  expect(problem.type, where).toBe(`urn:finedge:problem:${problem.code}`);
  expect(problem.status, where).toBe(response.status);
  return { status: response.status, text, problem, replayed };
}

/**
 * A retry under the same Idempotency-Key answers as the first attempt did: the same status and problem code,
 * either afresh or as the stored answer (`Idempotency-Replayed: true`). Refusals made before anything was
 * decided (malformed input, invalid parameters, failed validation) are never stored, so their retry is
 * never a replay; and a refusal is never replayed as a success.
 */
export function expectSameRetry(first: Answer, retry: Answer, context: string): void {
  const outcome = (answer: Answer) =>
    `${answer.status} ${answer.problem?.code ?? ""}${answer.replayed ? " (replayed)" : ""}`;
  const where = `${context}: first ${outcome(first)}, retry ${outcome(retry)}`;
  if (first.problem?.code === "rate_limited" || retry.problem?.code === "rate_limited") return;
  expect(retry.status, where).toBe(first.status);
  expect(retry.problem?.code, where).toBe(first.problem?.code);
  if (first.problem && NOT_STORED_CODES.has(first.problem.code)) expect(retry.replayed, where).toBe(false);
  if (retry.replayed) expect(retry.text, where).toBe(first.text);
}

/** Problem codes an answer under an Idempotency-Key is never stored with (src/services/tenancy/idempotency.ts). */
export const NOT_STORED_CODES = new Set([
  "malformed_json",
  "invalid_parameters",
  "validation_failed",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "request_timeout",
  "idempotency_conflict",
  "idempotency_key_reused",
]);

/** Sends a request and, when the route honours the Idempotency-Key it carries, retries it under the same key. */
export async function sendWithRetry(
  walked: WalkedOperation,
  url: string,
  init: RequestInit & { headers: Record<string, string> },
  context: string,
  onResponse: (response: Response) => void = () => {},
): Promise<Answer> {
  const sent = async (label: string) => {
    const response = await send(url, init);
    onResponse(response);
    return readAnswer(response, label);
  };
  const first = await sent(context);
  if (init.headers["idempotency-key"] !== undefined && honoursIdempotencyKey(walked)) {
    const retry = await sent(`${context} (retry)`);
    expectSameRetry(first, retry, context);
  }
  return first;
}

export { seeded };

/** `count` items of `items` (all when there are fewer), chosen by the seed, in their original order. */
export function sample<T>(items: readonly T[], count: number, seed: number): T[] {
  if (items.length <= count) return [...items];
  const random = seeded(seed);
  const indexes = items.map((_, index) => index);
  for (let i = indexes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indexes[i], indexes[j]] = [indexes[j] as number, indexes[i] as number];
  }
  return indexes
    .slice(0, count)
    .sort((a, b) => a - b)
    .map((index) => items[index] as T);
}
