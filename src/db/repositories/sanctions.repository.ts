import { and, desc, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { requirement } from "../requirements";
import { type SanctionsMatchStatus, sanctionsLists, sanctionsMatches } from "../tables/compliance";
import { databaseJson } from "../well-formed";
import { keyset, type TimePosition } from "./keyset";

export type SanctionsListRow = typeof sanctionsLists.$inferSelect;
export type NewSanctionsList = Omit<
  typeof sanctionsLists.$inferInsert,
  "version" | "status" | "createdAt" | "updatedAt" | "readyAt"
>;
export type SanctionsMatchRow = typeof sanctionsMatches.$inferSelect;
export type NewSanctionsMatch = typeof sanctionsMatches.$inferInsert;

const listPage = keyset(sanctionsLists.createdAt, sanctionsLists.id);
const matchPage = keyset(sanctionsMatches.createdAt, sanctionsMatches.id);

/** The tenant's active list: its newest ready one (a list of one row, or none). */
export function activeSanctionsList(db: Querier, tenantId: string) {
  return db
    .select({ id: sanctionsLists.id, version: sanctionsLists.version })
    .from(sanctionsLists)
    .where(and(eq(sanctionsLists.tenantId, tenantId), eq(sanctionsLists.status, "ready")))
    .orderBy(desc(sanctionsLists.createdAt), desc(sanctionsLists.id))
    .limit(1);
}

/** Records an uploaded list, `processing`, as the tenant's next version. */
export function insertSanctionsList(db: Querier, values: NewSanctionsList & { tenantId: string }) {
  const next = sql<number>`(select coalesce(max(${sanctionsLists.version}), 0) + 1 from ${sanctionsLists}
                             where ${sanctionsLists.tenantId} = ${values.tenantId})`;
  return db
    .insert(sanctionsLists)
    .values({ ...values, version: next })
    .returning();
}

export function sanctionsListById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(sanctionsLists)
    .where(and(eq(sanctionsLists.tenantId, tenantId), eq(sanctionsLists.id, id)))
    .limit(1);
}

export function listSanctionsLists(
  db: Querier,
  tenantId: string,
  options: { before?: TimePosition | undefined; limit: number },
) {
  const conditions: SQL[] = [eq(sanctionsLists.tenantId, tenantId)];
  if (options.before) conditions.push(listPage.before(options.before));
  return db
    .select()
    .from(sanctionsLists)
    .where(and(...conditions))
    .orderBy(...listPage.order)
    .limit(options.limit);
}

/** Marks a list ready (or failed) - only one still processing: a redelivered message changes nothing. */
export function settleSanctionsList(
  db: Querier,
  tenantId: string,
  id: string,
  outcome:
    | { status: "ready"; customersScreened: number; matchesFound: number }
    | { status: "failed"; failure: string },
) {
  const set =
    outcome.status === "ready"
      ? {
          status: "ready" as const,
          readyAt: sql`now()`,
          customersScreened: outcome.customersScreened,
          matchesFound: outcome.matchesFound,
        }
      : { status: "failed" as const, failure: outcome.failure };
  return db
    .update(sanctionsLists)
    .set(set)
    .where(
      and(
        eq(sanctionsLists.tenantId, tenantId),
        eq(sanctionsLists.id, id),
        eq(sanctionsLists.status, "processing"),
      ),
    )
    .returning();
}

/** Fails its batch with `settled` unless the list is still processing, holding it until the batch ends. */
export function sanctionsListProcessing(db: Querier, tenantId: string, id: string) {
  return requirement(
    db,
    sql`exists (select 1 from ${sanctionsLists}
                 where ${sanctionsLists.tenantId} = ${tenantId} and ${sanctionsLists.id} = ${id}
                   and ${sanctionsLists.status} = 'processing'
                 for no key update)`,
    "settled",
  );
}

/** Every match of these customers, live or superseded (what a screening decides their matches from). */
export function matchesOfCustomers(db: Querier, tenantId: string, customerIds: string[]) {
  return db
    .select()
    .from(sanctionsMatches)
    .where(and(eq(sanctionsMatches.tenantId, tenantId), inArray(sanctionsMatches.customerId, customerIds)));
}

/** Same, for one customer given as SQL (a customer a batch's other statement reads). */
export function matchesOfCustomer(db: Querier, tenantId: string, customerId: string) {
  return db
    .select()
    .from(sanctionsMatches)
    .where(and(eq(sanctionsMatches.tenantId, tenantId), eq(sanctionsMatches.customerId, customerId)));
}

