import { and, count, eq, sql } from "drizzle-orm";
import type { Querier, Transaction } from "../client";
import { requirement } from "../requirements";
import { memberships, type OrgRole, users } from "../schema";
import { keyset, type TimePosition } from "./keyset";

/** The membership of one user in one organization of the tenant. */
const oneMembership = (tenantId: string, organizationId: string, userId: string) =>
  and(
    eq(memberships.tenantId, tenantId),
    eq(memberships.organizationId, organizationId),
    eq(memberships.userId, userId),
  );

export type MembershipRow = typeof memberships.$inferSelect;

const page = keyset(memberships.createdAt, memberships.userId);

/** A membership with the member's identity, as listings show it. */
export interface MemberRow {
  userId: string;
  email: string;
  displayName: string | null;
  role: OrgRole;
  joinedAt: Date;
}

const memberColumns = {
  userId: memberships.userId,
  email: users.email,
  displayName: users.displayName,
  role: memberships.role,
  joinedAt: memberships.createdAt,
};

/** The organization's members, newest first, keyed by (joined at, user id). */
export function listMembers(
  tx: Querier,
  tenantId: string,
  organizationId: string,
  options: { before?: TimePosition | undefined; limit: number },
) {
  const conditions = [eq(memberships.tenantId, tenantId), eq(memberships.organizationId, organizationId)];
  if (options.before) conditions.push(page.before(options.before));
  return tx
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, and(eq(users.id, memberships.userId), eq(users.tenantId, memberships.tenantId)))
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(options.limit);
}

/** A member with their standing in the tenant, which a membership change is judged against. */
export interface MemberStandingRow extends MemberRow {
  tenantRole: (typeof users.$inferSelect)["role"];
  status: (typeof users.$inferSelect)["status"];
}

/** One member, with identity and tenant-level role and status. */
/** The member with their tenant-level role and status (a list of one row, or none). */
export function memberById(db: Querier, tenantId: string, organizationId: string, userId: string) {
  return db
    .select({ ...memberColumns, tenantRole: users.role, status: users.status })
    .from(memberships)
    .innerJoin(users, and(eq(users.id, memberships.userId), eq(users.tenantId, memberships.tenantId)))
    .where(oneMembership(tenantId, organizationId, userId))
    .limit(1);
}

/** The tenant's user with this id, if any: only they can join the tenant's organizations. */
export async function findTenantUser(tx: Transaction, tenantId: string, userId: string) {
  const [row] = await tx
    .select({ id: users.id, email: users.email, displayName: users.displayName })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, userId)))
    .limit(1);
  return row;
}

/**
 * A user of the tenant, for a write's batch: a requirement that fails the batch with `code` when there is none,
 * and the user's row with the transaction's time - the time a membership made in the same batch is created.
 */
export function tenantUserStatements(db: Querier, tenantId: string, userId: string, code: string) {
  const theUser = and(eq(users.tenantId, tenantId), eq(users.id, userId));
  return [
    requirement(db, sql`exists (select 1 from ${users} where ${theUser})`, code),
    db
      .select({
        id: users.id,
        email: users.email,
        displayName: users.displayName,
        joinedAt: sql<Date>`now()`.mapWith((value: string) => new Date(value)),
      })
      .from(users)
      .where(theUser)
      .limit(1),
  ] as const;
}

/** Sets a member's role. */
export function membershipRoleUpdate(
  db: Querier,
  tenantId: string,
  organizationId: string,
  userId: string,
  role: OrgRole,
) {
  return db
    .update(memberships)
    .set({ role })
    .where(oneMembership(tenantId, organizationId, userId));
}

/** Removes a membership. */
export function membershipDelete(db: Querier, tenantId: string, organizationId: string, userId: string) {
  return db.delete(memberships).where(oneMembership(tenantId, organizationId, userId));
}

/** How many members hold a role in the organization (one row, `n`). */
export function membersWithRole(db: Querier, tenantId: string, organizationId: string, role: OrgRole) {
  return db
    .select({ n: count() })
    .from(memberships)
    .where(
      and(
        eq(memberships.tenantId, tenantId),
        eq(memberships.organizationId, organizationId),
        eq(memberships.role, role),
      ),
    );
}

/**
 * A statement that fails its batch with `stale` unless the member still has the role read - and, with
 * `keepsAdmin`, the organization still has another org admin. It must follow the organization's lock
 * (`organizationLocked`) in its batch: each statement sees what was committed when it began, so it then sees
 * the membership change that held the lock before it.
 */
export function memberAsRead(
  db: Querier,
  member: { tenantId: string; organizationId: string; userId: string; role: OrgRole },
  options: { keepsAdmin: boolean },
) {
  const { tenantId, organizationId, userId, role } = member;
  const another = options.keepsAdmin
    ? sql`and (select count(*) from ${memberships}
                where ${memberships.tenantId} = ${tenantId} and ${memberships.organizationId} = ${organizationId}
                  and ${memberships.role} = 'org_admin') > 1`
    : sql``;
  return requirement(
    db,
    sql`exists (select 1 from ${memberships}
                 where ${oneMembership(tenantId, organizationId, userId)} and ${memberships.role} = ${role})
        ${another}`,
    "stale",
  );
}
