/**
 * Suspicious activity reports, drafted from a case: its subjects (the customers of the case's alerts), the
 * activity window, the totals per currency of the supporting transactions (summed in Postgres numeric), and
 * the narrative. draft -> approved -> filed; due 30 days after the case's detection. Four eyes: the officer who
 * prepared a SAR cannot approve it (403 `four_eyes`; a CHECK in the table is the backstop), and a case closes
 * as `closed_sar_filed` only once its SAR is filed. Every route here needs a SAR permission, checked before
 * anything about the case is read, so a caller without one learns nothing of whether a SAR exists.
 *
 * Round trips: a draft, an approval, a filing and a change are two each (the read they are decided on, then
 * one batch that holds only if the SAR or case is still the version read, with the audit event); reads and
 * exports one.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import { alertsOfCase } from "../../db/repositories/alerts.repository";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  caseAsRead,
  caseById,
  insertSarAmounts,
  type SarAmountRow,
  type SarRow,
  sarAmounts,
  sarAsRead,
  sarOfCase,
  transactionsForReport,
} from "../../db/repositories/cases.repository";
import { asRead } from "../../db/requirements";
import { complianceSars, customers, tenants } from "../../db/schema";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import type { SealingKeys } from "../crypto/sealed";
import { Dec, formatMoney } from "../money/decimal";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { caseNotFound, dueAfter } from "./cases";
import { type CustomerIdentity, openIdentity } from "./customer-identity";

export const sarNotFound = () => new AppError("not_found", "The case has no SAR.");
const STALE = "The SAR or its case kept changing while this request was made; retry it.";
const YEAR_MS = 365.25 * 86_400_000;
/** How far back a SAR's activity may reach: the BSA keeps records five years; ten leaves room for history. */
const OLDEST_ACTIVITY_YEARS = 10;

export interface SarAmount {
  currency: string;
  /** A decimal string in the currency's minor unit. */
  total: string;
  transactions: number;
}

export interface Sar extends SarRow {
  amounts: SarAmount[];
  /** Filed after its deadline, or still unfiled past it. */
  late: boolean;
}

const amountsOf = (rows: Array<Pick<SarAmountRow, "currency" | "total" | "transactions">>): SarAmount[] =>
  rows.map((row) => ({
    currency: row.currency,
    total: formatMoney(new Dec(row.total), row.currency),
    transactions: row.transactions,
  }));

function sarOf(ctx: TenantContext, row: SarRow, amounts: SarAmount[]): Sar {
  const filedOrNow = row.filedAt ?? ctx.now();
  return { ...row, amounts, late: filedOrNow > row.dueAt };
}

const bodyProblem = (code: "validation_failed" | "not_found", pointer: string, message: string) =>
  new AppError(code, message, { errors: [{ location: "body", pointer, message, code: "invalid" }] });

const summaryOf = (
  s: Pick<SarRow, "status" | "subjectIds" | "transactionIds" | "activityFrom" | "activityTo" | "dueAt">,
) => ({
  status: s.status,
  subjectIds: s.subjectIds,
  transactionIds: s.transactionIds,
  activityFrom: s.activityFrom,
  activityTo: s.activityTo,
  dueAt: s.dueAt,
});

export interface SarDraft {
  narrative: string;
  /** Transactions to report beside those the case's alerts name. */
  transactionIds: string[];
  activityFrom?: Date | undefined;
  activityTo?: Date | undefined;
}

export async function draftSar(ctx: TenantContext, caseId: string, input: SarDraft): Promise<Sar> {
  const extra = [...new Set(input.transactionIds)];
  return asRead(STALE, async () => {
    const found = await ctx.read((db) => ({
      row: read(caseById(db, ctx.tenantId, caseId), (rows) => rows[0]),
      sar: read(sarOfCase(db, ctx.tenantId, caseId), (rows) => rows[0]),
      alerts: read(alertsOfCase(db, ctx.tenantId, caseId)),
      transactions: read(transactionsForReport(db, ctx.tenantId, extra, caseId)),
    }));
    const kase = found.row;
    if (!kase) throw caseNotFound();
    if (kase.status.startsWith("closed_")) throw new AppError("conflict", "The case is closed.");
    if (found.sar) throw new AppError("conflict", "The case has a SAR already.");
    const known = new Map(found.transactions.map((t) => [t.id, t]));
    extra.forEach((id, i) => {
      if (!known.has(id))
        throw bodyProblem("not_found", `/transaction_ids/${i}`, `No such transaction: ${id}.`);
    });
    const reported = [...known.values()].filter((t) => t.status !== "cancelled");
    const subjectIds = [
      ...new Set(found.alerts.map((a) => a.customerId).filter((id): id is string => id !== null)),
    ];
    const now = ctx.now();
    const times = reported.map((t) => t.executedAt.getTime());
    const alertTimes = found.alerts.map((a) => a.createdAt.getTime());
    const fallback =
      times.length > 0 ? times : alertTimes.length > 0 ? alertTimes : [kase.createdAt.getTime()];
    const activityFrom = input.activityFrom ?? new Date(Math.min(...fallback));
    const activityTo = input.activityTo ?? new Date(Math.max(...fallback));
    if (activityFrom > activityTo) {
      throw bodyProblem("validation_failed", "/activity_from", "The activity window starts after it ends.");
    }
    if (activityTo > now)
      throw bodyProblem("validation_failed", "/activity_to", "The activity window ends in the future.");
    if (activityFrom.getTime() < now.getTime() - OLDEST_ACTIVITY_YEARS * YEAR_MS) {
      throw bodyProblem(
        "validation_failed",
        "/activity_from",
        `The activity window starts more than ${OLDEST_ACTIVITY_YEARS} years ago.`,
      );
    }
    const detectedAt = kase.detectedAt ?? kase.createdAt;
    const id = crypto.randomUUID();
    const transactionIds = reported.map((t) => t.id).sort();
    const values = {
      id,
      tenantId: ctx.tenantId,
      caseId,
      subjectIds,
      transactionIds,
      activityFrom,
      activityTo,
      narrative: input.narrative,
      detectedAt,
      dueAt: dueAfter(detectedAt),
      preparedBy: ctx.actor.id,
    };
    const event = eventOf(ctx, {
      action: "sar.drafted",
      resourceType: "sar",
      resourceId: id,
      after: { caseId, ...summaryOf({ ...values, status: "draft" }) },
    });
    const written = await unlessDuplicate(
      ["compliance_sars_case_key"],
      () => new AppError("conflict", "The case has a SAR already."),
      () =>
        ctx.write("sars:manage", null, (db) => ({
          asRead: read(caseAsRead(db, kase)),
          row: read(db.insert(complianceSars).values(values).returning(), (rows) => rows[0]),
          sums: read(insertSarAmounts(db, ctx.tenantId, id, transactionIds)),
          amounts: read(sarAmounts(db, ctx.tenantId, caseId)),
          audit: read(auditEventStatement(db, event)),
        })),
    );
    if (!written.row) throw new Error("SAR insert returned nothing");
    ctx.audited += 1;
    return sarOf(ctx, written.row, amountsOf(written.amounts));
  });
}

