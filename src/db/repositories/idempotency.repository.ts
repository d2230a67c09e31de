import { lte } from "drizzle-orm";
import type { Database } from "../client";
import { idempotencyKeys } from "../tables/portfolios";

/** Platform scope, for the cron trigger: forgets expired responses. */
export async function purgeExpiredResponses(db: Database, now: Date): Promise<number> {
  const rows = await db
    .delete(idempotencyKeys)
    .where(lte(idempotencyKeys.expiresAt, now))
    .returning({ key: idempotencyKeys.key });
  return rows.length;
}
