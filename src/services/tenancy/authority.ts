/**
 * Authority ends with its holder. An API key or an invitation is a grant its issuer made with the authority
 * they held then; it stands only while the issuer still holds that authority. When a user is disabled or
 * demoted, or loses or lowers an organization membership, whatever they issued that their new standing
 * could not issue is revoked in the same transaction as the change, and each revocation is audited with
 * its cause. An invitation is judged once more when it is accepted, against its sender's standing then.
 *
 * The rules here are those of issuing (`assertMayInvite`, `api_keys:manage`), written as data - a `Reach` -
 * so one set-based UPDATE per kind can apply them to every grant of the issuer at once.
 */
import type { Querier } from "../../db/client";
import { revokeGrantsStatement } from "../../db/repositories/grants.repository";
import type { InvitationRow, SenderStanding } from "../../db/repositories/invitations.repository";
import type { UserRow } from "../../db/repositories/users.repository";
import type { OrgRole, Role } from "../../db/schema";
import { Access } from "./access";
import { auditEventJson, eventOf } from "./audit";
import type { TenantContext } from "./context";
import type { InvitedRole } from "./invitation-rules";
import {
  API_KEY_SCOPES,
  type ApiKeyScope,
  PERMISSIONS,
  type Permission,
  ROLE_RANK,
  roleHolds,
} from "./permissions";

/** A user's standing as far as issuing goes. */
export interface IssuerStanding {
  id: string;
  role: Role;
  status: UserRow["status"];
  memberships: ReadonlyMap<string, OrgRole>;
}

/** What a user may still issue. */
export interface Reach {
  /** Roles the user may grant by a tenant-level invitation (never above their own). */
  tenantRoles: InvitedRole[];
  /** Organizations the user may invite into: all of them, or these. */
  organizations: "all" | string[];
  /** Scopes the user may put on an API key; null: no keys at all. */
  keyScopes: ApiKeyScope[] | null;
}

const INVITED_ROLES: readonly InvitedRole[] = ["tenant_admin", "org_admin", "analyst", "viewer"];

/** Permissions a scope grants: a key with the scope acts with all of them. */
const grantedBy = (scope: ApiKeyScope) =>
  (Object.keys(PERMISSIONS) as Permission[]).filter(
    (permission) => (PERMISSIONS[permission] as { scope?: ApiKeyScope }).scope === scope,
  );

const NOTHING: Reach = { tenantRoles: [], organizations: [], keyScopes: null };

/**
 * What `standing` may issue, by the rules of issuing: invitations without an organization and key
 * management need a tenant-wide role, and a tenant-level invitation never grants above the sender's role;
 * an invitation into an organization needs `invitations:manage` there; a key's scopes must each grant only
 * what the issuer holds. Keys are managed only by tenant-wide roles, which hold every organization, so a key's
 * confinement is always within reach of an issuer who may manage keys at all.
 */
export function reachOf(standing: IssuerStanding): Reach {
  if (standing.status !== "active") return NOTHING;
  const access = Access.forUser(standing.id, standing);
  const rank = ROLE_RANK[standing.role];
  const organizations = access.tenantWide
    ? "all"
    : [...standing.memberships].filter(([, role]) => roleHolds(role, "invitations:manage")).map(([id]) => id);
  return {
    tenantRoles: access.tenantWide ? INVITED_ROLES.filter((role) => ROLE_RANK[role] <= rank) : [],
    organizations,
    keyScopes:
      access.tenantWide && access.holds("api_keys:manage")
        ? API_KEY_SCOPES.filter((scope) => grantedBy(scope).every((p) => roleHolds(standing.role, p)))
        : null,
  };
}

/** Whether an invitation (its role and place) is within `reach`. */
export function invitationWithinReach(
  reach: Reach,
  invitation: { role: InvitedRole; organizationId: string | null },
): boolean {
  if (!invitation.organizationId) return reach.tenantRoles.includes(invitation.role);
  if (invitation.role === "tenant_admin") return false;
  return reach.organizations === "all" || reach.organizations.includes(invitation.organizationId);
}

/** Why grants are being revoked; it goes to the audit trail with each revocation. */
export type RevocationCause =
  | "issuer_disabled"
  | "issuer_demoted"
  | "membership_removed"
  | "membership_demoted"
  | "sender_lacks_authority";

/**
 * Revokes the live API keys `standing`'s holder created and the open invitations they sent that their current
 * standing could not issue (only those of one organization when `organizationId` is given: a membership change
 * concerns that organization), each audited with its cause - as one statement of the caller's write batch. Its
 * result is the revoked grants (each one audit event).
 */
export function revocationStatement(
  db: Querier,
  ctx: TenantContext,
  standing: IssuerStanding,
  cause: RevocationCause,
  organizationId?: string,
) {
  const shared = auditEventJson(eventOf(ctx, { action: "", resourceType: "", resourceId: null }));
  return revokeGrantsStatement(
    db,
    {
      tenantId: ctx.tenantId,
      issuerId: standing.id,
      reach: reachOf(standing),
      organizationId: organizationId ?? null,
      now: ctx.now(),
    },
    shared,
    { revoked: true, cause, issuer: standing.id },
  );
}

/** A user's memberships as `IssuerStanding` takes them. */
export const membershipMap = (user: { organizations: { organizationId: string; role: OrgRole }[] }) =>
  new Map(user.organizations.map((m) => [m.organizationId, m.role]));

/** Whether a change from `before` to `after` can take authority away (only then is anything revoked). */
export const lowersRole = (before: Role, after: Role): boolean => ROLE_RANK[after] < ROLE_RANK[before];

/**
 * Whether an invitation's sender, as they stand now, could still send it: active, in an active tenant, in
 * the invitation's tenant (or a platform operator, judged by the operator's current role), and holding a
 * role that may grant its role in its place.
 */
export function senderStillGrants(invitation: InvitationRow & { sender: SenderStanding | null }): boolean {
  const { sender } = invitation;
  if (sender?.status !== "active" || sender.tenantStatus !== "active") return false;
  const ownTenant = sender.tenantId === invitation.tenantId;
  if (!ownTenant && sender.role !== "super_admin") return false;
  const standing: IssuerStanding = {
    id: sender.id,
    role: sender.role,
    status: sender.status,
    // Memberships count only in the sender's own tenant; an operator elsewhere acts by role alone.
    memberships: new Map(ownTenant ? sender.memberships.map((m) => [m.organizationId, m.role]) : []),
  };
  return invitationWithinReach(reachOf(standing), invitation);
}

/** The tenant-level role an invitation gives a new account: an organization's role stays in the organization. */
export const tenantRoleOf = (invitation: { role: InvitedRole; organizationId: string | null }): Role =>
  invitation.organizationId ? "viewer" : invitation.role;
