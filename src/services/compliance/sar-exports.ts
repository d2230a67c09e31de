/** A SAR as it leaves: JSON with its subjects opened from their sealed identities, and CSV with the FinCEN SAR fields the platform can fill. */
import { and, eq, inArray, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import { caseById, sarAmounts, sarOfCase } from "../../db/repositories/cases.repository";
import { complianceSars, customers, tenants } from "../../db/schema";
import type { SealingKeys } from "../crypto/sealed";
import type { TenantContext } from "../tenancy/context";
import { caseNotFound } from "./cases";
import { type CustomerIdentity, openIdentity } from "./customer-identity";
import { amountsOf, type Sar, type SarAmount, sarNotFound, sarOf } from "./sars";

export interface SarSubject {
  id: string;
  kind: "person" | "entity";
  country: string;
  identity: CustomerIdentity;
}

export interface SarExport {
  sar: Sar;
  filer: string;
  subjects: SarSubject[];
}

/** What an export shows: the SAR, its subjects' identities and the filing institution - one round trip. */
export async function exportSar(ctx: TenantContext, keys: SealingKeys, caseId: string): Promise<SarExport> {
  const found = await ctx.read((db) => ({
    row: read(caseById(db, ctx.tenantId, caseId), (rows) => rows[0]),
    sar: read(sarOfCase(db, ctx.tenantId, caseId), (rows) => rows[0]),
    amounts: read(sarAmounts(db, ctx.tenantId, caseId)),
    subjects: read(
      db
        .select({
          id: customers.id,
          kind: customers.kind,
          country: customers.country,
          sealed: customers.identitySealed,
        })
        .from(customers)
        .where(
          and(
            eq(customers.tenantId, ctx.tenantId),
            inArray(
              customers.id,
              sql`(select unnest(${complianceSars.subjectIds}) from ${complianceSars}
                    where ${complianceSars.tenantId} = ${ctx.tenantId} and ${complianceSars.caseId} = ${caseId})`,
            ),
          ),
        ),
    ),
    tenant: read(
      db.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, ctx.tenantId)),
      (rows) => rows[0],
    ),
  }));
  if (!found.row) throw caseNotFound();
  if (!found.sar) throw sarNotFound();
  const subjects = await Promise.all(
    found.subjects.map(async (s) => ({
      id: s.id,
      kind: s.kind,
      country: s.country,
      identity: await openIdentity(keys, s.id, s.sealed),
    })),
  );
  return {
    sar: sarOf(ctx, found.sar, amountsOf(found.amounts)),
    filer: found.tenant?.name ?? "",
    subjects: subjects.sort((a, b) => a.identity.name.localeCompare(b.identity.name)),
  };
}

/** The FinCEN SAR fields an export fills, in the order of the form's parts (I subject, II activity, V narrative). */
export const SAR_CSV_COLUMNS = [
  "filing_type",
  "bsa_id",
  "filer_name",
  "subject_type",
  "subject_name",
  "subject_tin",
  "subject_date_of_birth",
  "subject_address",
  "subject_city",
  "subject_state",
  "subject_zip",
  "subject_country",
  "subject_phone",
  "subject_email",
  "activity_from",
  "activity_to",
  "amount_involved",
  "currency",
  "transaction_count",
  "narrative",
  "prepared_by",
  "approved_by",
  "filed_at",
  "due_at",
] as const;

const csvCell = (value: string | number | null | undefined) => {
  const text = value === null || value === undefined ? "" : String(value);
  // Quoted when needed (RFC 4180); a leading =, +, - or @ is defused so spreadsheets do not run it.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

/**
 * The SAR as CSV: one line per subject and currency (FinCEN's form takes one amount per report in US
 * dollars; amounts in other currencies are listed as they are, never converted here).
 */
export function sarCsv(exported: SarExport): string {
  const { sar, subjects, filer } = exported;
  const amounts: Array<SarAmount | null> = sar.amounts.length > 0 ? sar.amounts : [null];
  const people: Array<SarSubject | null> = subjects.length > 0 ? subjects : [null];
  const lines = [SAR_CSV_COLUMNS.join(",")];
  for (const subject of people) {
    for (const amount of amounts) {
      const id = subject?.identity;
      const row: Record<(typeof SAR_CSV_COLUMNS)[number], string | number | null | undefined> = {
        filing_type: "initial",
        bsa_id: sar.filingReference,
        filer_name: filer,
        subject_type: subject ? (subject.kind === "person" ? "individual" : "entity") : "unknown",
        subject_name: id?.name,
        subject_tin: id?.national_id ?? id?.registration_number,
        subject_date_of_birth: id?.date_of_birth,
        subject_address: id?.address ? [id.address.line1, id.address.line2].filter(Boolean).join(", ") : null,
        subject_city: id?.address?.city,
        subject_state: id?.address?.region,
        subject_zip: id?.address?.postal_code,
        subject_country: id?.address?.country ?? subject?.country,
        subject_phone: id?.phone,
        subject_email: id?.email,
        activity_from: sar.activityFrom.toISOString().slice(0, 10),
        activity_to: sar.activityTo.toISOString().slice(0, 10),
        amount_involved: amount?.total,
        currency: amount?.currency,
        transaction_count: amount?.transactions ?? 0,
        narrative: sar.narrative,
        prepared_by: sar.preparedBy,
        approved_by: sar.approvedBy,
        filed_at: sar.filedAt?.toISOString(),
        due_at: sar.dueAt.toISOString(),
      };
      lines.push(SAR_CSV_COLUMNS.map((column) => csvCell(row[column])).join(","));
    }
  }
  return `${lines.join("\r\n")}\r\n`;
}
