import { and, eq, gte, lte } from "drizzle-orm";
import type { Querier } from "../client";
import { securityEvents } from "../schema";
import { keyset, type TimePosition } from "./keyset";

export type SecurityEventRow = typeof securityEvents.$inferSelect;

const page = keyset(securityEvents.createdAt, securityEvents.id);

export interface SecurityEventFilter {
  tenantId: string;
  userId?: string | undefined;
  type?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  before?: TimePosition | undefined;
  limit: number;
}

/** The tenant's security events, newest first, keyed by (created_at, id). */
export function listTenantSecurityEvents(tx: Querier, filter: SecurityEventFilter) {
  const conditions = [eq(securityEvents.tenantId, filter.tenantId)];
  if (filter.userId) conditions.push(eq(securityEvents.userId, filter.userId));
  if (filter.type) conditions.push(eq(securityEvents.type, filter.type));
  if (filter.from) conditions.push(gte(securityEvents.createdAt, filter.from));
  if (filter.to) conditions.push(lte(securityEvents.createdAt, filter.to));
  if (filter.before) conditions.push(page.before(filter.before));
  return tx
    .select()
    .from(securityEvents)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(filter.limit);
}
