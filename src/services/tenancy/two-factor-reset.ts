import { clearSecondFactor } from "../../db/repositories/credentials.repository";
import { findTenantUser } from "../../db/repositories/tenant-users.repository";
import { AppError } from "../../errors";
import type { AuthServices } from "../auth/context";
import { recordSecurityEvent } from "../auth/events";
import { endAllSessions } from "../auth/sessions";
import { sendEmail } from "../email/outbox";
import { renderEmail } from "../email/templates";
import { recordAudit } from "./audit";
import type { TenantContext } from "./context";
import { noSuchUser } from "./users";

/**
 * An administrator resets a user's two-factor authentication (a lost authenticator and backup codes): the
 * TOTP secret and every backup code go, in the same transaction as the audit event; then every session of
 * the user ends - whoever holds them signed in before the reset, and a reset is the moment to make sure it
 * is the owner - the user's security events record it and the user is told by e-mail. The password still
 * stands, so the next sign-in is by password and the user can enrol again. Not on oneself (the self-service
 * route asks for the second factor), and a super admin only by a super admin.
 */
export async function resetUserTwoFactor(ctx: TenantContext, request: AuthServices, id: string) {
  if (ctx.actor.type === "user" && ctx.actor.id === id)
    throw new AppError(
      "forbidden",
      "Turn off your own two-factor authentication at POST /api/v1/auth/2fa/disable.",
    );
  const user = await ctx.transaction(async (tx) => {
    const found = await findTenantUser(tx, ctx.tenantId, id);
    if (!found) throw noSuchUser();
    if (found.role === "super_admin" && ctx.access.role !== "super_admin")
      throw new AppError("forbidden", "Only a super admin may change a super admin.");
    if (!found.totpEnabledAt)
      throw new AppError("conflict", "Two-factor authentication is off for this user.");
    if (!(await clearSecondFactor(tx, ctx.tenantId, found.id))) throw noSuchUser();
    await recordAudit(tx, ctx, {
      action: "user.mfa_reset",
      resourceType: "user",
      resourceId: found.id,
      before: { email: found.email, two_factor_enabled: true },
      after: { two_factor_enabled: false },
    });
    return found;
  });
  // After the commit: the request's single connection is held by the transaction until then.
  const ended = await endAllSessions(request, user.id, "mfa_reset");
  await recordSecurityEvent(request, {
    type: "mfa_reset",
    userId: user.id,
    tenantId: user.tenantId,
    details: { by: ctx.actor.id, sessionsEnded: ended },
  });
  await sendEmail(request.db, await request.mailer(), {
    tenantId: user.tenantId,
    userId: user.id,
    to: user.email,
    template: "mfa_reset",
    ...renderEmail("mfa_reset", { at: request.now() }),
  });
}
