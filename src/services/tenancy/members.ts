import { read } from "../../db/batch";
import type { HttpDatabase } from "../../db/client";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  listMembers,
  type MemberRow,
  type MemberStandingRow,
  memberAsRead,
  memberById,
  membershipDelete,
  membershipRoleUpdate,
  membersWithRole,
  tenantUserStatements,
} from "../../db/repositories/memberships.repository";
import {
  organizationById,
  organizationLocked,
  organizationRequirement,
} from "../../db/repositories/organizations.repository";
import { membershipStatement } from "../../db/repositories/tenant-users.repository";
import { asRead, meetingRequirements } from "../../db/requirements";
import type { OrgRole } from "../../db/schema";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "./audit";
import { type IssuerStanding, lowersRole, type RevocationCause, revocationStatement } from "./authority";
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
 * An organization keeps at least one org admin: removing or demoting the last one is refused, except to
 * tenant admins, who administer every organization anyway and may mean to leave it to themselves.
 */
const lastAdmin = () =>
  new AppError(
    "conflict",
    "This is the organization's last org admin; appoint another first (or ask a tenant admin).",
  );

/**
 * Authority ends with its holder: after a membership is lowered (`role`) or removed (null), what the member
 * issued into this organization that they could no longer issue there is revoked (their tenant-level role
 * still counts: a tenant admin holds every organization, membership or not) - as a statement of the change's
 * batch.
 */
function revocationsInOrganization(
  db: HttpDatabase,
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
  return read(
    revocationStatement(db, ctx, standing, cause, organizationId),
    (result) => (result as { rows: unknown[] }).rows.length,
  );
}

/**
 * What a membership change is decided on, in one read: the organization and the member; 404 for either
 * missing, and 409 for the last org admin's removal or demotion (`leavesAdmins`: whether the change keeps
 * them an org admin).
 */
async function memberToChange(
  ctx: TenantContext,
  organizationId: string,
  userId: string,
  leavesAdmins: boolean,
) {
  const found = await ctx.read((db) => ({
    organization: read(organizationById(db, ctx.tenantId, organizationId), (rows) => rows[0]),
    member: read(memberById(db, ctx.tenantId, organizationId, userId), (rows) => rows[0]),
    admins: read(membersWithRole(db, ctx.tenantId, organizationId, "org_admin"), (rows) => rows[0]?.n ?? 0),
  }));
  if (!found.organization) throw noOrganization();
  const { member } = found;
  if (!member) throw noMember(userId);
  const keepsAdmin = member.role === "org_admin" && !leavesAdmins && !ctx.access.tenantWide;
  if (keepsAdmin && found.admins <= 1) throw lastAdmin();
  return { member, keepsAdmin };
}

const STALE = "The organization's members kept changing while this request was made; retry it.";

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

/**
 * Changes a member's role; it applies from the member's next request (authorize reads it each time). Decided
 * on one read; written in one batch - the organization locked, the member still as read, the role, the audit
 * event and, for a lower role, the revocation of what the member can no longer grant - or decided again.
 */
export async function changeMemberRole(
  ctx: TenantContext,
  organizationId: string,
  userId: string,
  role: OrgRole,
): Promise<MemberRow> {
  const { tenantId } = ctx;
  return asRead(STALE, async () => {
    const { member, keepsAdmin } = await memberToChange(ctx, organizationId, userId, role === "org_admin");
    const event = eventOf(ctx, {
      action: "member.role_changed",
      ...resourceOf(organizationId, userId),
      before: { organizationId, userId, role: member.role },
      after: { organizationId, userId, role },
    });
    const written = await meetingRequirements({ no_organization: noOrganization }, () =>
      ctx.write("members:manage", organizationId, (db) => ({
        organization: read(organizationLocked(db, tenantId, organizationId, "no_organization")),
        asRead: read(
          memberAsRead(db, { tenantId, organizationId, userId, role: member.role }, { keepsAdmin }),
        ),
        ...(role !== member.role
          ? { role: read(membershipRoleUpdate(db, tenantId, organizationId, userId, role)) }
          : {}),
        audit: read(auditEventStatement(db, event)),
        ...(lowersRole(member.role, role)
          ? {
              revoked: revocationsInOrganization(db, ctx, organizationId, member, role, "membership_demoted"),
            }
          : {}),
      })),
    );
    ctx.audited += 1 + ((written.revoked as number | undefined) ?? 0);
    return {
      userId: member.userId,
      email: member.email,
      displayName: member.displayName,
      role,
      joinedAt: member.joinedAt,
    };
  });
}

/**
 * Removes a member; their next request no longer sees the organization. Decided and written as a role
 * change is, with the revocation of everything the member granted there that they no longer could.
 */
export async function removeMember(
  ctx: TenantContext,
  organizationId: string,
  userId: string,
): Promise<void> {
  const { tenantId } = ctx;
  await asRead(STALE, async () => {
    const { member, keepsAdmin } = await memberToChange(ctx, organizationId, userId, false);
    const event = eventOf(ctx, {
      action: "member.removed",
      ...resourceOf(organizationId, userId),
      before: { organizationId, userId, role: member.role },
    });
    const written = await meetingRequirements({ no_organization: noOrganization }, () =>
      ctx.write("members:manage", organizationId, (db) => ({
        organization: read(organizationLocked(db, tenantId, organizationId, "no_organization")),
        asRead: read(
          memberAsRead(db, { tenantId, organizationId, userId, role: member.role }, { keepsAdmin }),
        ),
        removed: read(membershipDelete(db, tenantId, organizationId, userId)),
        audit: read(auditEventStatement(db, event)),
        revoked: revocationsInOrganization(db, ctx, organizationId, member, null, "membership_removed"),
      })),
    );
    ctx.audited += 1 + written.revoked;
  });
}
