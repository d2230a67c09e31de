/**
 * A user ending their own sessions - signing out, ending one session, ending all the others - each in one
 * round trip: the sessions and their security event in one statement of one batch over HTTP, then the
 * user's session authority (checked on every request) told, so every token of an ended session is refused
 * at once.
 */
import { read } from "../../db/batch";
import { sessionEndedStatement, sessionsEndedStatement } from "../../db/repositories/sessions.repository";
import type { AuthServices } from "./context";
import { eventOrigin, logSecurityEvent, type SecurityEventType } from "./events";
import { type EndedSession, tellSessionsEnded } from "./sessions";

const seconds = (at: string | Date) => Math.floor(new Date(at).getTime() / 1000);

export interface SessionOwner {
  userId: string;
  tenantId: string;
}

/**
 * Ends one of the owner's sessions with `event`, recorded only if the session was live unless `always`.
 * Returns whether it was live (another user's session id is not found, as one already ended).
 */
export async function endOwnSession(
  ctx: AuthServices,
  owner: SessionOwner,
  sessionId: string,
  reason: string,
  event: { type: SecurityEventType; always?: boolean },
): Promise<boolean> {
  const { client } = ctx;
  const details = { sessionId };
  const { ended } = await ctx.database.read("platform", (db) => ({
    ended: read(
      sessionEndedStatement(db, {
        tenantId: owner.tenantId,
        userId: owner.userId,
        sessionId,
        reason,
        now: ctx.now(),
        event: {
          type: event.type,
          ...eventOrigin(client),
          details,
          always: event.always ?? false,
        },
      }),
      (result) => (result as { rows: EndedSession[] }).rows,
    ),
  }));
  if (ended.length > 0 || event.always) {
    logSecurityEvent(ctx, { type: event.type, userId: owner.userId, tenantId: owner.tenantId, details });
  }
  const authority = ctx.sessionAuthority(owner.userId);
  await Promise.all(ended.map((s) => authority.revokeSession(s.id, seconds(s.absolute_expires_at))));
  return ended.length > 0;
}

/** Ends every session of the owner but `keepSessionId`, with one `sessions_revoked` event; returns how many. */
export async function endOtherSessions(
  ctx: AuthServices,
  owner: SessionOwner,
  keepSessionId: string,
): Promise<number> {
  const { client } = ctx;
  const { ended } = await ctx.database.read("platform", (db) => ({
    ended: read(
      sessionsEndedStatement(db, {
        tenantId: owner.tenantId,
        userId: owner.userId,
        reason: "revoked_by_user",
        now: ctx.now(),
        exceptSessionId: keepSessionId,
        event: {
          type: "sessions_revoked",
          ...eventOrigin(client),
          details: {},
          countAs: "sessionsEnded",
        },
      }),
      (result) => (result as { rows: EndedSession[] }).rows,
    ),
  }));
  logSecurityEvent(ctx, {
    type: "sessions_revoked",
    userId: owner.userId,
    tenantId: owner.tenantId,
    details: { sessionsEnded: ended.length },
  });
  await tellSessionsEnded(ctx, owner.userId, ended, keepSessionId);
  return ended.length;
}
