import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  type InvitationStatus,
  invitationAsRead,
  invitationById,
  listInvitations,
  revokeInvitation,
} from "../../db/repositories/invitations.repository";
import { asRead } from "../../db/requirements";
import { invitations } from "../../db/schema";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "./audit";
import type { TenantContext } from "./context";
import { managedOrganizations, statusOf } from "./invitation-rules";

const noSuchInvitation = () => new AppError("not_found", "No such invitation.");

/** Invitations stay open for a week: long enough to be read after a weekend, short enough to go stale. */
export const INVITATION_SECONDS = 7 * 24 * 3600;

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
