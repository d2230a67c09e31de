import { firstRow, type Reads, read } from "../../db/batch";
import type { HttpDatabase } from "../../db/client";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { passwordReplaced } from "../../db/repositories/credentials.repository";
import { addressVerified, linkStatement } from "../../db/repositories/links.repository";
import { listActiveSessions, sessionsEndedStatement } from "../../db/repositories/sessions.repository";
import {
  profileById,
  type UserProfile,
  type UserRow,
  updateProfile,
  userById,
} from "../../db/repositories/users.repository";
import { meetingRequirements } from "../../db/requirements";
import { AppError } from "../../errors";
import { queuedNotice } from "../email/outbox";
import { type AuthServices, EMAIL_TOKEN_SECONDS } from "./context";
import { accountAuditEvent, eventOrigin, logSecurityEvent, securityEventInsert } from "./events";
import { failAttempt, lockoutKey, refuseIfLocked } from "./lockout";
import { hashingOf, hashPassword, verifyPassword } from "./passwords";
import { assertPasswordPolicy } from "./registration";
import { generateOpaqueToken, hashToken } from "./secrets";
import { endOtherSessions, endOwnSession } from "./session-ends";
import { type EndedSession, tellSessionsEnded } from "./sessions";
import { maySignIn } from "./unverified";

/** The signed-in user, or 401 if the account vanished or was disabled since the token was issued. */
export async function currentUser(ctx: AuthServices, userId: string): Promise<UserRow> {
  const { user } = await ctx.database.read("platform", (db) => ({ user: userById(db, userId) }));
  return stillActive(ctx, user);
}

/** The user as read, or 401 if the account vanished or may no longer sign in. */
export function stillActive<U extends Parameters<typeof maySignIn>[0]>(
  ctx: AuthServices,
  user: U | undefined,
): U {
  if (!user || !maySignIn(user, ctx.now())) throw new AppError("unauthorized", "The account is not active.");
  return user;
}

/**
 * The signed-in user's own profile - read under the token's tenant's row security, without the account's
 * secrets - or 401 if the account vanished or was disabled since the token was issued.
 */
export async function ownProfile(ctx: AuthServices, userId: string, tenantId: string): Promise<UserProfile> {
  const { user } = await ctx.database.read({ tenantId }, (db) => ({ user: profileById(db, userId) }));
  return stillActive(ctx, user);
}

/**
 * Changes the password after re-authentication (ASVS 7.5.1) and ends every other session (ASVS 7.4.3);
 * the current one stays signed in. A wrong current password counts towards lockout; a locked account gets 423.
 */
export async function changePassword(
  ctx: AuthServices,
  auth: { userId: string; sessionId: string },
  input: { currentPassword: string; newPassword: string },
) {
  const user = await currentUser(ctx, auth.userId);
  await refuseIfLocked(ctx, lockoutKey(user, user.email));
  const { valid } = await verifyPassword(input.currentPassword, user.passwordHash, hashingOf(ctx.config));
  if (!valid) {
    return failAttempt(ctx, user.email, user, "password", {
      path: "change-password",
      detail: "The current password is wrong.",
    });
  }
  const ended = await replacePassword(ctx, user, input.newPassword, "password_changed", auth.sessionId);
  return { sessionsEnded: ended };
}

/**
 * Sets a new password (policy checked) in one batch - with `proof` first (a reset link's spending) - that
 * replaces the password as read (spending every outstanding e-mailed link and sign-in challenge of the account
 * in the same statement), ends every session but `keepSessionId` with the event and queues the owner's notice,
 * sent after the answer. A password changed since it was read refuses it (409). Returns how many sessions ended.
 */
export async function replacePassword(
  ctx: AuthServices,
  user: UserRow,
  newPassword: string,
  event: "password_changed" | "password_reset",
  keepSessionId?: string,
  proof?: (db: HttpDatabase) => Reads,
): Promise<number> {
  assertPasswordPolicy(newPassword, user.email, "/new_password");
  const passwordHash = await hashPassword(newPassword, hashingOf(ctx.config));
  const now = ctx.now();
  const email = await queuedNotice(ctx, user, "password_changed", { at: now });
  const { ended } = await meetingRequirements(
    { stale: () => new AppError("conflict", "The password changed meanwhile; try again.") },
    () =>
      ctx.database.read("platform", (db) => ({
        ...proof?.(db),
        password: read(
          passwordReplaced(db, { userId: user.id, readHash: user.passwordHash, passwordHash, now }),
        ),
        ended: read(
          sessionsEndedStatement(db, {
            tenantId: user.tenantId,
            userId: user.id,
            reason: event,
            now,
            exceptSessionId: keepSessionId,
            event: { type: event, ...eventOrigin(ctx.client), details: {}, countAs: "sessionsEnded" },
          }),
          (result) => (result as { rows: EndedSession[] }).rows,
        ),
        email: read(email.statement(db)),
      })),
  );
  logSecurityEvent(ctx, {
    type: event,
    userId: user.id,
    tenantId: user.tenantId,
    details: { sessionsEnded: ended.length },
  });
  await tellSessionsEnded(ctx, user.id, ended, keepSessionId);
  ctx.database.afterResponse(() => email.deliver(ctx.database));
  return ended.length;
}

