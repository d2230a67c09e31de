/**
 * A CTR exported with the FinCEN CTR (Form 112) fields the tenant's records can fill - the subject from the
 * customer's sealed identity, the filing institution from the tenant - as JSON or as CSV, in one read.
 */
import { and, eq, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import { type CtrRow, ctrById } from "../../db/repositories/ctrs.repository";
import { customers, tenants } from "../../db/schema";
import { openIdentity } from "../compliance/customer-identity";
import type { SealingKeys } from "../crypto/sealed";
import { Dec } from "../money/decimal";
import type { TenantContext } from "../tenancy/context";
import { ctrNotFound } from "./ctrs";

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
