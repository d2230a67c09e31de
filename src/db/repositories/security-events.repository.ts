import { and, desc, eq, gte, lte, sql } from "drizzle-orm";
import type { Transaction } from "../client";
import { securityEvents } from "../schema";

export type SecurityEventRow = typeof securityEvents.$inferSelect;

// Keyset order on the creation time cut to milliseconds: a cursor carries a JavaScript Date, and comparing
// it with microsecond timestamps would skip rows created within the cursor row's millisecond.
const createdMs = sql`date_trunc('milliseconds', ${securityEvents.createdAt})`;

export interface SecurityEventFilter {
  tenantId: string;
  userId?: string | undefined;
  type?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  before?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/** The tenant's security events, newest first, keyed by (created_at, id). */
export async function listTenantSecurityEvents(
  tx: Transaction,
  filter: SecurityEventFilter,
): Promise<SecurityEventRow[]> {
  const conditions = [eq(securityEvents.tenantId, filter.tenantId)];
  if (filter.userId) conditions.push(eq(securityEvents.userId, filter.userId));
  if (filter.type) conditions.push(eq(securityEvents.type, filter.type));
  if (filter.from) conditions.push(gte(securityEvents.createdAt, filter.from));
  if (filter.to) conditions.push(lte(securityEvents.createdAt, filter.to));
  if (filter.before) {
    conditions.push(
      sql`(${createdMs}, ${securityEvents.id}) < (${filter.before.createdAt.toISOString()}::timestamptz, ${filter.before.id}::uuid)`,
    );
  }
  return tx
    .select()
    .from(securityEvents)
    .where(and(...conditions))
    .orderBy(desc(createdMs), desc(securityEvents.id))
    .limit(filter.limit);
}
