import { and, eq, inArray, type SQL } from "drizzle-orm";
import type { Querier } from "../client";
import { type AlertKind, type AlertStatus, complianceAlerts } from "../tables/compliance-cases";
import { keyset, type TimePosition } from "./keyset";

export type AlertRow = typeof complianceAlerts.$inferSelect;

/** What raising an alert takes; the id and time may be chosen by the caller (a write that refers to them). */
export interface NewAlert {
  id?: string;
  tenantId: string;
  kind: AlertKind;
  rule: string;
  customerId?: string | null;
  portfolioId?: string | null;
  transactionIds?: string[];
  score?: number | null;
  reasons?: Array<{ code: string; detail: string }>;
  caseId?: string | null;
  createdAt?: Date;
}

const page = keyset(complianceAlerts.createdAt, complianceAlerts.id);

/**
 * The INSERT of one alert, returning its row - a statement to put in the caller's own batch (a fraud check,
 * a monitoring scenario, screening, a member's report), so the alert commits with what raised it.
 */
export function alertInsert(db: Querier, alert: NewAlert) {
  return db
    .insert(complianceAlerts)
    .values({
      ...(alert.id ? { id: alert.id } : {}),
      tenantId: alert.tenantId,
      kind: alert.kind,
      rule: alert.rule,
      customerId: alert.customerId ?? null,
      portfolioId: alert.portfolioId ?? null,
      transactionIds: alert.transactionIds ?? [],
      score: alert.score ?? null,
      reasons: alert.reasons ?? [],
      caseId: alert.caseId ?? null,
      ...(alert.createdAt ? { createdAt: alert.createdAt, updatedAt: alert.createdAt } : {}),
    })
    .returning();
}

export function alertById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(complianceAlerts)
    .where(and(eq(complianceAlerts.tenantId, tenantId), eq(complianceAlerts.id, id)))
    .limit(1);
}

export function alertsByIds(db: Querier, tenantId: string, ids: string[]) {
  return db
    .select()
    .from(complianceAlerts)
    .where(and(eq(complianceAlerts.tenantId, tenantId), inArray(complianceAlerts.id, ids)));
}

export function alertsOfCase(db: Querier, tenantId: string, caseId: string) {
  return db
    .select()
    .from(complianceAlerts)
    .where(and(eq(complianceAlerts.tenantId, tenantId), eq(complianceAlerts.caseId, caseId)))
    .orderBy(complianceAlerts.createdAt, complianceAlerts.id);
}

export function listAlerts(
  db: Querier,
  tenantId: string,
  options: {
    status?: AlertStatus | undefined;
    kind?: AlertKind | undefined;
    customerId?: string | undefined;
    before?: TimePosition | undefined;
    limit: number;
  },
) {
  const conditions: SQL[] = [eq(complianceAlerts.tenantId, tenantId)];
  if (options.status) conditions.push(eq(complianceAlerts.status, options.status));
  if (options.kind) conditions.push(eq(complianceAlerts.kind, options.kind));
  if (options.customerId) conditions.push(eq(complianceAlerts.customerId, options.customerId));
  if (options.before) conditions.push(page.before(options.before));
  return db
    .select()
    .from(complianceAlerts)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(options.limit);
}
