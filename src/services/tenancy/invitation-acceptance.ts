import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { deviceSeenStatement } from "../../db/repositories/credentials.repository";
import {
  acceptedByStatement,
  claimInvitationStatement,
  type InvitationRow,
  invitationForAcceptance,
  type SenderStanding,
  withdrawInvitationStatement,
} from "../../db/repositories/invitations.repository";
import { sessionStatements } from "../../db/repositories/sessions.repository";
import { membershipStatement } from "../../db/repositories/tenant-users.repository";
import type { TenantRow, UserRow } from "../../db/repositories/users.repository";
import { meetingRequirements } from "../../db/requirements";
import { type OrgRole, type Role, securityEvents, users } from "../../db/schema";
import { unlessDuplicate } from "../../db/unique";
import { databaseJson } from "../../db/well-formed";
import { AppError } from "../../errors";
import type { AuthServices } from "../auth/context";
import { logSecurityEvent } from "../auth/events";
import { hashingOf, hashPassword } from "../auth/passwords";
import { assertPasswordPolicy } from "../auth/registration";
import { hashToken } from "../auth/secrets";
import { firstPair, type OpeningSession, openingSession, type TokenPair } from "../auth/sessions";
import { isExpiredUnverified, releaseExpiredHolder } from "../auth/unverified";
import { Access } from "./access";
import { auditEventJson, eventOf } from "./audit";
import { senderStillGrants, tenantRoleOf } from "./authority";
import { createTenantContext, type TenantContext, type TenantContextSource } from "./context";
import { statusOf } from "./invitation-rules";

/** What accepting an invitation uses of the request: the account services and tenant transactions. */
export type AcceptanceContext = AuthServices & TenantContextSource;

/**
 * A tenant context for the invitee, who has no token yet (so no `authorize`): the accepting user, with the
 * role at hand, is the actor of the audit events in the inviting tenant.
 */
type ContextFor = (tenantId: string, user: { id: string; role: Role }) => TenantContext;

export interface Acceptance {
  user: UserRow;
  tenant: TenantRow;
  membership: { organizationId: string; role: OrgRole } | null;
  /** Set when the invitation created the account: the invitee is signed in. */
  tokens: TokenPair | null;
}

// One answer for unknown, used, revoked and expired tokens: the caller learns nothing about which.
const invalidToken = () => new AppError("invalid_token", "The invitation link is invalid, used or expired.");

const membershipOf = (invitation: InvitationRow) =>
  invitation.organizationId
    ? { organizationId: invitation.organizationId, role: invitation.role as OrgRole }
    : null;

/**
 * Accepts an invitation with its e-mailed token. Without an account for the address, one is created in
 * the invitation's tenant (the link proved the address, so it is verified) and signed in; an account of
 * the same tenant joins the organization; an account of another tenant is 409 (a user has one tenant).
 * Two round trips: one batch reads the invitation, its sender's standing, its tenant and the address's
 * holder; one batch claims the invitation and makes every change (the claim fails the batch if another
 * accept got there first, so exactly one of two concurrent accepts wins).
 */
export async function acceptInvitation(
  deps: AcceptanceContext,
  token: string,
  input: { password?: string | undefined; displayName?: string | null | undefined },
): Promise<Acceptance> {
  const contextFor: ContextFor = (tenantId, user) =>
    createTenantContext(deps, tenantId, Access.forUser(user.id, { role: user.role, memberships: new Map() }));
  const tokenHash = await hashToken(token);
  const now = deps.now();
  const found = await deps.database.read("platform", (db) => {
    const reads = invitationForAcceptance(db, tokenHash);
    return {
      invitation: read(reads.invitation, (rows) => rows[0]),
      tenant: read(reads.tenant, (rows) => rows[0]),
      holder: read(reads.holder, (rows) => rows[0]),
    };
  });
  const { invitation, tenant } = found;
  // Checked before any password hashing, so a guessed token costs a lookup and nothing more.
  if (!invitation || statusOf(invitation, now) !== "pending") throw invalidToken();
  // A suspended tenant admits nobody: its invitations answer like any other dead link.
  if (tenant?.status !== "active") throw invalidToken();
  // Judged now, not only when sent: the sender must still hold what the invitation grants.
  if (!senderStillGrants(invitation)) await withdraw(deps, contextFor, invitation);
  let existing = found.holder;
  if (existing && isExpiredUnverified(existing, now)) {
    // Held by an account that never verified the address and is past its time: released first (its own
    // writes - rare enough not to be folded into this request's one write). Had it been verified meanwhile,
    // nothing is released and the insert meets the unique index (409), as for any taken address.
    await releaseExpiredHolder(deps, invitation.email, "invitation_accepted");
    existing = undefined;
  }
  if (existing && existing.tenantId !== invitation.tenantId)
    throw new AppError("conflict", "This address already has an account in another tenant.");
  if (existing) {
    await joinOrganization(deps, contextFor, invitation, tokenHash, existing);
    return { user: existing, tenant, membership: membershipOf(invitation), tokens: null };
  }
  const { user, session } = await createAccount(deps, contextFor, invitation, tokenHash, input);
  logSecurityEvent(deps, {
    type: "register",
    userId: user.id,
    tenantId: user.tenantId,
    details: { via: "invitation", invitationId: invitation.id },
  });
  return { user, tenant, membership: membershipOf(invitation), tokens: await firstPair(deps, user, session) };
}

/**
 * Withdraws an invitation whose sender no longer holds what it grants - audited as the system's act, with the
 * cause - and answers 409: the invitation conflicts with the sender's standing now. Not 410: the catalogue
 * has none, and once withdrawn the link answers `invalid_token` like every other dead link.
 */
