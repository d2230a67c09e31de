import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { decodeJwt } from "jose";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { CSRF_COOKIE, csrfKeys, REFRESH_COOKIE, verifyCsrfToken } from "../services/auth/cookies";
import { timingSafeEqualStrings } from "../services/auth/secrets";

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Routes that authenticate with credentials in the body and answer with fresh cookies. No cookie grants
 * anything there, and a request without cookies is never checked, so a token check would protect nothing;
 * but a stale CSRF cookie (its signing key since removed, or one the page cannot read from another origin)
 * would otherwise lock the browser out of signing in again. The origin checks still apply to them.
 */
const SIGN_IN_PATHS = new Set([
  "/api/v1/auth/register",
  "/api/v1/auth/login",
  "/api/v1/auth/login/2fa",
  "/api/v1/auth/2fa/backup-code",
  "/api/v1/auth/magic-link/verify",
]);

const failed = (detail: string) => new AppError("csrf_failed", detail);

/** The cookie-mode cookies a request carries, read with the same parser everywhere they are used. */
export function authCookies(c: Context<AppEnv>) {
  return { refresh: getCookie(c, REFRESH_COOKIE, "secure"), csrf: getCookie(c, CSRF_COOKIE, "host") };
}

/** Whether the request comes from a browser in cookie mode, or asks for it. */
export function inCookieMode(c: Context<AppEnv>): boolean {
  const cookies = authCookies(c);
  return (
    cookies.refresh !== undefined ||
    cookies.csrf !== undefined ||
    c.req.header("x-token-delivery") === "cookie"
  );
}

/**
 * The double-submit check: `X-CSRF-Token` equals the CSRF cookie (constant time) and is a token this server
 * signed. Returns the session it was issued for; callers that know the request's session compare the two.
 */
export async function verifiedCsrfSession(c: Context<AppEnv>): Promise<string> {
  const header = c.req.header("x-csrf-token");
  const cookie = authCookies(c).csrf;
  if (!header || !cookie || !timingSafeEqualStrings(header, cookie)) {
    throw failed("X-CSRF-Token must be sent and equal the CSRF cookie.");
  }
  const sessionId = await verifyCsrfToken(await csrfKeys(c.get("config")), header);
  if (!sessionId) throw failed("The CSRF token is not valid.");
  return sessionId;
}

/** The `sid` of a bearer JWT, unverified: it can only refuse a request, and `authenticate` verifies it. */
function bearerSessionId(c: Context<AppEnv>): string | undefined {
  const token = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "")?.[1];
  if (!token) return undefined;
  try {
    const { sid } = decodeJwt(token);
    return typeof sid === "string" ? sid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Defence in depth: a browser says where a request comes from. A cross-site one cannot be a same-site
 * client in cookie mode (SameSite=Strict cookies are never sent to it), and an Origin that is neither this
 * API nor an allow-listed client is not ours.
 */
function refuseForeignOrigin(c: Context<AppEnv>) {
  if (c.req.header("sec-fetch-site") === "cross-site")
    throw failed("Cross-site requests cannot use cookie mode.");
  const origin = c.req.header("origin");
  if (origin === undefined) return;
  if (origin !== new URL(c.req.url).origin && !c.get("config").CORS_ORIGINS.includes(origin)) {
    throw failed("The request's Origin may not use cookie mode.");
  }
}

/**
 * CSRF protection for cookie mode (ASVS 3.5.1). Every POST, PUT, PATCH or DELETE that carries the CSRF or
 * the refresh cookie must send `X-CSRF-Token` equal to the CSRF cookie and signed by this server, and bound
 * to the bearer token's session when there is one (the refresh route binds it to the refresh cookie's
 * session). Requests without those cookies - bearer clients - pass untouched.
 */
export function csrf(): MiddlewareHandler<AppEnv> {
  return async function csrf(c, next) {
    if (!UNSAFE_METHODS.has(c.req.method) || !inCookieMode(c)) return next();
    refuseForeignOrigin(c);
    const cookies = authCookies(c);
    const carriesCookies = cookies.refresh !== undefined || cookies.csrf !== undefined;
    if (!carriesCookies || SIGN_IN_PATHS.has(c.req.path)) return next();
    const sessionId = await verifiedCsrfSession(c);
    const bearer = bearerSessionId(c);
    if (bearer !== undefined && bearer !== sessionId)
      throw failed("The CSRF token belongs to another session.");
    return next();
  };
}
