import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { refreshTokens, securityEvents, sessions } from "../schema";
import { databaseJson } from "../well-formed";

export type SessionRow = typeof sessions.$inferSelect;

export interface NewSession {
  userId: string;
  tenantId: string;
  deviceFingerprint: string;
  userAgent: string | null;
  ip: string | null;
  country: string | null;
  city: string | null;
  asn: number | null;
  expiresAt: Date;
  absoluteExpiresAt: Date;
}

/**
 * Opens a session with its first refresh token: two statements for the caller's batch (one transaction, one
 * round trip). The id is chosen by the caller, so the token pair can be issued without waiting for a reply.
 */
export function sessionStatements(
  db: Querier,
  session: NewSession & { id: string },
  refreshTokenHash: string,
) {
  return [
    db.insert(sessions).values(session),
    db.insert(refreshTokens).values({ sessionId: session.id, tokenHash: refreshTokenHash }),
  ] as const;
}

/**
 * Ends every live session of a user (but `exceptSessionId`, when given) as one statement of a batch, recording
 * `event` - a security event whose details get the count of sessions ended under `countAs` - in the same
 * statement. Returns the sessions ended (id, absolute_expires_at).
 */
export function sessionsEndedStatement(
  db: Querier,
  input: {
    tenantId: string;
    userId: string;
    reason: string;
    now: Date;
    exceptSessionId?: string | undefined;
    event: {
      type: string;
      ip: string | null;
      userAgent: string | null;
      details: Record<string, unknown>;
      countAs: string;
    };
  },
) {
  const { event } = input;
  return db.execute(sql`
    with ended as (
      update ${sessions} set revoked_at = ${input.now.toISOString()}::timestamptz, revoked_reason = ${input.reason}
       where user_id = ${input.userId} and revoked_at is null
         ${input.exceptSessionId ? sql`and id <> ${input.exceptSessionId}::uuid` : sql``}
      returning id, absolute_expires_at),
    recorded as (
      insert into ${securityEvents} (tenant_id, user_id, type, ip, user_agent, details)
      select ${input.tenantId}::uuid, ${input.userId}::uuid, ${event.type}, ${event.ip}::inet, ${event.userAgent},
             ${databaseJson(event.details)}::jsonb || jsonb_build_object(${event.countAs}::text, (select count(*) from ended))
      returning id)
    select id, absolute_expires_at from ended`);
}

/**
 * Ends one of a user's sessions as one statement of a batch, recording `event` in the same statement - only
 * if the session was live, unless `always` (a sign-out is recorded even when the session had ended already).
 * Returns the session ended (id, absolute_expires_at), none when it was not the user's or not live.
 */
export function sessionEndedStatement(
  db: Querier,
  input: {
    tenantId: string;
    userId: string;
    sessionId: string;
    reason: string;
    now: Date;
    event: {
      type: string;
      ip: string | null;
      userAgent: string | null;
      details: Record<string, unknown>;
      always?: boolean;
    };
  },
) {
  const { event } = input;
  return db.execute(sql`
    with ended as (
      update ${sessions} set revoked_at = ${input.now.toISOString()}::timestamptz, revoked_reason = ${input.reason}
       where id = ${input.sessionId}::uuid and user_id = ${input.userId}::uuid and revoked_at is null
      returning id, absolute_expires_at),
    recorded as (
      insert into ${securityEvents} (tenant_id, user_id, type, ip, user_agent, details)
      select ${input.tenantId}::uuid, ${input.userId}::uuid, ${event.type}, ${event.ip}::inet, ${event.userAgent},
             ${databaseJson(event.details)}::jsonb
       where ${event.always === true} or exists (select 1 from ended)
      returning id)
    select id, absolute_expires_at from ended`);
}

/** A user's sessions that are neither revoked nor expired, newest use first. */
export function listActiveSessions(db: Querier, userId: string, now: Date) {
  return db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
    .orderBy(desc(sessions.lastUsedAt));
}
