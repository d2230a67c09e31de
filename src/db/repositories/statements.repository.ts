import { and, desc, eq, type SQL, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { type PeriodType, financialStatements as statements } from "../tables/risk";
import { keyset, type TimePosition } from "./keyset";

const byPeriod = keyset(statements.periodEnd, statements.id, { unit: "day" });

export type StatementRow = typeof statements.$inferSelect;
export type NewStatement = typeof statements.$inferInsert;

const ofCompany = (tenantId: string, companyId: string) =>
  and(eq(statements.tenantId, tenantId), eq(statements.companyId, companyId)) as SQL;

/** A company's statements, latest period first, keyed by (period_end, id). */
export function listStatements(
  tx: Querier,
  tenantId: string,
  companyId: string,
  options: {
    periodType?: PeriodType | undefined;
    /** The period end is the position's time (midnight UTC). */
    before?: TimePosition | undefined;
    limit: number;
  },
) {
  const conditions = [ofCompany(tenantId, companyId)];
  if (options.periodType) conditions.push(eq(statements.periodType, options.periodType));
  if (options.before) conditions.push(byPeriod.before(options.before));
  return tx
    .select()
    .from(statements)
    .where(and(...conditions))
    .orderBy(...byPeriod.order)
    .limit(options.limit);
}

/**
 * A company's two latest annual statements up to `fiscalYear` (or the latest): the year asked for and the
 * one before it, which may supply its prior net income - one statement of a batch.
 */
export function latestAnnualStatements(
  db: Querier,
  tenantId: string,
  companyId: string,
  fiscalYear?: number,
) {
  const conditions = [ofCompany(tenantId, companyId), eq(statements.periodType, "annual")];
  if (fiscalYear !== undefined) conditions.push(sql`${statements.fiscalYear} <= ${fiscalYear}`);
  return db
    .select()
    .from(statements)
    .where(and(...conditions))
    .orderBy(desc(statements.fiscalYear))
    .limit(2);
}

/** Up to `count` quarterly statements ending with the given quarter (or the latest), most recent first. */
export function recentQuarters(
  db: Querier,
  tenantId: string,
  companyId: string,
  options: { upTo?: { year: number; quarter: number } | undefined; count: number },
) {
  const conditions = [ofCompany(tenantId, companyId), eq(statements.periodType, "quarterly")];
  if (options.upTo) {
    conditions.push(
      sql`(${statements.fiscalYear}, ${statements.fiscalQuarter}) <= (${options.upTo.year}, ${options.upTo.quarter})`,
    );
  }
  return db
    .select()
    .from(statements)
    .where(and(...conditions))
    .orderBy(desc(statements.fiscalYear), desc(statements.fiscalQuarter))
    .limit(options.count);
}
