import { and, eq, gt, ilike, inArray, isNull, or, type SQLWrapper, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { requirement } from "../requirements";
import { apiKeys, organizations, portfolios } from "../schema";
import { keyset, type TimePosition } from "./keyset";

export type OrganizationRow = typeof organizations.$inferSelect;

const page = keyset(organizations.createdAt, organizations.id);

/** The organization with this id (a list of one row, or none). */
export function organizationById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(organizations)
    .where(and(eq(organizations.tenantId, tenantId), eq(organizations.id, id)))
    .limit(1);
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

/** The live API keys confined to an organization, and its portfolios: what stands in the way of deleting it. */
const liveKeysOf = (tenantId: string, organizationId: string, now: Date) =>
  sql`${apiKeys} where ${and(
    eq(apiKeys.tenantId, tenantId),
    eq(apiKeys.organizationId, organizationId),
    isNull(apiKeys.revokedAt),
    or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
  )}`;
const portfoliosOf = (tenantId: string, organizationId: string) =>
  sql`${portfolios} where ${and(eq(portfolios.tenantId, tenantId), eq(portfolios.organizationId, organizationId))}`;

/** What stands in the way of deleting an organization: how many live confined API keys and portfolios. */
export function organizationDependants(db: Querier, tenantId: string, organizationId: string, now: Date) {
  return db
    .select({
      liveKeys: sql<number>`(select count(*)::int from ${liveKeysOf(tenantId, organizationId, now)})`,
      portfolios: sql<number>`(select count(*)::int from ${portfoliosOf(tenantId, organizationId)})`,
    })
    .from(sql`(select 1) as one`);
}

/**
 * A statement that fails its batch with `code` unless the organization exists in the tenant, and holds it
 * (a key-share lock) so that it cannot be deleted before the batch's rows that name it are written.
 */
export function organizationRequirement(db: Querier, tenantId: string, id: string, code: string) {
  const theOrganization = and(eq(organizations.tenantId, tenantId), eq(organizations.id, id));
  return requirement(
    db,
    sql`exists (select 1 from ${organizations} where ${theOrganization} for key share)`,
    code,
  );
}

/**
 * A statement that fails its batch with `code` unless the organization exists, locking it (no key update)
 * until the batch ends: membership changes of one organization are made one at a time.
 */
export function organizationLocked(db: Querier, tenantId: string, id: string, code: string) {
  const theOrganization = and(eq(organizations.tenantId, tenantId), eq(organizations.id, id));
  return requirement(
    db,
    sql`exists (select 1 from ${organizations} where ${theOrganization} for no key update)`,
    code,
  );
}

/**
 * A statement that fails its batch with `stale` unless the organization is still as read (its name and
 * description) and - for a deletion - nothing has come to depend on it since.
 */
export function organizationAsRead(
  db: Querier,
  row: { tenantId: string; id: string; name: string; description: string | null },
  options: { now?: Date } = {},
) {
  const same = and(
    eq(organizations.tenantId, row.tenantId),
    eq(organizations.id, row.id),
    eq(organizations.name, row.name),
    sql`${organizations.description} is not distinct from ${row.description}`,
  );
  const free = options.now
    ? sql`and not exists (select 1 from ${liveKeysOf(row.tenantId, row.id, options.now)})
          and not exists (select 1 from ${portfoliosOf(row.tenantId, row.id)})`
    : sql``;
  return requirement(db, sql`exists (select 1 from ${organizations} where ${same}) ${free}`, "stale");
}
