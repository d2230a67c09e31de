import {
  createSession,
  findRefreshToken,
  revokeSession,
  revokeUserSessions,
  rotateRefreshToken,
} from "../../db/repositories/sessions.repository";
import { findUserById, type UserRow } from "../../db/repositories/users.repository";
import { AppError } from "../../errors";
import {
  ACCESS_TOKEN_SECONDS,
  type AuthDeps,
  type ClientContext,
  REFRESH_ABSOLUTE_SECONDS,
  REFRESH_SLIDING_SECONDS,
} from "./context";
import { deviceFingerprint } from "./devices";
import { recordSecurityEvent } from "./events";
import { issueAccessToken } from "./jwt";
import { generateOpaqueToken, hashToken } from "./secrets";
import { maySignIn } from "./unverified";

/** What a client receives on sign-in and refresh. */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
  session_id: string;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const addSeconds = (date: Date, s: number) => new Date(date.getTime() + s * 1000);
const invalidRefresh = () => new AppError("unauthorized", "The refresh token is invalid or expired.");

/** A fresh access token for the session, paired with the refresh token the client now holds. */
async function tokenPair(
  deps: AuthDeps,
  user: UserRow,
  sessionId: string,
  refreshToken: string,
): Promise<TokenPair> {
  const access = await accessTokenFor(deps, user, sessionId);
  return {
    access_token: access.token,
    refresh_token: refreshToken,
    token_type: "Bearer",
    expires_in: access.expiresIn,
    session_id: sessionId,
  };
}

async function accessTokenFor(deps: AuthDeps, user: UserRow, sessionId: string) {
  return issueAccessToken(
    deps.keys,
    { userId: user.id, tenantId: user.tenantId, role: user.role, sessionId },
    {
      issuer: deps.config.JWT_ISSUER,
      audience: deps.config.JWT_AUDIENCE,
      now: deps.now(),
      ttlSeconds: ACCESS_TOKEN_SECONDS,
    },
  );
}

/** Opens a session (a new refresh-token family) on this device and issues its first token pair. */
export async function startSession(deps: AuthDeps, user: UserRow, client: ClientContext): Promise<TokenPair> {
  const now = deps.now();
  const refreshToken = generateOpaqueToken();
  const session = await createSession(
    deps.db,
    {
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
    await hashToken(refreshToken),
  );
  return tokenPair(deps, user, session.id, refreshToken);
}

/** Ends one session now: in the database and in the user's session authority (checked on every request). */
export async function endSession(deps: AuthDeps, userId: string, sessionId: string, reason: string) {
  const row = await revokeSession(deps.db, sessionId, reason, deps.now());
  const until = row ? seconds(row.absoluteExpiresAt) : seconds(deps.now()) + REFRESH_ABSOLUTE_SECONDS;
  await deps.sessionAuthority(userId).revokeSession(sessionId, until);
  return row;
}

/**
 * Ends every session of a user (optionally all but one). Each ended session is revoked by id - exact, so a
 * sign-in in the same second afterwards is unaffected - and "everything issued before this second" is
 * recorded as a safety net for any token whose session was not live in the database.
 */
export async function endAllSessions(
  deps: AuthDeps,
  userId: string,
  reason: string,
  exceptSessionId?: string,
) {
  const revoked = await revokeUserSessions(deps.db, userId, reason, deps.now(), exceptSessionId);
  const authority = deps.sessionAuthority(userId);
  await Promise.all(
    revoked.map((session) => authority.revokeSession(session.id, seconds(session.absoluteExpiresAt))),
  );
  await authority.revokeAll(seconds(deps.now()), exceptSessionId);
  return revoked.length;
}

/**
 * Rotates a refresh token (ASVS 10.4.5). A token presented twice means it leaked: the whole family (the
 * session) is revoked and the event recorded (RFC 9700 s4.14.2).
 */
export async function refreshSession(
  deps: AuthDeps,
  refreshToken: string,
  client: ClientContext,
): Promise<TokenPair> {
  const now = deps.now();
  const found = await findRefreshToken(deps.db, await hashToken(refreshToken));
  if (!found) throw invalidRefresh();
  const { token, session } = found;
  const reuse = async () => {
    await endSession(deps, session.userId, session.id, "refresh_token_reuse");
    await recordSecurityEvent(deps, {
      type: "refresh_token_reuse",
      userId: session.userId,
      tenantId: session.tenantId,
      client,
      details: { sessionId: session.id },
    });
    return invalidRefresh();
  };
  if (token.usedAt) throw await reuse();
  if (session.revokedAt || session.expiresAt <= now || session.absoluteExpiresAt <= now)
    throw invalidRefresh();
  const user = await findUserById(deps.db, session.userId);
  if (!user || !maySignIn(user, now)) throw invalidRefresh();

  const next = generateOpaqueToken();
  const slid = addSeconds(now, REFRESH_SLIDING_SECONDS);
  const expiresAt = new Date(Math.min(slid.getTime(), session.absoluteExpiresAt.getTime()));
  const rotated = await rotateRefreshToken(deps.db, {
    tokenId: token.id,
    sessionId: session.id,
    nextHash: await hashToken(next),
    now,
    expiresAt,
  });
  if (!rotated) throw await reuse();
  await recordSecurityEvent(deps, {
    type: "token_refreshed",
    userId: user.id,
    tenantId: user.tenantId,
    client,
    details: { sessionId: session.id },
  });
  return tokenPair(deps, user, session.id, next);
}
