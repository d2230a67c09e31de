import type { InvitationRow, InvitationStatus } from "../../db/repositories/invitations.repository";
import type { OrgRole } from "../../db/schema";
import { AppError } from "../../errors";
import type { TenantContext } from "./context";
import { ROLE_RANK } from "./permissions";

export type InvitedRole = "tenant_admin" | OrgRole;

export interface NewInvitation {
  email: string;
  role: InvitedRole;
  organizationId: string | null;
  /** Another tenant to invite into (platform operators only). */
  tenantId: string | null;
}

/** Where an invitation stands at `now`; the repository's status filter is the same rule in SQL. */
export function statusOf(row: InvitationRow, now: Date): InvitationStatus {
  if (row.acceptedAt) return "accepted";
  if (row.revokedAt) return "revoked";
  return row.expiresAt <= now ? "expired" : "pending";
}

/** Organizations whose invitations the caller manages: all for tenant admins, else those it administers. */
export const managedOrganizations = (ctx: TenantContext) =>
  ctx.access.organizationsHolding("invitations:manage");

/** The tenant the invitation is for: the caller's, or - for platform operators - another that exists. */
/**
 * Who may invite with which role where: an org admin invites only into organizations it administers. The
 * same rules, as data, judge the invitation again when it is accepted (services/tenancy/authority).
 */
export function assertMayInvite(target: TenantContext, input: NewInvitation) {
  const tenantAdmin = target.access.tenantWide;
  if (input.role === "tenant_admin") {
    if (!tenantAdmin) throw new AppError("forbidden", "Only tenant admins may invite tenant admins.");
    if (input.organizationId) {
      const message = "A tenant admin is invited to the tenant, without an organization.";
      throw new AppError("validation_failed", message, {
        errors: [{ location: "body", pointer: "/organization_id", message, code: "invalid" }],
      });
    }
  } else if (input.organizationId) target.access.requireIn("invitations:manage", input.organizationId);
  else if (!tenantAdmin)
    throw new AppError("forbidden", "Only tenant admins may invite without an organization.");
  // Only a tenant-level invitation sets a tenant role, and never above the sender's own.
  const own = target.access.role;
  if (!input.organizationId && (!own || ROLE_RANK[input.role] > ROLE_RANK[own]))
    throw new AppError("forbidden", "An invitation cannot grant a role above the sender's own.");
}
