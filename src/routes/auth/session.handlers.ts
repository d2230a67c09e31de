import type { RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { AppError } from "../../errors";
import { authOf } from "../../middleware/authenticate";
import { authCookies, inCookieMode, verifiedCsrfSession } from "../../middleware/csrf";
import { contextOf } from "../../middleware/request-context";
import { REFRESH_SLIDING_SECONDS } from "../../services/auth/context";
import { csrfKeys, issueCsrfToken } from "../../services/auth/cookies";
import { type LoginResult, login, loginSecondFactor } from "../../services/auth/login";
import { register as registerAccount } from "../../services/auth/registration";
import { endOwnSession } from "../../services/auth/session-ends";
import { refreshSession, type TokenPair } from "../../services/auth/sessions";
import { toTenantView, toUserView } from "./auth.schemas";
import { clearedCookies, csrfCookie, refreshCookie } from "./cookies";
import type * as routes from "./session.routes";
import { toCookieTokenPairView, toMfaChallengeView, toTokenPairView } from "./views";

const wantsCookies = (c: Context<AppEnv>) => c.req.header("x-token-delivery") === "cookie";

/**
 * Cookie mode: the refresh token leaves only as its HttpOnly cookie, and a CSRF token signed for the session
 * is set as a readable cookie (and returned, for the body too). Both cookies live as long as the session can
 * refresh.
 */
async function deliverToCookies(c: Context<AppEnv>, pair: TokenPair, maxAgeSeconds: number) {
  const csrfToken = await issueCsrfToken(await csrfKeys(c.get("config")), pair.sessionId);
  c.header("Set-Cookie", refreshCookie(pair.refreshToken, maxAgeSeconds), { append: true });
  c.header("Set-Cookie", csrfCookie(csrfToken, maxAgeSeconds), { append: true });
  return csrfToken;
}

/**
 * The answer to a completed sign-in: tokens in JSON, or in cookies when the client opted in at sign-in.
 * `extra` (the user, on sign-in) follows the tokens; in cookie mode the CSRF token comes last.
 */
async function signedIn<E extends object>(
  c: Context<AppEnv>,
  pair: TokenPair,
  extra: E,
  cookies = wantsCookies(c),
) {
  if (!cookies) return { ...toTokenPairView(pair), ...extra };
  const csrfToken = await deliverToCookies(c, pair, REFRESH_SLIDING_SECONDS);
  return { ...toCookieTokenPairView(pair), ...extra, csrf_token: csrfToken };
}

/**
 * A login result for the wire; a second-factor challenge sets no cookie (the completing call opts in again).
 * `cookies`: cookie mode, as the request asks (a federated sign-in asked for it when it started).
 */
export async function loginView(c: Context<AppEnv>, result: LoginResult, cookies = wantsCookies(c)) {
  if (result.mfaRequired) return toMfaChallengeView(result);
  const { user, ...pair } = result;
  return signedIn(c, pair, { user: toUserView(user) }, cookies);
}

export const register: RouteHandler<typeof routes.register, AppEnv> = async (c) => {
  const input = c.req.valid("json");
  const { user, tenant, tokens } = await registerAccount(contextOf(c), {
    email: input.email,
    password: input.password,
    displayName: input.display_name ?? null,
    tenantName: input.tenant_name ?? null,
  });
  return c.json(
    { user: toUserView(user), tenant: toTenantView(tenant), ...(await signedIn(c, tokens, {})) },
    201,
  );
};

export const loginWithPassword: RouteHandler<typeof routes.login, AppEnv> = async (c) => {
  const { email, password } = c.req.valid("json");
  return c.json(await loginView(c, await login(contextOf(c), email, password)), 200);
};

export const loginWithTotp: RouteHandler<typeof routes.loginTotp, AppEnv> = async (c) => {
  const { mfa_token, code } = c.req.valid("json");
  const result = await loginSecondFactor(contextOf(c), mfa_token, { totp: code });
  return c.json(await loginView(c, result), 200);
};

export const loginWithBackupCode: RouteHandler<typeof routes.loginBackupCode, AppEnv> = async (c) => {
  const { mfa_token, backup_code } = c.req.valid("json");
  const result = await loginSecondFactor(contextOf(c), mfa_token, { backupCode: backup_code });
  return c.json(await loginView(c, result), 200);
};

/**
 * One source of refresh token: the body (bearer clients, unchanged) or the cookie (cookie mode). In cookie
 * mode the CSRF token must belong to the refresh token's session - checked before rotating, so a refused
 * request changes nothing - and the answer renews both cookies.
 */
export const rotateRefreshToken: RouteHandler<typeof routes.refresh, AppEnv> = async (c) => {
  const fromBody = c.req.valid("json").refresh_token;
  const fromCookie = authCookies(c).refresh;
  if (fromBody !== undefined && fromCookie !== undefined) {
    throw new AppError("validation_failed", "The request body failed validation.", {
      errors: [
        {
          location: "body",
          pointer: "/refresh_token",
          message: "must be absent when the refresh cookie is sent",
          code: "conflict",
        },
      ],
    });
  }
  const ctx = contextOf(c);
  if (fromCookie === undefined) {
    if (fromBody === undefined) {
      throw new AppError(
        "unauthorized",
        "A refresh token is required, in the body or as the refresh cookie.",
      );
    }
    return c.json(toTokenPairView((await refreshSession(ctx, fromBody)).pair), 200);
  }
  // The middleware has checked this too; the refresh route relies on it alone, so it asks again. The token's
  // session must be the CSRF token's: checked in the rotation, before anything changes.
  const csrfSession = await verifiedCsrfSession(c);
  const { pair, maxAgeSeconds } = await refreshSession(ctx, fromCookie, { csrfSession });
  const csrfToken = await deliverToCookies(c, pair, maxAgeSeconds);
  return c.json({ ...toCookieTokenPairView(pair), csrf_token: csrfToken }, 200);
};

export const logout: RouteHandler<typeof routes.logout, AppEnv> = async (c) => {
  const auth = authOf(c);
  const ctx = contextOf(c);
  // The token itself is refused at once, while the session is ended with its event in one round trip.
  await Promise.all([
    ctx.sessionAuthority(auth.userId).revokeToken(auth.tokenId, auth.expiresAt),
    endOwnSession(ctx, auth, auth.sessionId, "logout", { type: "logout", always: true }),
  ]);
  if (inCookieMode(c))
    for (const cookie of clearedCookies()) c.header("Set-Cookie", cookie, { append: true });
  return c.body(null, 204);
};
