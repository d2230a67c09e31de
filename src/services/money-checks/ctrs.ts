/**
 * Currency transaction reports: made by the ledger write itself when a customer's settled cash in (or out) in
 * one business day of the tenant's time zone exceeds the policy's threshold, aggregated across the customer's
 * portfolios (finedge_ctr_count, migrations/0019), or filed by hand. Each has a filing deadline (15 days by
 * default) and is exported with the FinCEN CTR (Form 112) fields the tenant's records can fill.
 */
import { and, eq, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { type CtrRow, ctrById, ctrsPage } from "../../db/repositories/ctrs.repository";
import { ownerRequirement, policyRow } from "../../db/repositories/money.repository";
import { meetingRequirements, requirement } from "../../db/requirements";
import { currencyTransactionReports, customers, tenants } from "../../db/schema";
import { AppError } from "../../errors";
import { openIdentity } from "../compliance/customer-identity";
import type { SealingKeys } from "../crypto/sealed";
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

/** A CTR with what FinCEN's form asks, from the customer's identity and the tenant. */
export interface CtrExport {
  ctr: CtrRow;
  institution: { name: string };
  subject: {
    kind: "person" | "entity";
    name: string;
    dateOfBirth: string | null;
    identification: string | null;
    address: {
      line1: string;
      city: string;
      region: string | null;
      postalCode: string | null;
      country: string;
    } | null;
    email: string | null;
    phone: string | null;
  };
}

export async function exportCtr(ctx: TenantContext, keys: SealingKeys, id: string): Promise<CtrExport> {
  const found = await ctx.read((db) => ({
    ctr: read(ctrById(db, ctx.tenantId, id), (rows) => rows[0]),
    customer: read(
      db
        .select()
        .from(customers)
        .where(
          and(
            eq(customers.tenantId, ctx.tenantId),
            eq(
              customers.id,
              sql`(select customer_id from currency_transaction_reports where tenant_id = ${ctx.tenantId} and id = ${id})`,
            ),
          ),
        ),
      (rows) => rows[0],
    ),
    tenant: read(
      db.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, ctx.tenantId)),
      (rows) => rows[0],
    ),
  }));
  if (!found.ctr || !found.customer) throw ctrNotFound();
  const identity = await openIdentity(keys, found.customer.id, found.customer.identitySealed);
  const a = identity.address;
  return {
    ctr: found.ctr,
    institution: { name: found.tenant?.name ?? "" },
    subject: {
      kind: found.customer.kind,
      name: identity.name,
      dateOfBirth: identity.date_of_birth ?? identity.incorporated_on ?? null,
      identification: identity.national_id ?? identity.registration_number ?? null,
      address: a
        ? {
            line1: a.line1,
            city: a.city,
            region: a.region ?? null,
            postalCode: a.postal_code ?? null,
            country: a.country,
          }
        : null,
      email: identity.email ?? null,
      phone: identity.phone ?? null,
    },
  };
}

const CSV_COLUMNS = [
  "ctr_id",
  "business_day",
  "filing_due",
  "status",
  "source",
  "filing_institution",
  "subject_type",
  "subject_name",
  "subject_dob_or_incorporation",
  "subject_identification",
  "subject_address",
  "subject_city",
  "subject_state",
  "subject_zip",
  "subject_country",
  "cash_in_total",
  "cash_out_total",
  "currency",
  "transaction_count",
  "transaction_ids",
] as const;

/** RFC 4180: a field quoted when it holds a comma, quote or line break; a leading formula sign defused. */
const csvField = (value: string): string => {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

export function ctrCsv(e: CtrExport): string {
  const { ctr, subject } = e;
  const values: Record<(typeof CSV_COLUMNS)[number], string> = {
    ctr_id: ctr.id,
    business_day: ctr.businessDay,
    filing_due: ctr.dueOn,
    status: ctr.status,
    source: ctr.source,
    filing_institution: e.institution.name,
    subject_type: subject.kind === "person" ? "individual" : "entity",
    subject_name: subject.name,
    subject_dob_or_incorporation: subject.dateOfBirth ?? "",
    subject_identification: subject.identification ?? "",
    subject_address: subject.address?.line1 ?? "",
    subject_city: subject.address?.city ?? "",
    subject_state: subject.address?.region ?? "",
    subject_zip: subject.address?.postalCode ?? "",
    subject_country: subject.address?.country ?? "",
    cash_in_total: ctr.direction === "in" ? new Dec(ctr.total).toFixed(2) : "",
    cash_out_total: ctr.direction === "out" ? new Dec(ctr.total).toFixed(2) : "",
    currency: ctr.currency,
    transaction_count: String(ctr.transactionIds.length),
    transaction_ids: ctr.transactionIds.join(" "),
  };
  return `${CSV_COLUMNS.join(",")}\r\n${CSV_COLUMNS.map((column) => csvField(values[column])).join(",")}\r\n`;
}
