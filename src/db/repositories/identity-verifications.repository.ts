import { and, eq, inArray, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { requirement } from "../requirements";
import { customers, identityVerifications, sanctionsMatches, type VerificationStatus } from "../schema";
import { keyset, type TimePosition } from "./keyset";

export type VerificationRow = typeof identityVerifications.$inferSelect;
export type NewVerificationRow = typeof identityVerifications.$inferInsert;

const page = keyset(identityVerifications.createdAt, identityVerifications.id);

/** The statuses of an open verification: at most one per customer (a partial unique index holds it). */
export const OPEN_STATUSES: VerificationStatus[] = ["pending", "needs_review"];

/** The tenant's verifications, newest first, optionally of one customer or status. */
export function verificationsPage(
  db: Querier,
  tenantId: string,
  options: {
    customerId?: string | undefined;
    status?: VerificationStatus | undefined;
    before?: TimePosition | undefined;
    limit: number;
  },
) {
  return db
    .select()
    .from(identityVerifications)
    .where(
      and(
        eq(identityVerifications.tenantId, tenantId),
        options.customerId ? eq(identityVerifications.customerId, options.customerId) : undefined,
        options.status ? eq(identityVerifications.status, options.status) : undefined,
        page.before(options.before),
      ),
    )
    .orderBy(...page.order)
    .limit(options.limit);
}

/** One verification (a list of one row, or none). */
export function verificationById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(identityVerifications)
    .where(and(eq(identityVerifications.tenantId, tenantId), eq(identityVerifications.id, id)))
    .limit(1);
}

/** The customer's open verification, if it has one. */
export function openVerificationOf(db: Querier, tenantId: string, customerId: string) {
  return db
    .select()
    .from(identityVerifications)
    .where(
      and(
        eq(identityVerifications.tenantId, tenantId),
        eq(identityVerifications.customerId, customerId),
        inArray(identityVerifications.status, OPEN_STATUSES),
      ),
    )
    .limit(1);
}

/** Fails its batch with `stale` unless the verification is still in `status`, holding it until the batch ends. */
export function verificationStill(
  db: Querier,
  row: Pick<VerificationRow, "tenantId" | "id">,
  status: VerificationStatus,
) {
  return requirement(
    db,
    sql`exists (select 1 from ${identityVerifications}
                 where ${identityVerifications.tenantId} = ${row.tenantId}
                   and ${identityVerifications.id} = ${row.id}
                   and ${identityVerifications.status} = ${status}
                 for no key update)`,
    "stale",
  );
}

/** Changes a verification (its tenant and id named), returning it as changed. */
export function updateVerification(
  db: Querier,
  row: Pick<VerificationRow, "tenantId" | "id">,
  set: Partial<NewVerificationRow>,
) {
  return db
    .update(identityVerifications)
    .set(set)
    .where(and(eq(identityVerifications.tenantId, row.tenantId), eq(identityVerifications.id, row.id)))
    .returning();
}

const customerIdOf = (db: Querier, tenantId: string, verificationId: string) =>
  db
    .select({ id: identityVerifications.customerId })
    .from(identityVerifications)
    .where(and(eq(identityVerifications.tenantId, tenantId), eq(identityVerifications.id, verificationId)));

/** The customer a verification is of, read in the same batch as the verification (a list of one, or none). */
export function customerOfVerification(db: Querier, tenantId: string, verificationId: string) {
  return db
    .select()
    .from(customers)
    .where(
      and(
        eq(customers.tenantId, tenantId),
        inArray(customers.id, customerIdOf(db, tenantId, verificationId)),
      ),
    )
    .limit(1);
}

/** That customer's sanctions matches, for its risk to be rated again. */
export function matchesOfVerifiedCustomer(db: Querier, tenantId: string, verificationId: string) {
  return db
    .select()
    .from(sanctionsMatches)
    .where(
      and(
        eq(sanctionsMatches.tenantId, tenantId),
        inArray(sanctionsMatches.customerId, customerIdOf(db, tenantId, verificationId)),
      ),
    );
}
