import { and, eq, sql } from "drizzle-orm";
import type { Querier, Transaction } from "../client";
import { tenants } from "../schema";
import { inferenceUsage } from "../tables/risk";

/** The tenant's own quotas (row-level security shows a tenant its own row). */
export async function tenantQuotas(tx: Transaction, tenantId: string) {
  const [row] = await tx
    .select({ quotas: tenants.quotas })
    .from(tenants)
    .where(eq(tenants.id, tenantId))
    .limit(1);
  return row?.quotas ?? {};
}

/**
 * Takes up to `rows` of the day's allowance of `limit` and returns how many were granted. The counter row
 * is locked for the rest of the transaction, so concurrent scorers of one tenant never overspend it, and
 * a rolled-back transaction gives its rows back.
 */
export async function takeInferenceRows(
  tx: Transaction,
  tenantId: string,
  day: string,
  rows: number,
  limit: number,
): Promise<{ granted: number; used: number }> {
  await tx.insert(inferenceUsage).values({ tenantId, day, rows: 0 }).onConflictDoNothing();
  const [row] = await tx
    .select({ rows: inferenceUsage.rows })
    .from(inferenceUsage)
    .where(and(eq(inferenceUsage.tenantId, tenantId), eq(inferenceUsage.day, day)))
    .for("update");
  const used = row?.rows ?? 0;
  const granted = Math.max(0, Math.min(rows, limit - used));
  if (granted > 0) {
    await tx
      .update(inferenceUsage)
      .set({ rows: sql`${inferenceUsage.rows} + ${granted}` })
      .where(and(eq(inferenceUsage.tenantId, tenantId), eq(inferenceUsage.day, day)));
  }
  return { granted, used: used + granted };
}

/** The day's count and the tenant's quotas, as two statements of a batch. */
export function usageStatements(db: Querier, tenantId: string, day: string) {
  return {
    used: db
      .select({ rows: inferenceUsage.rows })
      .from(inferenceUsage)
      .where(and(eq(inferenceUsage.tenantId, tenantId), eq(inferenceUsage.day, day))),
    quotas: db.select({ quotas: tenants.quotas }).from(tenants).where(eq(tenants.id, tenantId)).limit(1),
  };
}