/** The user's live sessions, the calling one marked. */
export async function listSessions(
  ctx: AuthServices,
  auth: { userId: string; tenantId: string; sessionId: string },
) {
  const { rows } = await ctx.database.read({ tenantId: auth.tenantId }, (db) => ({
    rows: read(listActiveSessions(db, auth.userId, ctx.now())),
  }));
  return rows.map((row) => ({ ...row, current: row.id === auth.sessionId }));
}

/** Ends one of the user's own sessions; another user's session id, or one already ended, is not found (404). */
export async function revokeOwnSession(
  ctx: AuthServices,
  auth: { userId: string; tenantId: string },
  sessionId: string,
) {
  const ended = await endOwnSession(ctx, auth, sessionId, "revoked_by_user", { type: "session_revoked" });
  if (!ended) throw new AppError("not_found", "No such session.");
}

/** Ends every session but the calling one. */
export const revokeOtherSessions = (
  ctx: AuthServices,
  auth: { userId: string; tenantId: string; sessionId: string },
) => endOtherSessions(ctx, auth, auth.sessionId);

/** Confirms an e-mail address with the single-use token sent to it: one statement, one round trip. */
export async function confirmEmail(ctx: AuthServices, token: string) {
  const tokenHash = await hashToken(token);
  const { verified } = await ctx.database.read("platform", (db) => ({
    verified: read(
      addressVerified(db, { tokenHash, now: ctx.now(), ...eventOrigin(ctx.client) }),
      firstRow<{ id: string; tenant_id: string }>(),
    ),
  }));
  if (!verified) throw new AppError("invalid_token", "The verification link is invalid, used or expired.");
  logSecurityEvent(ctx, {
    type: "email_verified",
    userId: verified.id,
    tenantId: verified.tenant_id,
    details: {},
  });
}

/**
 * Changes the signed-in user's own profile (the display name); the account must still be able to act. The
 * change and its audit event - before and after of the fields named, in the tenant's trail, where an
 * administrator's change to the same fields also goes - commit together, in one batch after the read of the
 * account: two round trips.
 */
export async function updateOwnProfile(
  ctx: AuthServices,
  userId: string,
  changes: { displayName?: string | null | undefined },
): Promise<UserRow> {
  const user = await currentUser(ctx, userId);
  const fields: { displayName?: string | null } = {};
  if (changes.displayName !== undefined) fields.displayName = changes.displayName;
  if (Object.keys(fields).length === 0) return user;
  const event = accountAuditEvent(user, ctx, {
    action: "user.updated",
    before: { email: user.email, displayName: user.displayName },
    after: { displayName: fields.displayName },
  });
  const { updated } = await ctx.database.read("platform", (db) => ({
    updated: read(updateProfile(db, user.id, fields), (rows) => rows[0]),
    audit: read(auditEventStatement(db, event)),
  }));
  return updated ?? user;
}

/**
 * Sends a new verification link to the user's address, and records that one was asked for: the link, its
 * e-mail and the event in one call, the e-mail delivered after it.
 */
export async function requestEmailVerification(
  ctx: AuthServices,
  user: { id: string; tenantId: string; email: string },
) {
  const token = generateOpaqueToken();
  const tokenHash = await hashToken(token);
  const email = await queuedNotice(ctx, user, "verify_email", { appUrl: ctx.config.APP_URL, token });
  const event = {
    type: "email_verification_requested" as const,
    userId: user.id,
    tenantId: user.tenantId,
    details: {},
  };
  const expiresAt = new Date(ctx.now().getTime() + EMAIL_TOKEN_SECONDS.verify_email * 1000);
  await ctx.database.read("platform", (db) => ({
    link: read(linkStatement(db, { userId: user.id, purpose: "verify_email", tokenHash, expiresAt })),
    email: read(email.statement(db)),
    event: read(securityEventInsert(db, ctx, event)),
  }));
  logSecurityEvent(ctx, event);
  await email.deliver(ctx.database);
}
