/**
 * Currency transaction reports: made by the ledger write itself when a customer's settled cash in (or out) in
 * one business day of the tenant's time zone exceeds the policy's threshold, aggregated across the customer's
 * portfolios (finedge_ctr_count, migrations/0019), or filed by hand. Each has a filing deadline (15 days by
 * default); its export is ctr-exports.ts.
 */
import { and, eq, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { type CtrRow, ctrById, ctrsPage } from "../../db/repositories/ctrs.repository";
import { ownerRequirement, policyRow } from "../../db/repositories/money.repository";
import { meetingRequirements, requirement } from "../../db/requirements";
import { currencyTransactionReports } from "../../db/schema";
import { AppError } from "../../errors";
import { Dec } from "../money/decimal";
import { pageOf, timeCursor } from "../pagination";
import { bodyError } from "../portfolios/access";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { businessDay, dayAfter } from "./business-day";
import { policyInForce } from "./policy";

export type { CtrRow } from "../../db/repositories/ctrs.repository";

export const ctrNotFound = () => new AppError("not_found", "No such CTR.");

export async function listCtrs(
  ctx: TenantContext,
  options: {
    limit: number;
    cursor?: string | undefined;
    status?: "open" | "filed" | undefined;
    customerId?: string | undefined;
  },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) =>
    ctrsPage(db, ctx.tenantId, { ...options, before, limit: options.limit + 1 }),
  );
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

export async function getCtr(ctx: TenantContext, id: string): Promise<CtrRow> {
  const [row] = await ctx.readOne((db) => ctrById(db, ctx.tenantId, id));
  if (!row) throw ctrNotFound();
  return row;
}

const MAX_AGE_DAYS = 5 * 366;

/**
 * Files a CTR by hand (cash seen outside the ledger, or a correction): the customer must exist, the day be
 * neither in the tenant's future nor more than five years back, and every transaction named must be a settled
 * deposit or withdrawal of one of the customer's portfolios. One batch with its audit event.
 */
export async function createCtr(
  ctx: TenantContext,
  input: {
    customerId: string;
    businessDay: string;
    direction: "in" | "out";
    currency: string;
    total: string;
    transactionIds: string[];
    note: string | null;
  },
): Promise<CtrRow> {
  const now = ctx.now();
  const { policy } = policyInForce((await ctx.readOne((db) => policyRow(db, ctx.tenantId)))[0]);
  const today = businessDay(now, policy.ctr.time_zone).day;
  if (input.businessDay > today) {
    throw bodyError("validation_failed", "/business_day", `The business day is after today (${today}).`);
  }
  if (input.businessDay < dayAfter(today, -MAX_AGE_DAYS)) {
    throw bodyError("validation_failed", "/business_day", "The business day is more than five years ago.");
  }
  if (!new Dec(input.total).gt(0))
    throw bodyError("validation_failed", "/total", "The total must be positive.");
  const row = {
    id: crypto.randomUUID(),
    tenantId: ctx.tenantId,
    customerId: input.customerId,
    businessDay: input.businessDay,
    direction: input.direction,
    currency: input.currency,
    total: input.total,
    transactionIds: input.transactionIds,
    source: "manual" as const,
    dueOn: dayAfter(input.businessDay, policy.ctr.due_days),
    note: input.note,
    createdByType: ctx.actor.type,
    createdBy: ctx.actor.id,
    createdAt: now,
    updatedAt: now,
  };
  const event = eventOf(ctx, {
    action: "ctr.created",
    resourceType: "ctr",
    resourceId: row.id,
    after: {
      customerId: row.customerId,
      businessDay: row.businessDay,
      direction: row.direction,
      currency: row.currency,
      total: row.total,
      transactionIds: row.transactionIds,
      source: row.source,
      dueOn: row.dueOn,
    },
  });
  const type = input.direction === "in" ? "deposit" : "withdrawal";
  const ids = input.transactionIds;
  const written = await meetingRequirements(
    {
      no_customer: () => bodyError("not_found", "/customer_id", "No such customer."),
      not_the_customers: () =>
        bodyError(
          "validation_failed",
          "/transaction_ids",
          `Each transaction must be a settled ${type} of one of the customer's portfolios.`,
        ),
    },
    () =>
      ctx.write("ctrs:manage", null, (db) => ({
        customer: read(ownerRequirement(db, ctx.tenantId, input.customerId, "no_customer")),
        ...(ids.length > 0
          ? {
              transactions: read(
                requirement(
                  db,
                  sql`(select count(*) from portfolio_transactions t join portfolios f on f.id = t.portfolio_id
                        where t.tenant_id = ${ctx.tenantId} and f.customer_id = ${input.customerId}
                          and t.type = ${type} and t.status = 'settled'
                          and t.id in (${sql.join(
                            ids.map((id) => sql`${id}::uuid`),
                            sql`, `,
                          )})) = ${ids.length}`,
                  "not_the_customers",
                ),
              ),
            }
          : {}),
        row: read(db.insert(currencyTransactionReports).values(row).returning(), (rows) => rows[0]),
        audit: read(auditEventStatement(db, event)),
      })),
  );
  ctx.audited += 1;
  if (!written.row) throw new Error("CTR insert returned nothing");
  return written.row;
}

/** Marks an open CTR filed with FinCEN's reference, in one batch with its audit event (409 once filed). */
export async function fileCtr(ctx: TenantContext, id: string, reference: string): Promise<CtrRow> {
  const at = ctx.now();
  const theCtr = sql`tenant_id = ${ctx.tenantId} and id = ${id}`;
  const written = await meetingRequirements(
    { no_ctr: ctrNotFound, filed: () => new AppError("conflict", "The CTR is filed already.") },
    () =>
      ctx.write("ctrs:manage", null, (db) => ({
        exists: read(
          requirement(db, sql`exists (select 1 from currency_transaction_reports where ${theCtr})`, "no_ctr"),
        ),
        open: read(
          requirement(
            db,
            sql`exists (select 1 from currency_transaction_reports where ${theCtr} and status = 'open' for update)`,
            "filed",
          ),
        ),
        row: read(
          db
            .update(currencyTransactionReports)
            .set({ status: "filed", filedAt: at, filedBy: ctx.actor.id, filingReference: reference })
            .where(
              and(
                eq(currencyTransactionReports.tenantId, ctx.tenantId),
                eq(currencyTransactionReports.id, id),
              ),
            )
            .returning(),
          (rows) => rows[0],
        ),
        audit: read(
          auditEventStatement(
            db,
            eventOf(ctx, {
              action: "ctr.filed",
              resourceType: "ctr",
              resourceId: id,
              before: { status: "open" },
              after: { status: "filed", filingReference: reference },
            }),
          ),
        ),
      })),
  );
  if (!written.row) throw ctrNotFound();
  ctx.audited += 1;
  return written.row;
}
