import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Querier, Transaction } from "../client";
import { requirement } from "../requirements";
import { memberships, type OrgRole, users } from "../schema";
import { keyset, type TimePosition } from "./keyset";
import type { UserRow } from "./users.repository";

const page = keyset(users.createdAt, users.id);

/** A user as administrators see it: no credentials (password hash, TOTP secret) ever leave this query. */
export interface TenantUser {
  id: string;
  tenantId: string;
  email: string;
  displayName: string | null;
  role: UserRow["role"];
  status: UserRow["status"];
  emailVerifiedAt: Date | null;
  totpEnabledAt: Date | null;
  createdAt: Date;
  organizations: { organizationId: string; role: OrgRole }[];
}

// Memberships ride along as one JSON array per user, so a page of users is still a single query.
const organizationsOf = sql<TenantUser["organizations"]>`coalesce((
  select json_agg(json_build_object('organizationId', m.organization_id, 'role', m.role)
                  order by m.created_at, m.organization_id)
    from ${memberships} m
   where m.user_id = ${users.id} and m.tenant_id = ${users.tenantId}), '[]'::json)`;

const columns = {
  id: users.id,
  tenantId: users.tenantId,
  email: users.email,
  displayName: users.displayName,
  role: users.role,
  status: users.status,
  emailVerifiedAt: users.emailVerifiedAt,
  totpEnabledAt: users.totpEnabledAt,
  createdAt: users.createdAt,
  organizations: organizationsOf,
};

export interface TenantUserFilter {
  role?: UserRow["role"] | undefined;
  status?: UserRow["status"] | undefined;
  organizationId?: string | undefined;
  /** A fragment of the address; addresses are stored lower-cased. */
  email?: string | undefined;
  before?: TimePosition | undefined;
  limit: number;
}

/** The tenant's users, newest first, keyed by (created_at, id) for cursor pagination. */
export function listTenantUsers(tx: Querier, tenantId: string, filter: TenantUserFilter) {
  const conditions: SQL[] = [eq(users.tenantId, tenantId)];
  if (filter.role) conditions.push(eq(users.role, filter.role));
  if (filter.status) conditions.push(eq(users.status, filter.status));
  if (filter.organizationId) {
    conditions.push(sql`exists (select 1 from ${memberships} m where m.user_id = ${users.id}
      and m.tenant_id = ${tenantId} and m.organization_id = ${filter.organizationId})`);
  }
  // strpos, not LIKE: the fragment is matched literally, so "%" or "_" typed by the caller mean themselves.
  if (filter.email) conditions.push(sql`strpos(${users.email}, lower(${filter.email})) > 0`);
  if (filter.before) conditions.push(page.before(filter.before));
  return tx
    .select(columns)
    .from(users)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(filter.limit);
}

/** The tenant's user with this id (optionally locked until the transaction ends), if any. */
export async function findTenantUser(
  tx: Transaction,
  tenantId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<TenantUser | undefined> {
  const query = tenantUserById(tx, tenantId, id);
  const [row] = options.forUpdate ? await query.for("update") : await query;
  return row;
}

/** The tenant's user with this id (a list of one row, or none). */
export function tenantUserById(db: Querier, tenantId: string, id: string) {
  return db
    .select(columns)
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, id)))
    .limit(1);
}

/** The tenant's user with this (lower-cased) e-mail (a list of one row, or none). */
export const tenantUserByEmail = (db: Querier, tenantId: string, email: string) =>
  db
    .select(columns)
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.email, email)))
    .limit(1);

const activeAdmins = (tenantId: string) =>
  and(eq(users.tenantId, tenantId), eq(users.role, "tenant_admin"), eq(users.status, "active"));

/** Ids of the tenant's active tenant admins. */
export function activeTenantAdmins(db: Querier, tenantId: string) {
  return db.select({ id: users.id }).from(users).where(activeAdmins(tenantId)).orderBy(users.id);
}

/**
 * The tenant's active tenant admins, locked until the batch ends: two admins demoting each other at once
 * queue here, and the second's later statements see the first's change (so the tenant keeps an admin).
 */
export function lockedActiveTenantAdmins(db: Querier, tenantId: string) {
  return activeTenantAdmins(db, tenantId).for("update");
}

/**
 * A statement that fails its batch with `stale` unless the user's role, status and name are still as read -
 * and, with `keepsAnotherAdmin`, another active tenant admin still exists (after `lockedActiveTenantAdmins`).
 */
export function tenantUserAsRead(db: Querier, before: TenantUser, options: { keepsAnotherAdmin: boolean }) {
  const another = options.keepsAnotherAdmin
    ? sql`and exists (select 1 from ${users} where ${activeAdmins(before.tenantId)} and ${users.id} <> ${before.id})`
    : sql``;
  return requirement(
    db,
    sql`exists (select 1 from ${users}
                 where ${users.tenantId} = ${before.tenantId} and ${users.id} = ${before.id}
                   and ${users.role} = ${before.role} and ${users.status} = ${before.status}
                   and ${users.displayName} is not distinct from ${before.displayName})
        ${another}`,
    "stale",
  );
}

/** Changes what administrators may change: role, status, display name. */
export function tenantUserUpdate(
  db: Querier,
  tenantId: string,
  id: string,
  fields: { role?: UserRow["role"]; status?: UserRow["status"]; displayName?: string | null },
) {
  return db
    .update(users)
    .set(fields)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, id)));
}

/**
 * Adds a membership as a statement of the caller's batch. With `required`, the batch fails with that
 * requirement (db/requirements.ts) when the user already belongs to the organization.
 */
export function membershipStatement(
  db: Querier,
  values: { tenantId: string; organizationId: string; userId: string; role: OrgRole },
  options: { required?: string } = {},
) {
  const insert = db.insert(memberships).values(values).onConflictDoNothing();
  if (!options.required) return insert;
  return db.execute(sql`with added as ${insert.returning({ userId: memberships.userId })}
                        select finedge_require(exists (select 1 from added), ${options.required})`);
}
