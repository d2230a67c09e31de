/**
 * Invites an address: a single-use token (only its hash is stored) valid for a week, sent by e-mail. A newer
 * invitation to the same place replaces an open one, so only the latest link works. Two round trips: what
 * the decision rests on is read in one batch with the caller's standing (the tenant, the organization, who
 * holds the address in the tenant), beside a look across tenants for an account that never verified the
 * address and lost its claim to it; then one batch locks the place (invitations to one place are made one
 * after the other), revokes its open invitations, inserts the new one (its id chosen here), audits it with the
 * number it replaced and queues the e-mail, handed to the provider after the answer. Releasing such an
 * expired account first costs round trips of its own, once.
 */
import { read } from "../../db/batch";
import {
  expiredHolder,
  invitationAudit,
  openInvitationsRevoked,
  placeLock,
} from "../../db/repositories/invitation-sending.repository";
import { type OrganizationRow, organizationById } from "../../db/repositories/organizations.repository";
import { type TenantUser, tenantUserByEmail } from "../../db/repositories/tenant-users.repository";
import { type TenantRow, tenantRow } from "../../db/repositories/tenants.repository";
import { invitations } from "../../db/schema";
import { AppError } from "../../errors";
import type { AuthServices } from "../auth/context";
import { generateOpaqueToken, hashToken } from "../auth/secrets";
import { releaseExpiredHolder, UNVERIFIED_ACCOUNT_SECONDS } from "../auth/unverified";
import { queuedEmail } from "../email/outbox";
import { renderEmail } from "../email/templates";
import { eventOf } from "./audit";
import type { TenantContext } from "./context";
import { assertMayInvite, type NewInvitation } from "./invitation-rules";
import { INVITATION_SECONDS, inviteIntoAnotherTenant } from "./invitations";

/** What sending an invitation is decided on. */
interface Decision {
  tenant: TenantRow | undefined;
  organization?: OrganizationRow | undefined;
  existing: TenantUser | undefined;
  /** An account, in any tenant, that never verified the address and lost its claim to it. */
  holder: { id: string } | undefined;
}

export async function createInvitation(ctx: TenantContext, request: AuthServices, input: NewInvitation) {
  if (input.tenantId && input.tenantId !== ctx.tenantId) return inviteIntoAnotherTenant(ctx, request, input);
  const place = { tenantId: ctx.tenantId, email: input.email, organizationId: input.organizationId };
  const token = generateOpaqueToken();
  const tokenHash = await hashToken(token);
  const now = ctx.now();
  const createdBefore = new Date(now.getTime() - UNVERIFIED_ACCOUNT_SECONDS * 1000);
  const readAll = async () => {
    const [found, held] = await Promise.all([
      ctx.read((db) => ({
        tenant: read(tenantRow(db, ctx.tenantId), (rows) => rows[0]),
        existing: read(tenantUserByEmail(db, ctx.tenantId, input.email), (rows) => rows[0]),
        ...(input.organizationId
          ? {
              organization: read(organizationById(db, ctx.tenantId, input.organizationId), (rows) => rows[0]),
            }
          : {}),
      })),
      request.database.read("platform", (db) => ({
        holder: read(expiredHolder(db, input.email, createdBefore), (rows) => rows[0]),
      })),
    ]);
    return { ...found, holder: held.holder } as unknown as Decision;
  };
  let found = await readAll();
  // The caller's standing came with the read: judged before anything is changed.
  assertMayInvite(ctx, input);
  if (found.holder) {
    // The address is held by an account that never verified it: released, then read again.
    await releaseExpiredHolder(request, input.email, "invitation_created");
    found = await readAll();
  }
  if (!found.tenant) throw new AppError("not_found", "No such tenant.");
  const { organization, existing } = found;
  if (input.organizationId && !organization) throw new AppError("not_found", "No such organization.");
  if (existing && (!organization || existing.organizations.some((m) => m.organizationId === organization.id)))
    throw new AppError("conflict", "This address already has that access in the tenant.");
  const id = crypto.randomUUID();
  const expiresAt = new Date(now.getTime() + INVITATION_SECONDS * 1000);
  const event = eventOf(ctx, {
    action: "invitation.created",
    resourceType: "invitation",
    resourceId: id,
    after: {
      email: input.email,
      role: input.role,
      organizationId: input.organizationId,
      expiresAt,
      replaced: 0,
    },
  });
  const email = await queuedEmail(
    await request.mailer(),
    {
      tenantId: ctx.tenantId,
      to: input.email,
      template: "invitation",
      ...renderEmail("invitation", {
        appUrl: request.config.APP_URL,
        token,
        tenantName: found.tenant.name,
        organizationName: organization?.name ?? null,
        role: input.role,
        expiresAt,
      }),
    },
    { now: ctx.now },
  );
  const written = await ctx.write("invitations:manage", input.organizationId, (db) => ({
    lock: read(placeLock(db, place)),
    replaced: read(openInvitationsRevoked(db, place, now)),
    invitation: read(
      db
        .insert(invitations)
        .values({
          id,
          ...place,
          role: input.role,
          tokenHash,
          invitedBy: ctx.actor.type === "user" ? ctx.actor.id : null,
          expiresAt,
        })
        .returning(),
      (rows) => rows[0],
    ),
    audit: read(invitationAudit(db, event, place, now)),
    email: read(email.statement(db)),
  }));
  ctx.audited += 1;
  if (!written.invitation) throw new Error("invitation insert returned nothing");
  request.database.afterResponse(() => email.deliver(request.database));
  return written.invitation;
}
