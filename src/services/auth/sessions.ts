import {
  createSession,
  findRefreshToken,
  revokeSession,
  revokeUserSessions,
  rotateRefreshToken,
} from "../../db/repositories/sessions.repository";
import { findUserById, type UserRow } from "../../db/repositories/users.repository";
import { AppError } from "../../errors";
import { afterResponse } from "../after-response";
import {
  ACCESS_TOKEN_SECONDS,
  type AuthServices,
  REFRESH_ABSOLUTE_SECONDS,
  REFRESH_SLIDING_SECONDS,
} from "./context";
import { deviceFingerprint } from "./devices";
import { recordSecurityEvent } from "./events";
import { issueAccessToken } from "./jwt";
import { generateOpaqueToken, hashToken } from "./secrets";
import { maySignIn } from "./unverified";

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
  user: UserRow,
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

async function accessTokenFor(ctx: AuthServices, user: UserRow, sessionId: string) {
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

/** Opens a session (a new refresh-token family) on this device and issues its first token pair. */
export async function startSession(ctx: AuthServices, user: UserRow): Promise<TokenPair> {
  const now = ctx.now();
  const { client } = ctx;
  const refreshToken = generateOpaqueToken();
  const session = await createSession(
    ctx.db,
    {
      userId: user.id,
      tenantId: user.tenantId,
      deviceFingerprint: await deviceFingerprint(ctx.client),
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip,
      country: client.country,
      city: client.city,
      asn: client.asn,
      expiresAt: addSeconds(now, REFRESH_SLIDING_SECONDS),
      absoluteExpiresAt: addSeconds(now, REFRESH_ABSOLUTE_SECONDS),
    },
    await hashToken(refreshToken),
  );
  return tokenPair(ctx, user, session.id, refreshToken);
}

/** Ends one session now: in the database and in the user's session authority (checked on every request). */
export async function endSession(ctx: AuthServices, userId: string, sessionId: string, reason: string) {
  const row = await revokeSession(ctx.db, sessionId, reason, ctx.now());
  const until = row ? seconds(row.absoluteExpiresAt) : seconds(ctx.now()) + REFRESH_ABSOLUTE_SECONDS;
  await ctx.sessionAuthority(userId).revokeSession(sessionId, until);
  return row;
}

/**
 * Ends every session of a user (optionally all but one). Each ended session is revoked by id - exact, so a
 * sign-in in the same second afterwards is unaffected - and "everything issued before this second" is
 * recorded as a safety net for any token whose session was not live in the database.
 */
export async function endAllSessions(
  ctx: AuthServices,
  userId: string,
  reason: string,
  exceptSessionId?: string,
) {
  const revoked = await revokeUserSessions(ctx.db, userId, reason, ctx.now(), exceptSessionId);
  const authority = ctx.sessionAuthority(userId);
  await Promise.all(
    revoked.map((session) => authority.revokeSession(session.id, seconds(session.absoluteExpiresAt))),
  );
  await authority.revokeAll(seconds(ctx.now()), exceptSessionId);
  return revoked.length;
}

/**
 * Rotates a refresh token (ASVS 10.4.5). A token presented twice means it leaked: the whole family (the
 * session) is revoked and the event recorded (RFC 9700 s4.14.2).
 */
export async function refreshSession(ctx: AuthServices, refreshToken: string): Promise<TokenPair> {
  const now = ctx.now();
  const found = await findRefreshToken(ctx.db, await hashToken(refreshToken));
  if (!found) throw invalidRefresh();
  const { token, session } = found;
  const reuse = async () => {
    await endSession(ctx, session.userId, session.id, "refresh_token_reuse");
    await recordSecurityEvent(ctx, {
      type: "refresh_token_reuse",
      userId: session.userId,
      tenantId: session.tenantId,
      details: { sessionId: session.id },
    });
    return invalidRefresh();
  };
  if (token.usedAt) throw await reuse();
  if (session.revokedAt || session.expiresAt <= now || session.absoluteExpiresAt <= now)
    throw invalidRefresh();
  const user = await findUserById(ctx.db, session.userId);
  if (!user || !maySignIn(user, now)) throw invalidRefresh();

  const next = generateOpaqueToken();
  const slid = addSeconds(now, REFRESH_SLIDING_SECONDS);
  const expiresAt = new Date(Math.min(slid.getTime(), session.absoluteExpiresAt.getTime()));
  const rotated = await rotateRefreshToken(ctx.db, {
    tokenId: token.id,
    sessionId: session.id,
    nextHash: await hashToken(next),
    now,
    expiresAt,
  });
  if (!rotated) throw await reuse();
  // Recorded once the answer is out: a routine refresh should not cost a distant caller another round trip.
  afterResponse(ctx, "token_refreshed event", () =>
    recordSecurityEvent(ctx, {
      type: "token_refreshed",
      userId: user.id,
      tenantId: user.tenantId,
      details: { sessionId: session.id },
    }),
  );
  return tokenPair(ctx, user, session.id, next);
}
