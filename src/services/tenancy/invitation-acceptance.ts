import { rememberDevice } from "../../db/repositories/credentials.repository";
import {
  claimInvitation,
  findInvitationByTokenHash,
  type InvitationRow,
  setAcceptedUser,
} from "../../db/repositories/invitations.repository";
import { addMembership, insertTenantUser } from "../../db/repositories/tenant-users.repository";
import {
  findTenantById,
  findUserById,
  type TenantRow,
  type UserRow,
} from "../../db/repositories/users.repository";
import type { OrgRole, Role } from "../../db/schema";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import type { AuthServices } from "../auth/context";
import { deviceFingerprint } from "../auth/devices";
import { recordSecurityEvent } from "../auth/events";
import { hashingOf, hashPassword } from "../auth/passwords";
import { assertPasswordPolicy } from "../auth/registration";
import { hashToken } from "../auth/secrets";
import { startSession, type TokenPair } from "../auth/sessions";
import { findAddressHolder } from "../auth/unverified";
import { Access } from "./access";
import { recordAudit } from "./audit";
import { tenantRoleOf, upholdInvitation } from "./authority";
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
 */
export async function acceptInvitation(
  deps: AcceptanceContext,
  token: string,
  input: { password?: string | undefined; displayName?: string | null | undefined },
): Promise<Acceptance> {
  const contextFor: ContextFor = (tenantId, user) =>
    createTenantContext(deps, tenantId, Access.forUser(user.id, { role: user.role, memberships: new Map() }));
  const tokenHash = await hashToken(token);
  const invitation = await findInvitationByTokenHash(deps.db, tokenHash);
  // Checked before any password hashing, so a guessed token costs a lookup and nothing more.
  if (!invitation || statusOf(invitation, deps.now()) !== "pending") throw invalidToken();
  const tenant = await findTenantById(deps.db, invitation.tenantId);
  // A suspended tenant admits nobody: its invitations answer like any other dead link.
  if (tenant?.status !== "active") throw invalidToken();
  // Judged now, not only when sent: the sender must still hold what the invitation grants.
  await upholdInvitation(contextFor, invitation);
  const existing = await findAddressHolder(deps, invitation.email, "invitation_accepted");
  if (existing && existing.tenantId !== invitation.tenantId)
    throw new AppError("conflict", "This address already has an account in another tenant.");
  if (existing) {
    await joinOrganization(contextFor, invitation, tokenHash, existing, deps.now());
    const user = (await findUserById(deps.db, existing.id)) ?? existing;
    return { user, tenant, membership: membershipOf(invitation), tokens: null };
  }
  const user = await createAccount(contextFor, invitation, tokenHash, deps, input);
  // After the commit: the request's one connection is the transaction's until then.
  await rememberDevice(deps.db, user.id, await deviceFingerprint(deps.client), deps.now());
  await recordSecurityEvent(deps, {
    type: "register",
    userId: user.id,
    tenantId: user.tenantId,
    details: { via: "invitation", invitationId: invitation.id },
  });
  const tokens = await startSession(deps, user);
  return { user, tenant, membership: membershipOf(invitation), tokens };
}

/**
 * A new account - with the invited role for a tenant-level invitation, else `viewer` plus the invited
 * membership - created only if the claim succeeds.
 */
async function createAccount(
  contextFor: ContextFor,
  invitation: InvitationRow,
  tokenHash: string,
  deps: AuthServices,
  input: { password?: string | undefined; displayName?: string | null | undefined },
): Promise<UserRow> {
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
  return ctx.transaction(async (tx) => {
    if (!(await claimInvitation(tx, invitation.tenantId, tokenHash, now))) throw invalidToken();
    const user = await unlessDuplicate(
      ["users_email_key"],
      () => new AppError("email_taken", "An account with this e-mail exists."),
      () =>
        insertTenantUser(tx, {
          id: ctx.actor.id,
          tenantId: invitation.tenantId,
          email: invitation.email,
          displayName: input.displayName ?? null,
          passwordHash,
          passwordChangedAt: now,
          emailVerifiedAt: now,
          role,
        }),
    );
    const membership = membershipOf(invitation);
    if (membership)
      await addMembership(tx, { tenantId: invitation.tenantId, userId: user.id, ...membership });
    await setAcceptedUser(tx, invitation.tenantId, invitation.id, user.id);
    await recordAudit(tx, ctx, {
      action: "invitation.accepted",
      resourceType: "invitation",
      resourceId: invitation.id,
      after: { userId: user.id, email: user.email, role: user.role, membership, accountCreated: true },
    });
    return user;
  });
}

/** An existing account of the tenant joins the invitation's organization; nothing to join is 409. */
async function joinOrganization(
  contextFor: ContextFor,
  invitation: InvitationRow,
  tokenHash: string,
  user: UserRow,
  now: Date,
): Promise<void> {
  const ctx = contextFor(invitation.tenantId, { id: user.id, role: user.role });
  await ctx.transaction(async (tx) => {
    if (!(await claimInvitation(tx, invitation.tenantId, tokenHash, now))) throw invalidToken();
    const membership = membershipOf(invitation);
    if (!membership) throw new AppError("conflict", "The account already belongs to this tenant.");
    const added = await addMembership(tx, { tenantId: invitation.tenantId, userId: user.id, ...membership });
    if (!added) throw new AppError("conflict", "The account is already a member of this organization.");
    await setAcceptedUser(tx, invitation.tenantId, invitation.id, user.id);
    await recordAudit(tx, ctx, {
      action: "invitation.accepted",
      resourceType: "invitation",
      resourceId: invitation.id,
      after: { userId: user.id, email: user.email, membership, accountCreated: false },
    });
  });
}
