import { generateCookie } from "hono/cookie";
import { CSRF_COOKIE, REFRESH_COOKIE } from "../../services/auth/cookies";

/** The `Set-Cookie` headers of cookie mode: the wire form of the refresh and CSRF tokens. */

/** The refresh route: the only path the refresh cookie is ever sent to. */
const REFRESH_PATH = "/api/v1/auth/refresh";

// Secure always, even in local development: browsers accept Secure cookies from http://localhost and 127.0.0.1.
const refreshOptions = {
  prefix: "secure",
  path: REFRESH_PATH,
  httpOnly: true,
  secure: true,
  sameSite: "Strict",
} as const;
// Readable by the page (not HttpOnly): that is what lets a same-origin client echo it in X-CSRF-Token.
const csrfOptions = { prefix: "host", path: "/", secure: true, sameSite: "Strict" } as const;

/** `Set-Cookie` for the refresh token, living as long as the session can still be refreshed. */
export const refreshCookie = (token: string, maxAgeSeconds: number) =>
  generateCookie(REFRESH_COOKIE, token, {
    ...refreshOptions,
    maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
  });

/** `Set-Cookie` for the CSRF token; same lifetime as the refresh cookie, so refreshing never lacks it. */
export const csrfCookie = (token: string, maxAgeSeconds: number) =>
  generateCookie(CSRF_COOKIE, token, { ...csrfOptions, maxAge: Math.max(0, Math.floor(maxAgeSeconds)) });

/** `Set-Cookie` headers that delete both cookies: empty, Max-Age=0, the same name, Path and attributes. */
export const clearedCookies = () => [refreshCookie("", 0), csrfCookie("", 0)];
