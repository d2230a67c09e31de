/**
 * The customers that sanctions rescreens and decisions work on: paged forwards with their matches, held at the
 * version read, re-rated many at once, and found from a match that names them.
 */
import { and, asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { requirement } from "../requirements";
import { customers, sanctionsMatches } from "../tables/compliance";
import { databaseJson } from "../well-formed";
import type { TimePosition } from "./keyset";

/**
 * Fails its batch with `stale` unless every one of these customers is still the version read, holding them
 * until the batch ends.
 */
export function customersAsRead(db: Querier, tenantId: string, read: Array<{ id: string; version: number }>) {
  const expected = databaseJson(read.map((r) => ({ i: r.id, v: r.version })));
  return requirement(
    db,
    sql`(select count(*) from (select 1 from ${customers}
           join jsonb_to_recordset(${expected}::jsonb) as r(i uuid, v integer)
             on r.i = ${customers.id} and r.v = ${customers.version}
          where ${customers.tenantId} = ${tenantId}
          for no key update of ${customers}) held) = ${read.length}`,
    "stale",
  );
}

/** Sets the risk of many customers in one statement, each bumped to its next version. */
export function rerateCustomers(
  db: Querier,
  tenantId: string,
  rated: Array<{ id: string; rating: string; factors: Array<{ factor: string; points: number }> }>,
) {
  const values = databaseJson(rated.map((r) => ({ i: r.id, r: r.rating, f: r.factors })));
  return db.execute(sql`update ${customers} c
                          set risk_rating = v.r, risk_factors = v.f, version = c.version + 1
                         from jsonb_to_recordset(${values}::jsonb) as v(i uuid, r text, f jsonb)
                        where c.tenant_id = ${tenantId} and c.id = v.i`);
}

/** The customer a match names (a list of one row, or none). */
export function customerOfMatch(db: Querier, tenantId: string, matchId: string) {
  return db
    .select()
    .from(customers)
    .where(
      and(
        eq(customers.tenantId, tenantId),
        sql`${customers.id} = (select ${sanctionsMatches.customerId} from ${sanctionsMatches}
                                where ${sanctionsMatches.tenantId} = ${tenantId}
                                  and ${sanctionsMatches.id} = ${matchId})`,
      ),
    )
    .limit(1);
}

/** Every match of the customer a match names, that match included. */
export function matchesBesideMatch(db: Querier, tenantId: string, matchId: string) {
  const owner = sql`(select m.customer_id from ${sanctionsMatches} m where m.tenant_id = ${tenantId} and m.id = ${matchId})`;
  return db
    .select()
    .from(sanctionsMatches)
    .where(and(eq(sanctionsMatches.tenantId, tenantId), sql`${sanctionsMatches.customerId} = ${owner}`));
}

/**
 * A page of the tenant's customers, oldest first after `after` (a rescreen pages forwards, so customers
 * onboarded while it runs are still reached).
 */
export function customersAfter(
  db: Querier,
  tenantId: string,
  after: TimePosition | undefined,
  limit: number,
) {
  return db
    .select()
    .from(customers)
    .where(afterCondition(tenantId, after))
    .orderBy(...forwards)
    .limit(limit);
}

const createdKey = sql`date_trunc('milliseconds', ${customers.createdAt})`;
const forwards = [asc(createdKey), asc(customers.id)];

function afterCondition(tenantId: string, after: TimePosition | undefined) {
  const conditions: SQL[] = [eq(customers.tenantId, tenantId)];
  if (after)
    conditions.push(
      sql`(${createdKey}, ${customers.id}) > (${after.createdAt.toISOString()}::timestamptz, ${after.id}::uuid)`,
    );
  return and(...conditions);
}

/** Every match (live or superseded) of the customers `customersAfter` reads, in the same batch. */
export function matchesOfCustomersAfter(
  db: Querier,
  tenantId: string,
  after: TimePosition | undefined,
  limit: number,
) {
  const page = db
    .select({ id: customers.id })
    .from(customers)
    .where(afterCondition(tenantId, after))
    .orderBy(...forwards)
    .limit(limit);
  return db
    .select()
    .from(sanctionsMatches)
    .where(and(eq(sanctionsMatches.tenantId, tenantId), inArray(sanctionsMatches.customerId, page)));
}