/**
 * Writes what screenings found, in one statement: each match inserted, or - found again on the same list -
 * brought back as given (live, its status and decision as the Worker carried them).
 */
export function upsertMatches(db: Querier, rows: NewSanctionsMatch[]) {
  return db
    .insert(sanctionsMatches)
    .values(rows)
    .onConflictDoUpdate({
      target: [
        sanctionsMatches.tenantId,
        sanctionsMatches.customerId,
        sanctionsMatches.listId,
        sanctionsMatches.entryUid,
      ],
      set: {
        origin: sql`excluded.origin`,
        entryName: sql`excluded.entry_name`,
        entryType: sql`excluded.entry_type`,
        programs: sql`excluded.programs`,
        matchedName: sql`excluded.matched_name`,
        aliasType: sql`excluded.alias_type`,
        weak: sql`excluded.weak`,
        score: sql`excluded.score`,
        status: sql`excluded.status`,
        supersededAt: sql`null`,
        decidedAt: sql`excluded.decided_at`,
        decidedByType: sql`excluded.decided_by_type`,
        decidedById: sql`excluded.decided_by_id`,
        decisionReason: sql`excluded.decision_reason`,
      },
    })
    .returning();
}

/**
 * Supersedes the live matches of `customerIds` that their new screening did not find (`kept`: the
 * customer, list and entry of each match it did), in one statement.
 */
export function supersedeMatches(
  db: Querier,
  tenantId: string,
  customerIds: string[],
  kept: Array<{ customerId: string; listId: string; entryUid: number }>,
) {
  const keep = databaseJson(kept.map((k) => ({ c: k.customerId, l: k.listId, e: k.entryUid })));
  return db
    .update(sanctionsMatches)
    .set({ supersededAt: sql`now()` })
    .where(
      and(
        eq(sanctionsMatches.tenantId, tenantId),
        inArray(sanctionsMatches.customerId, customerIds),
        isNull(sanctionsMatches.supersededAt),
        sql`not exists (select 1 from jsonb_to_recordset(${keep}::jsonb) as k(c uuid, l uuid, e integer)
                         where k.c = ${sanctionsMatches.customerId} and k.l = ${sanctionsMatches.listId}
                           and k.e = ${sanctionsMatches.entryUid})`,
      ),
    )
    .returning({ id: sanctionsMatches.id });
}

export function sanctionsMatchById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(sanctionsMatches)
    .where(and(eq(sanctionsMatches.tenantId, tenantId), eq(sanctionsMatches.id, id)))
    .limit(1);
}

export function listSanctionsMatches(
  db: Querier,
  tenantId: string,
  options: {
    status?: SanctionsMatchStatus | undefined;
    customerId?: string | undefined;
    listId?: string | undefined;
    live?: boolean | undefined;
    before?: TimePosition | undefined;
    limit: number;
  },
) {
  const conditions: SQL[] = [eq(sanctionsMatches.tenantId, tenantId)];
  if (options.status) conditions.push(eq(sanctionsMatches.status, options.status));
  if (options.customerId) conditions.push(eq(sanctionsMatches.customerId, options.customerId));
  if (options.listId) conditions.push(eq(sanctionsMatches.listId, options.listId));
  if (options.live !== undefined)
    conditions.push(
      options.live
        ? isNull(sanctionsMatches.supersededAt)
        : sql`${sanctionsMatches.supersededAt} is not null`,
    );
  if (options.before) conditions.push(matchPage.before(options.before));
  return db
    .select()
    .from(sanctionsMatches)
    .where(and(...conditions))
    .orderBy(...matchPage.order)
    .limit(options.limit);
}

/** Decides an open, live match; nothing when it was decided or superseded meanwhile. */
export function decideMatch(
  db: Querier,
  tenantId: string,
  id: string,
  decision: {
    status: Exclude<SanctionsMatchStatus, "open">;
    reason: string;
    byType: "user" | "api_key";
    byId: string;
  },
) {
  return db
    .update(sanctionsMatches)
    .set({
      status: decision.status,
      decisionReason: decision.reason,
      decidedAt: sql`now()`,
      decidedByType: decision.byType,
      decidedById: decision.byId,
    })
    .where(
      and(
        eq(sanctionsMatches.tenantId, tenantId),
        eq(sanctionsMatches.id, id),
        eq(sanctionsMatches.status, "open"),
        isNull(sanctionsMatches.supersededAt),
      ),
    )
    .returning();
}
