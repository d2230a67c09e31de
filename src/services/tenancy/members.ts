import { read } from "../../db/batch";
import type { Transaction } from "../../db/client";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  countMembersWithRole,
  deleteMembership,
  findMember,
  listMembers,
  type MemberRow,
  type MemberStandingRow,
  tenantUserStatements,
  updateMembershipRole,
} from "../../db/repositories/memberships.repository";
import {
  lockOrganization,
  organizationById,
  organizationRequirement,
} from "../../db/repositories/organizations.repository";
import { membershipStatement } from "../../db/repositories/tenant-users.repository";
import { meetingRequirements } from "../../db/requirements";
import type { OrgRole } from "../../db/schema";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { eventOf, recordAudit } from "./audit";
import { type IssuerStanding, lowersRole, type RevocationCause, revokeBeyondReach } from "./authority";
import type { TenantContext } from "./context";

const noOrganization = () => new AppError("not_found", "No such organization.");
const noMember = (userId: string) =>
  new AppError("not_found", `User ${userId} is not a member of this organization.`);

/** Membership events name the pair, so the trail can be searched by either side. */
const resourceOf = (organizationId: string, userId: string) => ({
  resourceType: "membership",
  resourceId: `${organizationId}:${userId}`,
});

/**
 * Membership changes of one organization run one at a time (the organization row is locked), so two
 * org admins demoting each other at once cannot both pass the last-admin check.
 */
async function lockedOrganization(tx: Transaction, ctx: TenantContext, organizationId: string) {
  const organization = await lockOrganization(tx, ctx.tenantId, organizationId, "no key update");
  if (!organization) throw noOrganization();
}

/**
 * An organization keeps at least one org admin: removing or demoting the last one is refused, except to
 * tenant admins, who administer every organization anyway and may mean to leave it to themselves.
 */
async function keepAnAdmin(tx: Transaction, ctx: TenantContext, organizationId: string, member: MemberRow) {
  if (member.role !== "org_admin" || ctx.access.tenantWide) return;
  const admins = await countMembersWithRole(tx, ctx.tenantId, organizationId, "org_admin");
  if (admins <= 1) {
    throw new AppError(
      "conflict",
      "This is the organization's last org admin; appoint another first (or ask a tenant admin).",
    );
  }
}

/**
 * Authority ends with its holder: after a membership is lowered (`role`) or removed (null), what the member
 * issued into this organization that they could no longer issue there is revoked (their tenant-level role
 * still counts: a tenant admin holds every organization, membership or not).
 */
async function revokeInOrganization(
  tx: Transaction,
  ctx: TenantContext,
  organizationId: string,
  member: MemberStandingRow,
  role: OrgRole | null,
  cause: RevocationCause,
) {
  const standing: IssuerStanding = {
    id: member.userId,
    role: member.tenantRole,
    status: member.status,
    memberships: new Map(role ? [[organizationId, role]] : []),
  };
  await revokeBeyondReach(tx, ctx, standing, cause, organizationId);
}

export async function listOrganizationMembers(
  ctx: TenantContext,
  organizationId: string,
  options: { limit: number; cursor: string | undefined },
) {
  const before = timeCursor(options.cursor);
  const found = await ctx.read((db) => ({
    organization: read(organizationById(db, ctx.tenantId, organizationId), (rows) => rows[0]),
    rows: read(listMembers(db, ctx.tenantId, organizationId, { before, limit: options.limit + 1 })),
  }));
  if (!found.organization) throw noOrganization();
  return pageOf(found.rows, options.limit, (row) => ({ createdAt: row.joinedAt, id: row.userId }));
}

/**
 * Adds a user of the same tenant; a user of another tenant is as unknown as one that does not exist. One
 * batch: the caller's right, the organization (held against deletion), the user, the membership - failing
 * whole if it already exists - and its audit event.
 */
export async function addMember(
  ctx: TenantContext,
  organizationId: string,
  input: { userId: string; role: OrgRole },
): Promise<MemberRow> {
  const { tenantId } = ctx;
  const event = eventOf(ctx, {
    action: "member.added",
    ...resourceOf(organizationId, input.userId),
    after: { organizationId, userId: input.userId, role: input.role },
  });
  const written = await meetingRequirements(
    {
      no_organization: noOrganization,
      no_user: () => new AppError("not_found", `No user ${input.userId} in this tenant.`),
      already_member: () =>
        new AppError("conflict", `User ${input.userId} is already a member of this organization.`),
    },
    () =>
      ctx.write("members:manage", organizationId, (db) => {
        const [userExists, user] = tenantUserStatements(db, tenantId, input.userId, "no_user");
        return {
          organization: read(organizationRequirement(db, tenantId, organizationId, "no_organization")),
          userExists: read(userExists),
          user: read(user, (rows) => rows[0]),
          membership: read(
            membershipStatement(db, { tenantId, organizationId, ...input }, { required: "already_member" }),
          ),
          audit: read(auditEventStatement(db, event)),
        };
      }),
  );
  const { user } = written;
  if (!user) throw new AppError("not_found", `No user ${input.userId} in this tenant.`);
  ctx.audited += 1;
  return {
    userId: user.id,
    email: user.email,
    displayName: user.displayName,
    role: input.role,
    joinedAt: user.joinedAt,
  };
}

/** Changes a member's role; it applies from the member's next request (authorize reads it each time). */
export async function changeMemberRole(
  ctx: TenantContext,
  organizationId: string,
  userId: string,
  role: OrgRole,
): Promise<MemberRow> {
  return ctx.transaction(async (tx) => {
    await lockedOrganization(tx, ctx, organizationId);
    const member = await findMember(tx, ctx.tenantId, organizationId, userId);
    if (!member) throw noMember(userId);
    if (role !== "org_admin") await keepAnAdmin(tx, ctx, organizationId, member);
    if (role !== member.role) await updateMembershipRole(tx, ctx.tenantId, organizationId, userId, role);
    await recordAudit(tx, ctx, {
      action: "member.role_changed",
      ...resourceOf(organizationId, userId),
      before: { organizationId, userId, role: member.role },
      after: { organizationId, userId, role },
    });
    if (lowersRole(member.role, role)) {
      await revokeInOrganization(tx, ctx, organizationId, member, role, "membership_demoted");
    }
    return { ...member, role };
  });
}

/** Removes a member; their next request no longer sees the organization. */
export async function removeMember(
  ctx: TenantContext,
  organizationId: string,
  userId: string,
): Promise<void> {
  await ctx.transaction(async (tx) => {
    await lockedOrganization(tx, ctx, organizationId);
    const member = await findMember(tx, ctx.tenantId, organizationId, userId);
    if (!member) throw noMember(userId);
    await keepAnAdmin(tx, ctx, organizationId, member);
    await deleteMembership(tx, ctx.tenantId, organizationId, userId);
    await recordAudit(tx, ctx, {
      action: "member.removed",
      ...resourceOf(organizationId, userId),
      before: { organizationId, userId, role: member.role },
    });
    await revokeInOrganization(tx, ctx, organizationId, member, null, "membership_removed");
  });
}
