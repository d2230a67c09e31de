import { and, eq, gt, lte, sql } from "drizzle-orm";
import type { Database, Transaction } from "../client";
import { idempotencyKeys } from "../tables/portfolios";

export type StoredResponse = typeof idempotencyKeys.$inferSelect;
type KeyName = { tenantId: string; key: string; route: string };

/**
 * Claims the key for the rest of the transaction without waiting: false when another request holds it
 * (a duplicate in flight). Transaction-scoped advisory locks end with their transaction, so a crashed
 * request never leaves a key claimed.
 */
export async function tryClaimKey(tx: Transaction, name: KeyName): Promise<boolean> {
  const result = await tx.execute<{ claimed: boolean }>(
    sql`select pg_try_advisory_xact_lock(hashtextextended(${`idempotency:${name.tenantId}:${name.route}:${name.key}`}, 0)) as claimed`,
  );
  return result.rows[0]?.claimed === true;
}

/** The stored, unexpired response for the key, if any. */
export async function findStoredResponse(
  tx: Transaction,
  name: KeyName,
  now: Date,
): Promise<StoredResponse | undefined> {
  const [row] = await tx
    .select()
    .from(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.tenantId, name.tenantId),
        eq(idempotencyKeys.key, name.key),
        eq(idempotencyKeys.route, name.route),
        gt(idempotencyKeys.expiresAt, now),
      ),
    )
    .limit(1);
  return row;
}

/** Stores the response, replacing an expired one under the same key. */
export async function storeResponse(tx: Transaction, row: Omit<StoredResponse, "createdAt">): Promise<void> {
  const { tenantId, key, route, ...rest } = row;
  await tx
    .insert(idempotencyKeys)
    .values(row)
    .onConflictDoUpdate({
      target: [idempotencyKeys.tenantId, idempotencyKeys.key, idempotencyKeys.route],
      set: { ...rest, createdAt: sql`now()` },
    });
}

/** Platform scope, for the cron trigger: forgets expired responses. */
export async function purgeExpiredResponses(db: Database, now: Date): Promise<number> {
  const rows = await db
    .delete(idempotencyKeys)
    .where(lte(idempotencyKeys.expiresAt, now))
    .returning({ key: idempotencyKeys.key });
  return rows.length;
}
