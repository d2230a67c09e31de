import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  type InvitationStatus,
  insertInvitation,
  invitationAsRead,
  invitationById,
  listInvitations,
  lockInvitationPlace,
  revokeInvitation,
  revokeOpenInvitations,
} from "../../db/repositories/invitations.repository";
import { findOrganization } from "../../db/repositories/organizations.repository";
import { findTenantUserByEmail } from "../../db/repositories/tenant-users.repository";
import { asRead } from "../../db/requirements";
import { invitations } from "../../db/schema";
import { AppError } from "../../errors";
import type { AuthServices } from "../auth/context";
import { generateOpaqueToken, hashToken } from "../auth/secrets";
import { releaseExpiredHolder } from "../auth/unverified";
import { sendEmail } from "../email/outbox";
import { renderEmail } from "../email/templates";
import { pageOf, timeCursor } from "../pagination";
import { eventOf, recordAudit } from "./audit";
import type { TenantContext } from "./context";
import {
  assertMayInvite,
  managedOrganizations,
  type NewInvitation,
  statusOf,
  targetOf,
} from "./invitation-rules";

const noSuchInvitation = () => new AppError("not_found", "No such invitation.");

/** Invitations stay open for a week: long enough to be read after a weekend, short enough to go stale. */
export const INVITATION_SECONDS = 7 * 24 * 3600;

/**
 * A platform operator's invitation into another tenant (see invitation-sending for the rules): made in a
 * transaction of that tenant, since the caller's right there is its platform role, not a membership that
 * a write's own batch could check.
 */
export async function inviteIntoAnotherTenant(
  ctx: TenantContext,
  request: AuthServices,
  input: NewInvitation,
) {
  await ctx.checkStanding();
  const { target, tenant } = await targetOf(ctx, input.tenantId);
  assertMayInvite(target, input);
  await releaseExpiredHolder(request, input.email, "invitation_created");
  const token = generateOpaqueToken();
  const expiresAt = new Date(target.now().getTime() + INVITATION_SECONDS * 1000);
  const { invitation, organizationName } = await target.transaction(async (tx) => {
    const organization = input.organizationId
      ? await findOrganization(tx, target.tenantId, input.organizationId)
      : undefined;
    if (input.organizationId && !organization) throw new AppError("not_found", "No such organization.");
    const existing = await findTenantUserByEmail(tx, target.tenantId, input.email);
    if (
      existing &&
      (!organization || existing.organizations.some((m) => m.organizationId === organization.id))
    )
      throw new AppError("conflict", "This address already has that access in the tenant.");
    const place = { tenantId: target.tenantId, email: input.email, organizationId: input.organizationId };
    await lockInvitationPlace(tx, place);
    const replaced = await revokeOpenInvitations(tx, place, target.now());
    const row = await insertInvitation(tx, {
      ...place,
      role: input.role,
      tokenHash: await hashToken(token),
      invitedBy: target.actor.type === "user" ? target.actor.id : null,
      expiresAt,
    });
    await recordAudit(tx, target, {
      action: "invitation.created",
      resourceType: "invitation",
      resourceId: row.id,
      after: { email: row.email, role: row.role, organizationId: row.organizationId, expiresAt, replaced },
    });
    return { invitation: row, organizationName: organization?.name ?? null };
  });
  // After the commit: the request's one connection is the transaction's until then.
  await sendEmail(request.db, await request.mailer(), {
    tenantId: invitation.tenantId,
    to: invitation.email,
    template: "invitation",
    ...renderEmail("invitation", {
      appUrl: request.config.APP_URL,
      token,
      tenantName: tenant.name,
      organizationName,
      role: invitation.role,
      expiresAt,
    }),
  });
  return invitation;
}

/** A page of the invitations the caller manages, newest first. */
export async function listManagedInvitations(
  ctx: TenantContext,
  query: { status?: InvitationStatus | undefined; limit: number; cursor: string | undefined },
) {
  const before = timeCursor(query.cursor);
  const rows = await ctx.readOne((db) =>
    listInvitations(db, ctx.tenantId, {
      organizations: ctx.organizationsWhere(invitations.organizationId, "invitations:manage"),
      status: query.status,
      now: ctx.now(),
      before,
      limit: query.limit + 1,
    }),
  );
  return pageOf(rows, query.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

/**
 * Revokes an invitation the caller manages; its link stops working. An accepted one is 409. Decided on one
 * read, written in a batch that holds only if the invitation is still as read (not accepted meanwhile).
 */
export async function revokeManagedInvitation(ctx: TenantContext, id: string): Promise<void> {
  await asRead("The invitation kept changing while this request was made; retry it.", async () => {
    const [row] = await ctx.readOne((db) => invitationById(db, ctx.tenantId, id));
    const managed = managedOrganizations(ctx);
    if (!row) throw noSuchInvitation();
    if (managed !== "all" && !(row.organizationId && managed.includes(row.organizationId)))
      throw noSuchInvitation();
    if (row.acceptedAt) throw new AppError("conflict", "The invitation was already accepted.");
    const event = eventOf(ctx, {
      action: "invitation.revoked",
      resourceType: "invitation",
      resourceId: row.id,
      before: { email: row.email, status: statusOf(row, ctx.now()) },
      after: { status: "revoked" },
    });
    await ctx.write("invitations:manage", row.organizationId, (db) => ({
      asRead: read(invitationAsRead(db, row)),
      revoked: read(revokeInvitation(db, ctx.tenantId, row.id, ctx.now())),
      audit: read(auditEventStatement(db, event)),
    }));
    ctx.audited += 1;
  });
}
