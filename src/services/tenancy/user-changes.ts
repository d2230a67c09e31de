import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { sessionsEndedStatement } from "../../db/repositories/sessions.repository";
import {
  activeTenantAdmins,
  lockedActiveTenantAdmins,
  type TenantUser,
  tenantUserAsRead,
  tenantUserById,
  tenantUserUpdate,
} from "../../db/repositories/tenant-users.repository";
import { asRead } from "../../db/requirements";
import type { Role } from "../../db/schema";
import { AppError } from "../../errors";
import type { AuthServices } from "../auth/context";
import { logSecurityEvent } from "../auth/events";
import { type EndedSession, tellSessionsEnded } from "../auth/sessions";
import { eventOf } from "./audit";
import { lowersRole, membershipMap, revocationStatement } from "./authority";
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
 * in the same batch, the API keys and open invitations the user issued that they could no longer issue
 * (services/tenancy/authority). Decided on one read (the user and the tenant's active admins); written in one
 * batch that holds only if the user - and, for a change that takes an admin away, the tenant's other active
 * admins, locked first - are still as read, else decided again.
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
  const { tenantId } = ctx;
  const updated = await asRead("The user kept changing while this request was made; retry it.", async () => {
    const found = await ctx.read((db) => ({
      user: read(tenantUserById(db, tenantId, id), (rows) => rows[0]),
      admins: read(activeTenantAdmins(db, tenantId), (rows) => rows.map((row) => row.id)),
    }));
    const { user } = found;
    if (!user) throw noSuchUser();
    if (Object.keys(fields).length === 0) {
      const message = "Name at least one of role, status or display_name.";
      throw new AppError("validation_failed", message, {
        errors: [{ location: "body", pointer: "", message, code: "empty" }],
      });
    }
    assertMayChange(ctx, user, fields);
    const takesAdmin = removesAdmin(user, fields);
    if (takesAdmin && found.admins.includes(user.id) && found.admins.length <= 1)
      throw conflict("The tenant's last active tenant admin cannot be demoted or disabled.");
    const before = Object.fromEntries(
      Object.keys(fields).map((key) => [key, user[key as keyof UserChanges]]),
    );
    const event = eventOf(ctx, {
      action: "user.updated",
      resourceType: "user",
      resourceId: user.id,
      before: { email: user.email, ...before },
      after: fields as Record<string, unknown>,
    });
    // Authority ends with its holder: what the user issued beyond their new standing goes with it.
    const cause =
      fields.status === "disabled" && user.status !== "disabled"
        ? "issuer_disabled"
        : fields.role && lowersRole(user.role, fields.role)
          ? "issuer_demoted"
          : null;
    const standing = {
      id: user.id,
      role: fields.role ?? user.role,
      status: fields.status ?? user.status,
      memberships: membershipMap(user),
    };
    const written = await ctx.write("users:manage", null, (db) => ({
      // Two admins demoting each other at once queue on the admins' rows; the second sees the first's change.
      ...(takesAdmin ? { admins: read(lockedActiveTenantAdmins(db, tenantId)) } : {}),
      asRead: read(tenantUserAsRead(db, user, { keepsAnotherAdmin: takesAdmin })),
      changed: read(tenantUserUpdate(db, tenantId, user.id, fields)),
      audit: read(auditEventStatement(db, event)),
      ...(cause
        ? {
            revoked: read(
              revocationStatement(db, ctx, standing, cause),
              (result) => (result as { rows: unknown[] }).rows.length,
            ),
          }
        : {}),
      // Disabling ends every session in the same batch, recorded as one security event with their count.
      ...(fields.status === "disabled"
        ? {
            ended: read(
              sessionsEndedStatement(db, {
                tenantId,
                userId: user.id,
                reason: "account_disabled",
                now: request.now(),
                event: {
                  type: "sessions_revoked",
                  ip: request.client.ip,
                  userAgent: request.client.userAgent?.slice(0, 512) ?? null,
                  details: { reason: "account_disabled", by: ctx.actor.id },
                  countAs: "sessions",
                },
              }),
              (result) => (result as { rows: EndedSession[] }).rows,
            ),
          }
        : {}),
      after: read(tenantUserById(db, tenantId, user.id), (rows) => rows[0]),
    }));
    ctx.audited += 1 + ((written.revoked as number | undefined) ?? 0);
    return { user: written.after, ended: (written.ended as EndedSession[] | undefined) ?? null };
  });
  if (!updated.user) throw noSuchUser();
  if (updated.ended) {
    logSecurityEvent(request, {
      type: "sessions_revoked",
      userId: updated.user.id,
      tenantId: updated.user.tenantId,
      details: { reason: "account_disabled", by: ctx.actor.id, sessions: updated.ended.length },
    });
    // The edge refuses the ended sessions' tokens from the next request on.
    await tellSessionsEnded(request, updated.user.id, updated.ended);
  }
  return updated.user;
}
