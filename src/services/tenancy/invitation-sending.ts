/**
 * Invites an address: a single-use token (only its hash is stored) valid for a week, sent by e-mail. A newer
 * invitation to the same place replaces an open one, so only the latest link works. Two round trips: what
 * the decision rests on is read in one batch with the caller's standing (the tenant, the organization, who
 * holds the address in the tenant), beside a look across tenants for an account that never verified the
 * address and lost its claim to it; then one batch locks the place (invitations to one place are made one
 * after the other), revokes its open invitations, inserts the new one (its id chosen here), audits it with the
 * number it replaced and queues the e-mail, handed to the provider after the answer. Releasing such an
 * expired account first costs round trips of its own, once. A platform operator's invitation into another
 * tenant takes the same two: its standing (in its own tenant) is read beside that tenant's reads and judged
 * before the write, which runs in that tenant's scope.
 */
import { read } from "../../db/batch";
import type { HttpDatabase } from "../../db/client";
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
import { INVITATION_SECONDS } from "./invitations";

/** What sending an invitation is decided on. */
interface Decision {
  tenant: TenantRow | undefined;
  organization?: OrganizationRow | undefined;
  existing: TenantUser | undefined;
  /** An account, in any tenant, that never verified the address and lost its claim to it. */
  holder: { id: string } | undefined;
}

export async function createInvitation(ctx: TenantContext, request: AuthServices, input: NewInvitation) {
  // A platform operator may invite into another tenant: its right there is its platform role, read with
  // the standing in its own tenant beside that tenant's reads.
  const elsewhere = input.tenantId !== null && input.tenantId !== ctx.tenantId;
  const tenantId = input.tenantId ?? ctx.tenantId;
  const target = elsewhere ? ctx.inTenant(tenantId) : ctx;
  const place = { tenantId, email: input.email, organizationId: input.organizationId };
  const token = generateOpaqueToken();
  const tokenHash = await hashToken(token);
  const now = ctx.now();
  const createdBefore = new Date(now.getTime() - UNVERIFIED_ACCOUNT_SECONDS * 1000);
  const decisionReads = (db: HttpDatabase) => ({
    tenant: read(tenantRow(db, tenantId), (rows) => rows[0]),
    existing: read(tenantUserByEmail(db, tenantId, input.email), (rows) => rows[0]),
    ...(input.organizationId
      ? { organization: read(organizationById(db, tenantId, input.organizationId), (rows) => rows[0]) }
      : {}),
  });
  const readAll = async () => {
    const [found, held] = await Promise.all([
      elsewhere
        ? Promise.all([ctx.checkStanding(), request.database.read({ tenantId }, decisionReads)]).then(
            ([, reads]) => reads,
          )
        : ctx.read(decisionReads),
      request.database.read("platform", (db) => ({
        holder: read(expiredHolder(db, input.email, createdBefore), (rows) => rows[0]),
      })),
    ]);
    return { ...found, holder: held.holder } as unknown as Decision;
  };
  let found = await readAll();
  // The caller's standing came with the read: judged before anything is changed.
  if (elsewhere && ctx.access.role !== "super_admin")
    throw new AppError("forbidden", "Only a super admin may invite into another tenant.");
  assertMayInvite(target, input);
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
  const event = eventOf(target, {
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
      tenantId,
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
  const write = (db: HttpDatabase) => ({
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
          invitedBy: target.actor.type === "user" ? target.actor.id : null,
          expiresAt,
        })
        .returning(),
      (rows) => rows[0],
    ),
    audit: read(invitationAudit(db, event, place, now)),
    email: read(email.statement(db)),
  });
  // The operator's standing was read and judged with this request's first call; a member's is again here.
  const written = elsewhere
    ? await request.database.read({ tenantId }, write)
    : await ctx.write("invitations:manage", input.organizationId, write);
  ctx.audited += 1;
  if (!written.invitation) throw new Error("invitation insert returned nothing");
  request.database.afterResponse(() => email.deliver(request.database));
  return written.invitation;
}