async function withdraw(
  deps: AcceptanceContext,
  contextFor: ContextFor,
  invitation: InvitationRow & { sender: SenderStanding | null },
): Promise<never> {
  const ctx = contextFor(invitation.tenantId, { id: invitation.sender?.id ?? invitation.id, role: "viewer" });
  const event = eventOf(ctx, {
    action: "invitation.revoked",
    resourceType: "invitation",
    resourceId: invitation.id,
    before: { email: invitation.email, role: invitation.role, organizationId: invitation.organizationId },
    after: { revoked: true, cause: "sender_lacks_authority", issuer: invitation.invitedBy },
    bySystem: true,
  });
  const json = databaseJson(auditEventJson(event));
  await deps.database.read({ tenantId: invitation.tenantId }, (db) => ({
    withdrawn: read(withdrawInvitationStatement(db, invitation.tenantId, invitation.id, deps.now(), json)),
  }));
  throw new AppError(
    "conflict",
    "This invitation was withdrawn: its sender no longer holds the authority to grant it. Ask for a new one.",
  );
}

/**
 * A new account - with the invited role for a tenant-level invitation, else `viewer` plus the invited
 * membership - created, with its first session, only if the claim succeeds: one batch.
 */
async function createAccount(
  deps: AcceptanceContext,
  contextFor: ContextFor,
  invitation: InvitationRow,
  tokenHash: string,
  input: { password?: string | undefined; displayName?: string | null | undefined },
): Promise<{ user: UserRow; session: OpeningSession }> {
  if (!input.password) {
    const message = "Choose a password to create the account.";
    throw new AppError("validation_failed", message, {
      errors: [{ location: "body", pointer: "/password", message, code: "required" }],
    });
  }
  assertPasswordPolicy(input.password, invitation.email);
  const passwordHash = await hashPassword(input.password, hashingOf(deps.config));
  const now = deps.now();
  // The id is chosen here so the audit event can name the new user as its actor.
  // An organization's role stays in the organization: the account itself is a viewer of the tenant.
  const role = tenantRoleOf(invitation);
  const ctx = contextFor(invitation.tenantId, { id: crypto.randomUUID(), role });
  const userId = ctx.actor.id;
  const membership = membershipOf(invitation);
  const session = await openingSession(deps, { id: userId, tenantId: invitation.tenantId });
  const { client } = deps;
  const { tenantId } = invitation;
  const audit = eventOf(ctx, {
    action: "invitation.accepted",
    resourceType: "invitation",
    resourceId: invitation.id,
    after: { userId, email: invitation.email, role, membership, accountCreated: true },
  });
  const written = await meetingRequirements({ invalid_token: invalidToken }, () =>
    unlessDuplicate(
      ["users_email_key"],
      () => new AppError("email_taken", "An account with this e-mail exists."),
      () =>
        deps.database.read({ tenantId }, (db) => {
          const [sessionRow, refreshToken] = sessionStatements(db, session.row, session.refreshHash);
          return {
            claim: read(claimInvitationStatement(db, tenantId, tokenHash, now)),
            user: read(
              db
                .insert(users)
                .values({
                  id: userId,
                  tenantId,
                  email: invitation.email,
                  displayName: input.displayName ?? null,
                  passwordHash,
                  passwordChangedAt: now,
                  emailVerifiedAt: now,
                  role,
                })
                .returning(),
              (rows) => rows[0],
            ),
            ...(membership
              ? { membership: read(membershipStatement(db, { tenantId, userId, ...membership })) }
              : {}),
            accepted: read(acceptedByStatement(db, tenantId, invitation.id, userId)),
            audit: read(auditEventStatement(db, audit)),
            device: read(deviceSeenStatement(db, userId, session.row.deviceFingerprint, now)),
            event: read(
              db.insert(securityEvents).values({
                type: "register",
                userId,
                tenantId,
                ip: client.ip,
                userAgent: client.userAgent?.slice(0, 512) ?? null,
                details: { via: "invitation", invitationId: invitation.id },
              }),
            ),
            session: read(sessionRow),
            refreshToken: read(refreshToken),
          };
        }),
    ),
  );
  if (!written.user) throw new Error("user insert returned nothing");
  return { user: written.user, session };
}

/** An existing account of the tenant joins the invitation's organization; nothing to join is 409. */
async function joinOrganization(
  deps: AcceptanceContext,
  contextFor: ContextFor,
  invitation: InvitationRow,
  tokenHash: string,
  user: UserRow,
): Promise<void> {
  const membership = membershipOf(invitation);
  if (!membership) throw new AppError("conflict", "The account already belongs to this tenant.");
  const ctx = contextFor(invitation.tenantId, { id: user.id, role: user.role });
  const { tenantId } = invitation;
  const audit = eventOf(ctx, {
    action: "invitation.accepted",
    resourceType: "invitation",
    resourceId: invitation.id,
    after: { userId: user.id, email: user.email, membership, accountCreated: false },
  });
  const alreadyMember = () =>
    new AppError("conflict", "The account is already a member of this organization.");
  await meetingRequirements({ invalid_token: invalidToken, already_member: alreadyMember }, () =>
    deps.database.read({ tenantId }, (db) => ({
      claim: read(claimInvitationStatement(db, tenantId, tokenHash, deps.now())),
      membership: read(
        membershipStatement(db, { tenantId, userId: user.id, ...membership }, { required: "already_member" }),
      ),
      accepted: read(acceptedByStatement(db, tenantId, invitation.id, user.id)),
      audit: read(auditEventStatement(db, audit)),
    })),
  );
}
