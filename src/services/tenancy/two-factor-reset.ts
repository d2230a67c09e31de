import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { clearedSecondFactor } from "../../db/repositories/credentials.repository";
import { sessionsEndedStatement } from "../../db/repositories/sessions.repository";
import { tenantUserById } from "../../db/repositories/tenant-users.repository";
import { meetingRequirements } from "../../db/requirements";
import { AppError } from "../../errors";
import type { AuthServices } from "../auth/context";
import { eventOrigin, logSecurityEvent } from "../auth/events";
import { type EndedSession, tellSessionsEnded } from "../auth/sessions";
import { queuedNotice } from "../email/outbox";
import { eventOf } from "./audit";
import type { TenantContext } from "./context";
import { noSuchUser } from "./users";

/**
 * An administrator resets a user's two-factor authentication (a lost authenticator and backup codes): the
 * TOTP secret and every backup code go and every session of the user ends - whoever holds them signed in
 * before the reset, and a reset is the moment to make sure it is the owner - in one batch with the audit
 * event, the user's security event and the e-mail telling them (sent after the answer); decided on one read. The password still
 * stands, so the next sign-in is by password and the user can enrol again. Not on oneself (the self-service
 * route asks for the second factor), and a super admin only by a super admin.
 */
export async function resetUserTwoFactor(ctx: TenantContext, request: AuthServices, id: string) {
  if (ctx.actor.type === "user" && ctx.actor.id === id)
    throw new AppError(
      "forbidden",
      "Turn off your own two-factor authentication at POST /api/v1/auth/2fa/disable.",
    );
  const [user] = await ctx.readOne((db) => tenantUserById(db, ctx.tenantId, id));
  if (!user) throw noSuchUser();
  if (user.role === "super_admin" && ctx.access.role !== "super_admin")
    throw new AppError("forbidden", "Only a super admin may change a super admin.");
  if (!user.totpEnabledAt) throw new AppError("conflict", "Two-factor authentication is off for this user.");
  const event = eventOf(ctx, {
    action: "user.mfa_reset",
    resourceType: "user",
    resourceId: user.id,
    before: { email: user.email, two_factor_enabled: true },
    after: { two_factor_enabled: false },
  });
  const email = await queuedNotice(request, user, "mfa_reset", { at: request.now() });
  const { client } = request;
  const written = await meetingRequirements(
    { two_factor_off: () => new AppError("conflict", "Two-factor authentication is off for this user.") },
    () =>
      ctx.write("users:manage", null, (db) => ({
        // Still on: of two resets at once, one clears it and the other is refused.
        cleared: read(clearedSecondFactor(db, ctx.tenantId, user.id, "two_factor_off")),
        audit: read(auditEventStatement(db, event)),
        // Every session ends in the same transaction, recorded as one security event with their count.
        sessions: read(
          sessionsEndedStatement(db, {
            tenantId: user.tenantId,
            userId: user.id,
            reason: "mfa_reset",
            now: request.now(),
            event: {
              type: "mfa_reset",
              ...eventOrigin(client),
              details: { by: ctx.actor.id },
              countAs: "sessionsEnded",
            },
          }),
          (result) => (result as { rows: EndedSession[] }).rows,
        ),
        email: read(email.statement(db)),
      })),
  );
  ctx.audited += 1;
  logSecurityEvent(request, {
    type: "mfa_reset",
    userId: user.id,
    tenantId: user.tenantId,
    details: { by: ctx.actor.id, sessionsEnded: written.sessions.length },
  });
  // The edge refuses the ended sessions' tokens from the next request on.
  await tellSessionsEnded(request, user.id, written.sessions);
  request.database.afterResponse(() => email.deliver(request.database));
}
