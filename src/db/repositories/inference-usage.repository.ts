import { and, eq } from "drizzle-orm";
import type { Querier } from "../client";
import { tenants } from "../schema";
import { inferenceUsage } from "../tables/risk";

/**
 * Records `rows` scored on `day` (the tenant's authority granted them; this is the record, not the limit).
 * Atomic under concurrency: one upsert.
 */
/** The day's recorded count and the tenant's status and quotas, as two statements of a batch. */
export function usageStatements(db: Querier, tenantId: string, day: string) {
  return {
    used: db
      .select({ rows: inferenceUsage.rows })
      .from(inferenceUsage)
      .where(and(eq(inferenceUsage.tenantId, tenantId), eq(inferenceUsage.day, day))),
    tenant: db
      .select({ status: tenants.status, quotas: tenants.quotas })
      .from(tenants)
      .where(eq(tenants.id, tenantId))
      .limit(1),
  };
}
