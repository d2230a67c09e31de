/**
 * Compliance cases: an investigation gathering open alerts (or none, for a case opened by hand), worked
 * open -> investigating -> escalated and closed with no action or with a SAR filed. A case from alerts is due
 * 30 days after the earliest alert was raised - FinCEN's deadline to file a SAR from the initial detection
 * (31 CFR 1020.320(b)(3)); a case opened by hand, 30 days after it was opened.
 *
 * Confidentiality: how a case closed tells whether a SAR was filed, so a caller without `sars:read` sees a
 * closed case as `closed`, cannot filter by the outcome, and cannot close one (closing either way is the
 * compliance officer's decision: `sars:manage`). Nothing a SAR does touches its case's row.
 *
 * Round trips: every change is two - one read (the caller's standing in it) on which it is decided, then one
 * batch that holds only if what it rested on still holds (the case's version, the alerts still free, the
 * assignee still entitled), with its audit event. A read is one.
 */

import { and, eq, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import { type AlertRow, alertsByIds, alertsOfCase } from "../../db/repositories/alerts.repository";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  alertsStillFree,
  attachmentsOfCase,
  type CaseAttachmentRow,
  type CaseNoteRow,
  type CaseRow,
  caseAsRead,
  caseById,
  closeAlertsOfCase,
  fileAlerts,
  notesOfCase,
  type SarRow,
  sarOfCase,
  tenantUser,
  userStillHolds,
} from "../../db/repositories/cases.repository";
import { asRead, meetingRequirements } from "../../db/requirements";
import { type CaseStatus, complianceCases, ROLES } from "../../db/schema";
import { AppError } from "../../errors";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { roleHolds } from "../tenancy/permissions";

const DAY_MS = 86_400_000;
/** Days from detection to file a SAR. */
export const SAR_FILING_DAYS = 30;
export const dueAfter = (detected: Date) => new Date(detected.getTime() + SAR_FILING_DAYS * DAY_MS);

export const caseNotFound = () => new AppError("not_found", "No such case.");
export const STALE = "The case kept changing while this request was made; retry it.";

/** The status a caller may see: without `sars:read`, how a case closed is not shown. */
export type ShownCaseStatus = CaseStatus | "closed";

/** Whether the caller may learn whether a SAR exists (how a case closed, the SAR itself). */
export const seesSars = (ctx: Pick<TenantContext, "access">) => ctx.access.holds("sars:read");

export const shownStatus = (status: CaseStatus, sars: boolean): ShownCaseStatus =>
  !sars && status.startsWith("closed_") ? "closed" : status;

export const isClosed = (status: CaseStatus) => status.startsWith("closed_");

/** A case as a caller sees it. */
export interface Case extends Omit<CaseRow, "status"> {
  status: ShownCaseStatus;
  overdue: boolean;
}

export interface CaseDetail extends Case {
  alerts: AlertRow[];
  notes: CaseNoteRow[];
  attachments: CaseAttachmentRow[];
}

export function shown(ctx: TenantContext, row: CaseRow): Case {
  return {
    ...row,
    status: shownStatus(row.status, seesSars(ctx)),
    overdue: !isClosed(row.status) && row.dueAt !== null && row.dueAt < ctx.now(),
  };
}

/** The next states of each state. Closing either way is for `sars:manage` holders. */
export const TRANSITIONS: Record<CaseStatus, readonly CaseStatus[]> = {
  open: ["investigating", "closed_no_action"],
  investigating: ["escalated", "closed_no_action"],
  escalated: ["investigating", "closed_no_action", "closed_sar_filed"],
  closed_no_action: [],
  closed_sar_filed: [],
};

/** Roles entitled to work cases: an assignee must hold one when assigned (and when the assignment is written). */
const CASE_ROLES = ROLES.filter((role) => roleHolds(role, "cases:manage"));

export const bodyProblem = (code: "validation_failed" | "not_found", pointer: string, message: string) =>
  new AppError(code, message, { errors: [{ location: "body", pointer, message, code: "invalid" }] });

const assigneeRefusal = () =>
  bodyProblem(
    "validation_failed",
    "/assignee_id",
    "The assignee must be an active user of the tenant who holds cases:manage.",
  );

function checkAssignee(user: { role: (typeof ROLES)[number]; status: string } | undefined) {
  if (user?.status !== "active" || !CASE_ROLES.includes(user.role)) throw assigneeRefusal();
}

/** The alerts named, each existing, open and in no case yet; their earliest detection. */
export function freeAlerts(ids: string[], rows: AlertRow[], pointer: string): Date | null {
  const byId = new Map(rows.map((row) => [row.id, row]));
  ids.forEach((id, i) => {
    const row = byId.get(id);
    if (!row) throw bodyProblem("not_found", `${pointer}/${i}`, `No such alert: ${id}.`);
    if (row.status !== "open" || row.caseId !== null) {
      throw new AppError(
        "conflict",
        `Alert ${id} is ${row.status === "open" ? "in a case already" : "closed"}.`,
      );
    }
  });
  const times = rows.map((row) => row.createdAt.getTime());
  return times.length > 0 ? new Date(Math.min(...times)) : null;
}

const summaryOf = (c: Pick<CaseRow, "title" | "status" | "assigneeId" | "dueAt">) => ({
  title: c.title,
  status: c.status,
  assigneeId: c.assigneeId,
  dueAt: c.dueAt,
});

export interface NewCase {
  title: string;
  alertIds: string[];
  assigneeId: string | null;
}

