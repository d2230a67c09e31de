import { and, count, eq, gt, ilike, inArray, isNull, or, type SQLWrapper, sql } from "drizzle-orm";
import type { Querier, Transaction } from "../client";
import { requirement } from "../requirements";
import { apiKeys, organizations } from "../schema";
import { keyset, type TimePosition } from "./keyset";

export type OrganizationRow = typeof organizations.$inferSelect;

const page = keyset(organizations.createdAt, organizations.id);

/** The tenant's organization with this id, if any. */
export async function findOrganization(
  tx: Transaction,
  tenantId: string,
  id: string,
): Promise<OrganizationRow | undefined> {
  const [row] = await organizationById(tx, tenantId, id);
  return row;
}

/** The organization with this id (a list of one row, or none). */
export function organizationById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(organizations)
    .where(and(eq(organizations.tenantId, tenantId), eq(organizations.id, id)))
    .limit(1);
}

/**
 * The organization, locked until the transaction ends. `update` (before a delete) waits for and blocks
 * inserts that reference it - a key being confined to it, a member being added - so a check made under
 * the lock still holds at commit; `no key update` serialises membership changes of one organization.
 */
export async function lockOrganization(
  tx: Transaction,
  tenantId: string,
  id: string,
  strength: "update" | "no key update",
): Promise<OrganizationRow | undefined> {
  const [row] = await tx
    .select()
    .from(organizations)
    .where(and(eq(organizations.tenantId, tenantId), eq(organizations.id, id)))
    .limit(1)
    .for(strength);
  return row;
}

/** Escapes LIKE wildcards, so a search for "50%" matches the text "50%" only. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** The tenant's organizations among `ids` (or all), newest first, keyed by (created_at, id). */
export function listOrganizations(
  tx: Querier,
  tenantId: string,
  options: {
    /** Every organization, these, or a subquery giving them. */
    ids: "all" | string[] | SQLWrapper;
    nameContains?: string | undefined;
    before?: TimePosition | undefined;
    limit: number;
  },
) {
  const conditions = [eq(organizations.tenantId, tenantId)];
  if (options.ids !== "all") conditions.push(inArray(organizations.id, options.ids));
  if (options.nameContains) {
    conditions.push(ilike(organizations.name, `%${likeLiteral(options.nameContains)}%`));
  }
  if (options.before) conditions.push(page.before(options.before));
  return tx
    .select()
    .from(organizations)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(options.limit);
}

export async function insertOrganization(
  tx: Transaction,
  values: { tenantId: string; name: string; description: string | null },
): Promise<OrganizationRow> {
  const [row] = await tx.insert(organizations).values(values).returning();
  if (!row) throw new Error("organization insert returned nothing");
  return row;
}

export async function updateOrganization(
  tx: Transaction,
  tenantId: string,
  id: string,
  fields: { name?: string; description?: string | null },
): Promise<OrganizationRow | undefined> {
  const [row] = await tx
    .update(organizations)
    .set(fields)
    .where(and(eq(organizations.tenantId, tenantId), eq(organizations.id, id)))
    .returning();
  return row;
}

/** Deletes the organization; its memberships, invitations and keys go with it (ON DELETE CASCADE). */
export async function deleteOrganization(tx: Transaction, tenantId: string, id: string): Promise<boolean> {
  const rows = await tx
    .delete(organizations)
    .where(and(eq(organizations.tenantId, tenantId), eq(organizations.id, id)))
    .returning({ id: organizations.id });
  return rows.length > 0;
}

/** How many unrevoked, unexpired API keys are confined to the organization. */
export async function countLiveKeysConfinedTo(
  tx: Transaction,
  tenantId: string,
  organizationId: string,
  now: Date,
): Promise<number> {
  const [row] = await tx
    .select({ live: count() })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.tenantId, tenantId),
        eq(apiKeys.organizationId, organizationId),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
      ),
    );
  return row?.live ?? 0;
}

/** A statement that fails its batch with `code` unless the organization exists in the tenant. */
export function organizationRequirement(db: Querier, tenantId: string, id: string, code: string) {
  return requirement(
    db,
    sql`exists (select 1 from ${organizations} where ${and(eq(organizations.tenantId, tenantId), eq(organizations.id, id))})`,
    code,
  );
}
