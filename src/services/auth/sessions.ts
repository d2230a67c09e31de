import { sql } from "drizzle-orm";
import { jsonResult, read } from "../../db/batch";
import type { NewSession } from "../../db/repositories/sessions.repository";
import type { UserRow } from "../../db/repositories/users.repository";
import { AppError } from "../../errors";
import {
  ACCESS_TOKEN_SECONDS,
  type AuthServices,
  REFRESH_ABSOLUTE_SECONDS,
  REFRESH_SLIDING_SECONDS,
} from "./context";
import { deviceFingerprint } from "./devices";
import { logSecurityEvent } from "./events";
import { issueAccessToken } from "./jwt";
import { generateOpaqueToken, hashToken } from "./secrets";
import { UNVERIFIED_ACCOUNT_SECONDS } from "./unverified";

/** What a sign-in or refresh hands the client: the session's access token and its current refresh token. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: "Bearer";
  /** Seconds the access token lives. */
  expiresIn: number;
  sessionId: string;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const addSeconds = (date: Date, s: number) => new Date(date.getTime() + s * 1000);
const invalidRefresh = () => new AppError("unauthorized", "The refresh token is invalid or expired.");

/** A fresh access token for the session, paired with the refresh token the client now holds. */
async function tokenPair(
  ctx: AuthServices,
  user: Pick<UserRow, "id" | "tenantId" | "role">,
  sessionId: string,
  refreshToken: string,
): Promise<TokenPair> {
  const access = await accessTokenFor(ctx, user, sessionId);
  return {
    accessToken: access.token,
    refreshToken,
    tokenType: "Bearer",
    expiresIn: access.expiresIn,
    sessionId,
  };
}

async function accessTokenFor(
  ctx: AuthServices,
  user: Pick<UserRow, "id" | "tenantId" | "role">,
  sessionId: string,
) {
  return issueAccessToken(
    await ctx.signingKeys(),
    { userId: user.id, tenantId: user.tenantId, role: user.role, sessionId },
    {
      issuer: ctx.config.JWT_ISSUER,
      audience: ctx.config.JWT_AUDIENCE,
      now: ctx.now(),
      ttlSeconds: ACCESS_TOKEN_SECONDS,
    },
  );
}

/** A session about to be opened on this device: its row (with its id), and its first refresh token. */
export interface OpeningSession {
  row: NewSession & { id: string };
  refreshToken: string;
  refreshHash: string;
}

/** The session a sign-in opens (a new refresh-token family), chosen before it is written. */
export async function openingSession(ctx: AuthServices, user: Pick<UserRow, "id" | "tenantId">) {
  const now = ctx.now();
  const { client } = ctx;
  const refreshToken = generateOpaqueToken();
  return {
    row: {
      id: crypto.randomUUID(),
      userId: user.id,
      tenantId: user.tenantId,
      deviceFingerprint: await deviceFingerprint(client),
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip,
      country: client.country,
      city: client.city,
      asn: client.asn,
      expiresAt: addSeconds(now, REFRESH_SLIDING_SECONDS),
      absoluteExpiresAt: addSeconds(now, REFRESH_ABSOLUTE_SECONDS),
    },
    refreshToken,
    refreshHash: await hashToken(refreshToken),
  } satisfies OpeningSession;
}

/** The token pair of a session just opened. */
export const firstPair = (
  ctx: AuthServices,
  user: Pick<UserRow, "id" | "tenantId" | "role">,
  session: OpeningSession,
) => tokenPair(ctx, user, session.row.id, session.refreshToken);

/** A session a write ended in its own batch (sessionsEndedStatement), as the database returned it. */
export interface EndedSession {
  id: string;
  absolute_expires_at: string | Date;
}

/**
 * Tells the user's session authority that `ended` ended, and that no token issued before now stands (but the
 * excepted session's).
 */
export async function tellSessionsEnded(
  ctx: AuthServices,
  userId: string,
  ended: EndedSession[],
  exceptSessionId?: string,
) {
  const authority = ctx.sessionAuthority(userId);
  await Promise.all(
    ended.map((session) =>
      authority.revokeSession(session.id, seconds(new Date(session.absolute_expires_at))),
    ),
  );
  await authority.revokeAll(seconds(ctx.now()), exceptSessionId);
}

type Rotation =
  | { outcome: "invalid" | "csrf_mismatch" }
  | { outcome: "reuse"; user_id: string; tenant_id: string; session_id: string; absolute_expires_at: string }
  | {
      outcome: "rotated";
      user: { id: string; tenant_id: string; role: UserRow["role"] };
      session_id: string;
      absolute_expires_at: string;
    };

/** A rotated pair, with how long its refresh token may live: sliding, never past the session's absolute end. */
export interface Refreshed {
  pair: TokenPair;
  maxAgeSeconds: number;
}

/**
 * Rotates a refresh token (ASVS 10.4.5) in one call to the database (finedge_refresh, migrations/0013), which
 * decides and writes under the token's lock. A token presented twice means it leaked: the whole family (the
 * session) is revoked, the reuse recorded (RFC 9700 s4.14.2), and the session authority told at once. In
 * cookie mode, `csrfSession` is the session the CSRF token was issued for: another session's refresh token
 * is refused before anything changes.
 */
export async function refreshSession(
  ctx: AuthServices,
  refreshToken: string,
  options: { csrfSession?: string } = {},
): Promise<Refreshed> {
  const now = ctx.now();
  const next = generateOpaqueToken();
  const { client } = ctx;
  const input = {
    token_hash: await hashToken(refreshToken),
    next_hash: await hashToken(next),
    now: now.toISOString(),
    sliding_seconds: REFRESH_SLIDING_SECONDS,
    unverified_seconds: UNVERIFIED_ACCOUNT_SECONDS,
    csrf_session: options.csrfSession ?? null,
    ip: client.ip,
    user_agent: client.userAgent?.slice(0, 512) ?? null,
  };
  const { rotation } = await ctx.database.read("platform", (db) => ({
    rotation: read(
      db.execute(sql`select finedge_refresh(${JSON.stringify(input)}::jsonb) as result`),
      jsonResult<Rotation>(),
    ),
  }));
  switch (rotation.outcome) {
    case "invalid":
      throw invalidRefresh();
    case "csrf_mismatch":
      throw new AppError("csrf_failed", "The CSRF token belongs to another session.");
    case "reuse": {
      const event = {
        userId: rotation.user_id,
        tenantId: rotation.tenant_id,
        sessionId: rotation.session_id,
      };
      logSecurityEvent(ctx, {
        type: "refresh_token_reuse",
        ...event,
        details: { sessionId: event.sessionId },
      });
      const until = seconds(new Date(rotation.absolute_expires_at));
      await ctx.sessionAuthority(event.userId).revokeSession(event.sessionId, until);
      throw invalidRefresh();
    }
    case "rotated": {
      const { user } = rotation;
      logSecurityEvent(ctx, {
        type: "token_refreshed",
        userId: user.id,
        tenantId: user.tenant_id,
        details: { sessionId: rotation.session_id },
      });
      const holder = { id: user.id, tenantId: user.tenant_id, role: user.role };
      const remaining = (new Date(rotation.absolute_expires_at).getTime() - now.getTime()) / 1000;
      return {
        pair: await tokenPair(ctx, holder, rotation.session_id, next),
        maxAgeSeconds: Math.min(REFRESH_SLIDING_SECONDS, remaining),
      };
    }
  }
}
