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
import { and, eq, sql } from "drizzle-orm";
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
import { complianceSars } from "../../db/schema";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { Dec, formatMoney } from "../money/decimal";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { caseNotFound, dueAfter } from "./cases";

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

export const amountsOf = (
  rows: Array<Pick<SarAmountRow, "currency" | "total" | "transactions">>,
): SarAmount[] =>
  rows.map((row) => ({
    currency: row.currency,
    total: formatMoney(new Dec(row.total), row.currency),
    transactions: row.transactions,
  }));

export function sarOf(ctx: TenantContext, row: SarRow, amounts: SarAmount[]): Sar {
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