async function sarRead(ctx: TenantContext, caseId: string) {
  const found = await ctx.read((db) => ({
    row: read(caseById(db, ctx.tenantId, caseId), (rows) => rows[0]),
    sar: read(sarOfCase(db, ctx.tenantId, caseId), (rows) => rows[0]),
    amounts: read(sarAmounts(db, ctx.tenantId, caseId)),
  }));
  if (!found.row) throw caseNotFound();
  if (!found.sar) throw sarNotFound();
  return { sar: found.sar, amounts: amountsOf(found.amounts) };
}

export async function getSar(ctx: TenantContext, caseId: string): Promise<Sar> {
  const { sar, amounts } = await sarRead(ctx, caseId);
  return sarOf(ctx, sar, amounts);
}

type SarChange = Partial<
  Pick<
    SarRow,
    "narrative" | "status" | "approvedBy" | "approvedAt" | "filedBy" | "filedAt" | "filingReference"
  >
>;

/** A change of the SAR decided on its read, written only if it is still that version. */
async function changeSar(
  ctx: TenantContext,
  caseId: string,
  action: string,
  decide: (sar: SarRow) => SarChange,
): Promise<Sar> {
  return asRead(STALE, async () => {
    const { sar: before, amounts } = await sarRead(ctx, caseId);
    const set = decide(before);
    const event = eventOf(ctx, {
      action,
      resourceType: "sar",
      resourceId: before.id,
      before: { status: before.status },
      after: {
        caseId,
        status: set.status ?? before.status,
        ...(set.narrative !== undefined ? { narrativeChanged: true } : {}),
        ...(set.filingReference !== undefined ? { filingReference: set.filingReference } : {}),
      },
    });
    const written = await ctx.write("sars:manage", null, (db) => ({
      asRead: read(sarAsRead(db, before)),
      row: read(
        db
          .update(complianceSars)
          .set({ ...set, version: sql`${complianceSars.version} + 1` })
          .where(and(eq(complianceSars.tenantId, ctx.tenantId), eq(complianceSars.id, before.id)))
          .returning(),
        (rows) => rows[0],
      ),
      audit: read(auditEventStatement(db, event)),
    }));
    if (!written.row) throw sarNotFound();
    ctx.audited += 1;
    return sarOf(ctx, written.row, amounts);
  });
}

/** Rewrites a draft's narrative. */
export const updateSar = (ctx: TenantContext, caseId: string, narrative: string) =>
  changeSar(ctx, caseId, "sar.updated", (sar) => {
    if (sar.status !== "draft")
      throw new AppError("conflict", `The SAR is ${sar.status}: only a draft changes.`);
    return { narrative };
  });

/** Approves a draft - by an officer other than the one who prepared it. */
export const approveSar = (ctx: TenantContext, caseId: string) =>
  changeSar(ctx, caseId, "sar.approved", (sar) => {
    if (sar.status !== "draft") throw new AppError("conflict", `The SAR is ${sar.status} already.`);
    if (sar.preparedBy === ctx.actor.id) {
      throw new AppError(
        "four_eyes",
        "Four eyes: the officer who prepared this SAR cannot approve it; another officer holding sars:manage must.",
      );
    }
    return { status: "approved", approvedBy: ctx.actor.id, approvedAt: ctx.now() };
  });

/** Records an approved SAR as filed with FinCEN, with the BSA identifier it was acknowledged with. */
export const fileSar = (ctx: TenantContext, caseId: string, filingReference: string | null) =>
  changeSar(ctx, caseId, "sar.filed", (sar) => {
    if (sar.status === "draft") {
      throw new AppError(
        "conflict",
        "The SAR is a draft: another officer must approve it before it is filed.",
      );
    }
    if (sar.status === "filed") throw new AppError("conflict", "The SAR is filed already.");
    return { status: "filed", filedBy: ctx.actor.id, filedAt: ctx.now(), filingReference };
  });

/** A subject of a SAR: the customer with its identity opened. */
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