export async function createCase(ctx: TenantContext, input: NewCase): Promise<CaseDetail> {
  const alertIds = [...new Set(input.alertIds)];
  return asRead(STALE, async () => {
    const found = await ctx.read((db) => ({
      alerts: read(alertsByIds(db, ctx.tenantId, alertIds)),
      assignee: read(tenantUser(db, ctx.tenantId, input.assigneeId), (rows) => rows[0]),
    }));
    const earliest = freeAlerts(alertIds, found.alerts, "/alert_ids");
    if (input.assigneeId) checkAssignee(found.assignee);
    const id = crypto.randomUUID();
    const now = ctx.now();
    const detectedAt = earliest ?? now;
    const values = {
      id,
      tenantId: ctx.tenantId,
      title: input.title,
      assigneeId: input.assigneeId,
      openedByType: ctx.actor.type,
      openedBy: ctx.actor.id,
      detectedAt,
      dueAt: dueAfter(detectedAt),
    };
    const event = eventOf(ctx, {
      action: "case.opened",
      resourceType: "compliance_case",
      resourceId: id,
      after: { ...summaryOf({ ...values, status: "open" }), alertIds },
    });
    const written = await meetingRequirements({ assignee: assigneeRefusal }, () =>
      ctx.write("cases:manage", null, (db) => ({
        free: read(alertsStillFree(db, ctx.tenantId, alertIds)),
        assignee: read(userStillHolds(db, ctx.tenantId, input.assigneeId, CASE_ROLES)),
        row: read(db.insert(complianceCases).values(values).returning(), (rows) => rows[0]),
        filed: read(fileAlerts(db, ctx.tenantId, id, alertIds).returning()),
        audit: read(auditEventStatement(db, event)),
      })),
    );
    if (!written.row) throw new Error("case insert returned nothing");
    ctx.audited += 1;
    const alerts = written.filed.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    return { ...shown(ctx, written.row), alerts, notes: [], attachments: [] };
  });
}

export interface CaseChange {
  title?: string;
  status?: CaseStatus;
  /** null: unassigned. */
  assigneeId?: string | null;
}

const closingWithSar = (sar: SarRow | undefined) => {
  if (sar?.status !== "filed") {
    throw new AppError(
      "conflict",
      "A case closes with a SAR filed only once its SAR is filed, after another officer approved it.",
    );
  }
};

/** Changes a case's title, state or assignee. Closing is for `sars:manage` holders (403 to others). */
export async function updateCase(ctx: TenantContext, id: string, change: CaseChange): Promise<CaseDetail> {
  return asRead(STALE, async () => {
    const found = await ctx.read((db) => ({
      row: read(caseById(db, ctx.tenantId, id), (rows) => rows[0]),
      sar: read(sarOfCase(db, ctx.tenantId, id), (rows) => rows[0]),
      assignee: read(tenantUser(db, ctx.tenantId, change.assigneeId), (rows) => rows[0]),
    }));
    const before = found.row;
    if (!before) throw caseNotFound();
    const closing = change.status !== undefined && isClosed(change.status);
    // Refused on the permission alone, before anything about the case or its SAR is considered.
    if (closing) ctx.access.require("sars:manage");
    // A closed case changes no more (its outcome is not named: the caller may not hold sars:read).
    if (isClosed(before.status)) throw new AppError("conflict", "The case is closed.");
    if (change.status !== undefined && change.status !== before.status) {
      if (!TRANSITIONS[before.status].includes(change.status)) {
        throw new AppError("conflict", `A case cannot go from ${before.status} to ${change.status}.`);
      }
      if (change.status === "closed_sar_filed") closingWithSar(found.sar);
      if (change.status === "closed_no_action" && found.sar) {
        throw new AppError(
          "conflict",
          found.sar.status === "filed"
            ? "The case's SAR is filed: close it as closed_sar_filed."
            : "The case has a SAR in progress: file it first, then close the case as closed_sar_filed.",
        );
      }
    }
    if (change.assigneeId) checkAssignee(found.assignee);
    const status = change.status ?? before.status;
    const set = {
      title: change.title ?? before.title,
      status,
      assigneeId: change.assigneeId === undefined ? before.assigneeId : change.assigneeId,
      closedAt: isClosed(status) ? (before.closedAt ?? ctx.now()) : null,
      version: sql`${complianceCases.version} + 1`,
    };
    const closes = isClosed(status) && !isClosed(before.status);
    const event = eventOf(ctx, {
      action: closes ? "case.closed" : "case.updated",
      resourceType: "compliance_case",
      resourceId: id,
      before: summaryOf(before),
      after: summaryOf({ ...before, ...set }),
    });
    const assigneeId = change.assigneeId;
    const written = await meetingRequirements({ assignee: assigneeRefusal }, () =>
      ctx.write(closing ? "sars:manage" : "cases:manage", null, (db) => ({
        asRead: read(caseAsRead(db, before)),
        assignee: read(userStillHolds(db, ctx.tenantId, assigneeId, CASE_ROLES)),
        row: read(
          db
            .update(complianceCases)
            .set(set)
            .where(and(eq(complianceCases.tenantId, ctx.tenantId), eq(complianceCases.id, id)))
            .returning(),
          (rows) => rows[0],
        ),
        closed: read(closeAlertsOfCase(db, ctx.tenantId, closes ? id : null)),
        alerts: read(alertsOfCase(db, ctx.tenantId, id)),
        notes: read(notesOfCase(db, ctx.tenantId, id)),
        attachments: read(attachmentsOfCase(db, ctx.tenantId, id)),
        audit: read(auditEventStatement(db, event)),
      })),
    );
    if (!written.row) throw caseNotFound();
    ctx.audited += 1;
    return {
      ...shown(ctx, written.row),
      alerts: written.alerts,
      notes: written.notes,
      attachments: written.attachments,
    };
  });
}

/** Files more open alerts under a case; an earlier alert brings its deadline forward. */
