import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { requirement } from "../requirements";
import { customers, type KycStatus, type RiskRating } from "../tables/compliance";
import { keyset, type TimePosition } from "./keyset";

export type CustomerRow = typeof customers.$inferSelect;

const page = keyset(customers.createdAt, customers.id);

/** The customer with this id (a list of one row, or none). */
export function customerById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(customers)
    .where(and(eq(customers.tenantId, tenantId), eq(customers.id, id)))
    .limit(1);
}

/** The tenant's customers, newest first, optionally only those of one KYC status or risk rating. */
export function listCustomers(
  db: Querier,
  tenantId: string,
  options: {
    kycStatus?: KycStatus | undefined;
    riskRating?: RiskRating | undefined;
    before?: TimePosition | undefined;
    limit: number;
  },
) {
  const conditions: SQL[] = [eq(customers.tenantId, tenantId)];
  if (options.kycStatus) conditions.push(eq(customers.kycStatus, options.kycStatus));
  if (options.riskRating) conditions.push(eq(customers.riskRating, options.riskRating));
  if (options.before) conditions.push(page.before(options.before));
  return db
    .select()
    .from(customers)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(options.limit);
}

/** Fails its batch with `stale` unless the customer is still the version read, holding it until the batch ends. */
export function customerAsRead(db: Querier, before: Pick<CustomerRow, "tenantId" | "id" | "version">) {
  return requirement(
    db,
    sql`exists (select 1 from ${customers}
                 where ${customers.tenantId} = ${before.tenantId} and ${customers.id} = ${before.id}
                   and ${customers.version} = ${before.version}
                 for no key update)`,
    "stale",
  );
}
