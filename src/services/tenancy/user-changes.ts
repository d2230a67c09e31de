import {
  findTenantUser,
  lockActiveTenantAdmins,
  type TenantUser,
  updateTenantUser,
} from "../../db/repositories/tenant-users.repository";
import type { Role } from "../../db/schema";
import { AppError } from "../../errors";
import type { AuthServices } from "../auth/context";
import { recordSecurityEvent } from "../auth/events";
import { endAllSessions } from "../auth/sessions";
import { recordAudit } from "./audit";
import { lowersRole, membershipMap, revokeBeyondReach } from "./authority";
import type { TenantContext } from "./context";
import { ROLE_RANK } from "./permissions";
import { noSuchUser } from "./users";

/** What an administrator may change about a user. */
export interface UserChanges {
  role?: Role | undefined;
  status?: "active" | "disabled" | undefined;
  displayName?: string | null | undefined;
}

const conflict = (detail: string) => new AppError("conflict", detail);
const forbidden = (detail: string) => new AppError("forbidden", detail);

/** The rules on who may change whom, checked against the target as it is now. */
function assertMayChange(ctx: TenantContext, user: TenantUser, changes: UserChanges) {
  const callerIsSuper = ctx.access.role === "super_admin";
  if (user.status === "expired") throw conflict("The account expired unverified; its address was released.");
  if (user.role === "super_admin" && !callerIsSuper)
    throw forbidden("Only a super admin may change a super admin.");
  if (changes.role === "super_admin" && !callerIsSuper)
    throw forbidden("Only a super admin may grant the super_admin role.");
  if (user.id === ctx.actor.id) {
    // Locking oneself out is never what was meant, and nobody would be left to undo it.
    if (changes.status === "disabled") throw conflict("You cannot disable your own account.");
    if (changes.role && ROLE_RANK[changes.role] < ROLE_RANK[user.role])
      throw conflict("You cannot lower your own role.");
  }
}

/** Whether the change takes an active tenant admin out of that standing. */
const removesAdmin = (user: TenantUser, changes: UserChanges) =>
  user.role === "tenant_admin" &&
  user.status === "active" &&
  ((changes.role !== undefined && changes.role !== "tenant_admin") || changes.status === "disabled");

/**
 * Changes a user's role, status or display name. A role change applies from the user's next request
 * (permissions are read per request); disabling also ends every session at once, so tokens already
 * issued are refused from the next request on, not when they expire. Disabling or demoting also revokes,
 * in the same transaction, the API keys and open invitations the user issued that they could no longer
 * issue (services/tenancy/authority).
 */
export async function updateUser(
  ctx: TenantContext,
  request: AuthServices,
  id: string,
  changes: UserChanges,
): Promise<TenantUser> {
  const fields = Object.fromEntries(
    Object.entries(changes).filter(([, value]) => value !== undefined),
  ) as UserChanges;
  const updated = await ctx.transaction(async (tx) => {
    const user = await findTenantUser(tx, ctx.tenantId, id);
    if (!user) throw noSuchUser();
    if (Object.keys(fields).length === 0) {
      const message = "Name at least one of role, status or display_name.";
      throw new AppError("validation_failed", message, {
        errors: [{ location: "body", pointer: "", message, code: "empty" }],
      });
    }
    assertMayChange(ctx, user, fields);
    if (removesAdmin(user, fields)) {
      // Re-read under lock: a concurrent demotion of the other admin must be seen, not raced.
      const admins = await lockActiveTenantAdmins(tx, ctx.tenantId);
      if (admins.includes(user.id) && admins.length <= 1)
        throw conflict("The tenant's last active tenant admin cannot be demoted or disabled.");
    }
    await updateTenantUser(tx, ctx.tenantId, user.id, fields);
    const before = Object.fromEntries(
      Object.keys(fields).map((key) => [key, user[key as keyof UserChanges]]),
    );
    await recordAudit(tx, ctx, {
      action: "user.updated",
      resourceType: "user",
      resourceId: user.id,
      before: { email: user.email, ...before },
      after: fields as Record<string, unknown>,
    });
    const after = await findTenantUser(tx, ctx.tenantId, user.id);
    // Authority ends with its holder: what the user issued beyond their new standing goes with it.
    const cause =
      fields.status === "disabled" && user.status !== "disabled"
        ? "issuer_disabled"
        : fields.role && lowersRole(user.role, fields.role)
          ? "issuer_demoted"
          : null;
    if (after && cause) {
      await revokeBeyondReach(tx, ctx, { ...after, memberships: membershipMap(after) }, cause);
    }
    return after;
  });
  if (!updated) throw noSuchUser();
  if (fields.status === "disabled") {
    // After the commit: the request's single connection is held by the transaction until then.
    const ended = await endAllSessions(request, updated.id, "account_disabled");
    await recordSecurityEvent(request, {
      type: "sessions_revoked",
      userId: updated.id,
      tenantId: updated.tenantId,
      details: { reason: "account_disabled", by: ctx.actor.id, sessions: ended },
    });
  }
  return updated;
}
