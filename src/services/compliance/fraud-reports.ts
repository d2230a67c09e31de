/**
 * A member's report of suspected fraud on something they can see - a portfolio, a transaction, a customer.
 * It becomes an alert of kind `report` and a case opened for it, due 30 days from the report; the reporter
 * gets the report's id and no access to cases (they need cases:read like anyone). Two round trips: the thing
 * reported is read under the caller's own visibility (another organization's portfolio, or a customer without
 * customers:read, answers 404 as a missing one), then the case, the alert and their audit events in one batch.
 */
import { and, eq, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import { alertInsert } from "../../db/repositories/alerts.repository";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { complianceCases, customers, portfolios, portfolioTransactions } from "../../db/schema";
import { AppError } from "../../errors";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { dueAfter } from "./cases";

export const FRAUD_CATEGORIES = [
  "unauthorized_transaction",
  "account_takeover",
  "identity_theft",
  "scam",
  "money_laundering",
  "insider",
  "other",
] as const;
export type FraudCategory = (typeof FRAUD_CATEGORIES)[number];

export interface FraudReport {
  subject: { type: "portfolio" | "transaction" | "customer"; id: string };
  category: FraudCategory;
  description: string;
}

const notFound = (type: string) =>
  new AppError("not_found", `No such ${type}.`, {
    errors: [{ location: "body", pointer: "/subject/id", message: `No such ${type}.`, code: "invalid" }],
  });

export async function reportFraud(ctx: TenantContext, report: FraudReport) {
  const { type, id } = report.subject;
  const found = await ctx.read((db) => ({
    portfolio: read(
      db
        .select({ id: portfolios.id })
        .from(portfolios)
        .where(
          and(
            eq(portfolios.tenantId, ctx.tenantId),
            type === "portfolio" ? eq(portfolios.id, id) : sql`false`,
            ctx.organizationsWhere(portfolios.organizationId, "portfolios:read"),
          ),
        )
        .limit(1),
      (rows) => rows[0],
    ),
    transaction: read(
      db
        .select({ id: portfolioTransactions.id, portfolioId: portfolioTransactions.portfolioId })
        .from(portfolioTransactions)
        .innerJoin(portfolios, eq(portfolios.id, portfolioTransactions.portfolioId))
        .where(
          and(
            eq(portfolioTransactions.tenantId, ctx.tenantId),
            type === "transaction" ? eq(portfolioTransactions.id, id) : sql`false`,
            ctx.organizationsWhere(portfolios.organizationId, "portfolios:read"),
          ),
        )
        .limit(1),
      (rows) => rows[0],
    ),
    customer: read(
      db
        .select({ id: customers.id })
        .from(customers)
        .where(
          and(eq(customers.tenantId, ctx.tenantId), type === "customer" ? eq(customers.id, id) : sql`false`),
        )
        .limit(1),
      (rows) => rows[0],
    ),
  }));
  let target: { customerId: string | null; portfolioId: string | null; transactionIds: string[] };
  if (type === "portfolio") {
    if (!found.portfolio) throw notFound(type);
    target = { customerId: null, portfolioId: found.portfolio.id, transactionIds: [] };
  } else if (type === "transaction") {
    if (!found.transaction) throw notFound(type);
    target = {
      customerId: null,
      portfolioId: found.transaction.portfolioId,
      transactionIds: [found.transaction.id],
    };
  } else {
    // A customer is seen with customers:read; without it, one that exists answers as one that does not.
    if (!found.customer || !ctx.access.holds("customers:read")) throw notFound(type);
    target = { customerId: found.customer.id, portfolioId: null, transactionIds: [] };
  }
  const now = ctx.now();
  const caseId = crypto.randomUUID();
  const alertId = crypto.randomUUID();
  const caseValues = {
    id: caseId,
    tenantId: ctx.tenantId,
    title: `Reported ${type}: ${report.category.replaceAll("_", " ")}`,
    openedByType: "system" as const,
    openedBy: null,
    detectedAt: now,
    dueAt: dueAfter(now),
    createdAt: now,
    updatedAt: now,
  };
  const reported = eventOf(ctx, {
    action: "fraud.reported",
    resourceType: "fraud_report",
    resourceId: alertId,
    after: { subjectType: type, subjectId: id, category: report.category, caseId },
  });
  const opened = eventOf(ctx, {
    action: "case.opened",
    resourceType: "compliance_case",
    resourceId: caseId,
    after: { title: caseValues.title, status: "open", dueAt: caseValues.dueAt, alertIds: [alertId] },
    bySystem: true,
  });
  const written = await ctx.write("fraud:report", null, (db) => ({
    case: read(db.insert(complianceCases).values(caseValues)),
    alert: read(
      alertInsert(db, {
        id: alertId,
        tenantId: ctx.tenantId,
        kind: "report",
        rule: `REPORT-${report.category.toUpperCase()}`,
        ...target,
        reasons: [{ code: report.category, detail: report.description }],
        caseId,
        createdAt: now,
      }),
      (rows) => rows[0],
    ),
    reported: read(auditEventStatement(db, reported)),
    opened: read(auditEventStatement(db, opened)),
  }));
  if (!written.alert) throw new Error("alert insert returned nothing");
  ctx.audited += 2;
  return { id: alertId, category: report.category, createdAt: written.alert.createdAt };
}
