import { and, eq, getTableColumns, isNotNull, isNull, type SQL, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { requirement } from "../requirements";
import { invitations, memberships, type OrgRole, type Role, tenants, users } from "../schema";
import { keyset, type TimePosition } from "./keyset";

const page = keyset(invitations.createdAt, invitations.id);

export type InvitationRow = typeof invitations.$inferSelect;
export const INVITATION_STATUSES = ["pending", "accepted", "revoked", "expired"] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

const at = (now: Date) => sql`${now.toISOString()}::timestamptz`;

/** Invitations that can still be accepted at `now`. */
const pendingAt = (now: Date) =>
  and(
    isNull(invitations.acceptedAt),
    isNull(invitations.revokedAt),
    sql`${invitations.expiresAt} > ${at(now)}`,
  ) as SQL;

/** The SQL form of each status; it matches `statusOf` in the service. */
function statusCondition(status: InvitationStatus, now: Date): SQL {
  switch (status) {
    case "pending":
      return pendingAt(now);
    case "accepted":
      return isNotNull(invitations.acceptedAt);
    case "revoked":
      return and(isNull(invitations.acceptedAt), isNotNull(invitations.revokedAt)) as SQL;
    case "expired":
      return and(
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        sql`${invitations.expiresAt} <= ${at(now)}`,
      ) as SQL;
  }
}

/** The standing of an invitation's sender now: what the invitation is judged against when accepted. */
export interface SenderStanding {
  id: string;
  tenantId: string;
  role: Role;
  status: "active" | "disabled";
  tenantStatus: "active" | "suspended";
  memberships: { organizationId: string; role: OrgRole }[];
}

// The sender's current standing rides along with the invitation: no second round trip to judge it.
const senderOf = sql<SenderStanding | null>`(
  select json_build_object('id', u.id, 'tenantId', u.tenant_id, 'role', u.role, 'status', u.status,
           'tenantStatus', t.status,
           'memberships', coalesce((select json_agg(json_build_object('organizationId', m.organization_id,
                                                                      'role', m.role))
                                      from ${memberships} m
                                     where m.user_id = u.id and m.tenant_id = u.tenant_id), '[]'::json))
    from ${users} u join ${tenants} t on t.id = u.tenant_id
   where u.id = ${invitations.invitedBy})`;

/**
 * What accepting an invitation reads, in one batch (platform scope: the token is all an invitee holds): the
 * invitation with its sender's standing, its tenant, and whoever holds the invited address now.
 */
export function invitationForAcceptance(db: Querier, tokenHash: string) {
  const invited = (column: "tenant_id" | "email") =>
    sql.raw(`(select ${column} from invitations where token_hash = `).append(sql`${tokenHash} limit 1)`);
  return {
    invitation: db
      .select({ ...getTableColumns(invitations), sender: senderOf })
      .from(invitations)
      .where(eq(invitations.tokenHash, tokenHash))
      .limit(1),
    tenant: db
      .select()
      .from(tenants)
      .where(sql`${tenants.id} = ${invited("tenant_id")}`)
      .limit(1),
    holder: db
      .select()
      .from(users)
      .where(sql`${users.email} = ${invited("email")}`)
      .limit(1),
  };
}

/**
 * Claims a pending invitation, as one statement of a batch that fails unless it claimed it: of two
 * concurrent accepts, the second waits on the row lock, then finds `accepted_at` set and claims nothing -
 * so a token can be used once, under any race.
 */
export function claimInvitationStatement(db: Querier, tenantId: string, tokenHash: string, now: Date) {
  return db.execute(sql`
    with claimed as (
      update ${invitations} set accepted_at = ${at(now)}
       where ${and(eq(invitations.tenantId, tenantId), eq(invitations.tokenHash, tokenHash), pendingAt(now))}
      returning id)
    select finedge_require(exists (select 1 from claimed), 'invalid_token')`);
}

/** Records who accepted, as a statement of the batch that claims the invitation. */
export function acceptedByStatement(db: Querier, tenantId: string, id: string, userId: string) {
  return db
    .update(invitations)
    .set({ acceptedUserId: userId })
    .where(and(eq(invitations.tenantId, tenantId), eq(invitations.id, id)));
}

/**
 * Withdraws a pending invitation whose sender no longer grants it, and appends its audit event (JSON, as
 * finedge_append_audit takes it) only if it was still pending: one statement.
 */
export function withdrawInvitationStatement(
  db: Querier,
  tenantId: string,
  id: string,
  now: Date,
  event: string,
) {
  return db.execute(sql`
    with withdrawn as (
      update ${invitations} set revoked_at = ${at(now)}
       where ${and(eq(invitations.tenantId, tenantId), eq(invitations.id, id), pendingAt(now))}
      returning id)
    select finedge_append_audit(${tenantId}::uuid, ${event}::jsonb) from withdrawn`);
}

export interface InvitationFilter {
  /** Which invitations: a condition on their organization (none: all of them, tenant-level ones too). */
  organizations: SQL | undefined;
  status?: InvitationStatus | undefined;
  now: Date;
  before?: TimePosition | undefined;
  limit: number;
}

/** The tenant's invitations, newest first, keyed by (created_at, id) for cursor pagination. */
export function listInvitations(tx: Querier, tenantId: string, filter: InvitationFilter) {
  const conditions: SQL[] = [eq(invitations.tenantId, tenantId)];
  if (filter.organizations) conditions.push(filter.organizations);
  if (filter.status) conditions.push(statusCondition(filter.status, filter.now));
  if (filter.before) conditions.push(page.before(filter.before));
  return tx
    .select()
    .from(invitations)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(filter.limit);
}

/** The tenant's invitation with this id (a list of one row, or none). */
export function invitationById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(invitations)
    .where(and(eq(invitations.tenantId, tenantId), eq(invitations.id, id)))
    .limit(1);
}

/**
 * A statement that fails its batch with `stale` unless the invitation is still as read - not accepted, and
 * revoked (or not) as it was - locking it until the batch ends (an accept waits for it).
 */
export function invitationAsRead(db: Querier, before: InvitationRow) {
  return requirement(
    db,
    sql`exists (select 1 from ${invitations}
                 where ${invitations.tenantId} = ${before.tenantId} and ${invitations.id} = ${before.id}
                   and ${invitations.acceptedAt} is null
                   and ${invitations.revokedAt} is not distinct from ${before.revokedAt}
                 for update)`,
    "stale",
  );
}

/** Marks an invitation revoked (once: an earlier revocation time is kept). */
export function revokeInvitation(db: Querier, tenantId: string, id: string, now: Date) {
  return db
    .update(invitations)
    .set({ revokedAt: sql`coalesce(${invitations.revokedAt}, ${at(now)})` })
    .where(and(eq(invitations.tenantId, tenantId), eq(invitations.id, id)));
}
