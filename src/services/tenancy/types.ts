/**
 * The tenancy domain as the rest of the application sees it: the vocabularies (roles, invitation
 * statuses) and the records the tenancy services return - tenants and their quotas, users, organizations
 * and members, invitations, API keys, security events and the audit trail. Routes build their schemas and views from these
 * names; the tables they are stored in stay behind the services.
 */
import type { ApiKeyRow } from "../../db/repositories/api-keys.repository";
import type { AuditEventRow } from "../../db/repositories/audit.repository";
import type { InvitationRow } from "../../db/repositories/invitations.repository";
import type { MemberRow } from "../../db/repositories/memberships.repository";
import type { OrganizationRow } from "../../db/repositories/organizations.repository";
import type { SecurityEventRow } from "../../db/repositories/security-events.repository";
import type { TenantUser as TenantUserRow } from "../../db/repositories/tenant-users.repository";
import type { TenantRow } from "../../db/repositories/tenants.repository";
import type { UserRow } from "../../db/repositories/users.repository";

export { INVITATION_STATUSES, type InvitationStatus } from "../../db/repositories/invitations.repository";
export { ORG_ROLES, type OrgRole, ROLES, type Role, type TenantQuotas } from "../../db/schema";

/** A user account as stored (never its password hash on the wire: views pick their fields). */
export type User = UserRow;
/** A tenant: its name, status and quotas. */
export type Tenant = TenantRow;
/** A user of a tenant with the tenant role and organization roles they hold. */
export type TenantUser = TenantUserRow;
/** An organization inside a tenant. */
export type Organization = OrganizationRow;
/** A user's membership of an organization. */
export type Member = MemberRow;
/** An invitation to join a tenant or one of its organizations. */
export type Invitation = InvitationRow;
/** An API key's record (never its secret). */
export type ApiKey = ApiKeyRow;
/** A recorded security event of a user. */
export type SecurityEvent = SecurityEventRow;
/** An event of the tenant's audit trail, chained to the one before it by hash. */
export type AuditEvent = AuditEventRow;
