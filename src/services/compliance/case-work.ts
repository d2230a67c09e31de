/** Work on an open case: alerts added to it (its deadline moving earlier for an older one) and notes appended, each with its audit event. */
import { and, eq, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import { alertsByIds, alertsOfCase } from "../../db/repositories/alerts.repository";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  alertsStillFree,
  attachmentsOfCase,
  type CaseNoteRow,
  caseAsRead,
  caseById,
  fileAlerts,
  notesOfCase,
} from "../../db/repositories/cases.repository";
import { asRead, meetingRequirements } from "../../db/requirements";
import { complianceCaseNotes, complianceCases } from "../../db/schema";
import { AppError } from "../../errors";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { type CaseDetail, caseNotFound, dueAfter, freeAlerts, isClosed, STALE, shown } from "./cases";

export async function addAlerts(ctx: TenantContext, id: string, ids: string[]): Promise<CaseDetail> {
  const alertIds = [...new Set(ids)];
  return asRead(STALE, async () => {
    const found = await ctx.read((db) => ({
      row: read(caseById(db, ctx.tenantId, id), (rows) => rows[0]),
      alerts: read(alertsByIds(db, ctx.tenantId, alertIds)),
    }));
    const before = found.row;
    if (!before) throw caseNotFound();
    if (isClosed(before.status)) throw new AppError("conflict", "The case is closed.");
    const earliest = freeAlerts(alertIds, found.alerts, "/alert_ids");
    const detectedAt =
      earliest && (!before.detectedAt || earliest < before.detectedAt) ? earliest : before.detectedAt;
    const set = {
      detectedAt,
      dueAt: detectedAt ? dueAfter(detectedAt) : before.dueAt,
      version: sql`${complianceCases.version} + 1`,
    };
    const event = eventOf(ctx, {
      action: "case.alerts_added",
      resourceType: "compliance_case",
      resourceId: id,
      before: { dueAt: before.dueAt },
      after: { dueAt: set.dueAt, alertIds },
    });
    const written = await ctx.write("cases:manage", null, (db) => ({
      asRead: read(caseAsRead(db, before)),
      free: read(alertsStillFree(db, ctx.tenantId, alertIds)),
      row: read(
        db
          .update(complianceCases)
          .set(set)
          .where(and(eq(complianceCases.tenantId, ctx.tenantId), eq(complianceCases.id, id)))
          .returning(),
        (rows) => rows[0],
      ),
      filed: read(fileAlerts(db, ctx.tenantId, id, alertIds)),
      alerts: read(alertsOfCase(db, ctx.tenantId, id)),
      notes: read(notesOfCase(db, ctx.tenantId, id)),
      attachments: read(attachmentsOfCase(db, ctx.tenantId, id)),
      audit: read(auditEventStatement(db, event)),
    }));
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

/**
 * Appends a note (notes are never changed or removed: the database grants no UPDATE or DELETE on them). One
 * statement inserts it only while the case exists and is open, beside its audit event - one round trip.
 */
export async function addNote(ctx: TenantContext, id: string, body: string): Promise<CaseNoteRow> {
  const noteId = crypto.randomUUID();
  const event = eventOf(ctx, {
    action: "case.note_added",
    resourceType: "compliance_case",
    resourceId: id,
    after: { noteId, length: body.length },
  });
  const written = await meetingRequirements(
    { case_missing: caseNotFound, case_closed: () => new AppError("conflict", "The case is closed.") },
    () =>
      ctx.write("cases:manage", null, (db) => ({
        exists: read(caseState(db, ctx.tenantId, id)),
        note: read(
          db
            .insert(complianceCaseNotes)
            .values({
              id: noteId,
              tenantId: ctx.tenantId,
              caseId: id,
              authorType: ctx.actor.type,
              authorId: ctx.actor.id,
              body,
            })
            .returning(),
          (rows) => rows[0],
        ),
        audit: read(auditEventStatement(db, event)),
      })),
  );
  if (!written.note) throw new Error("note insert returned nothing");
  ctx.audited += 1;
  return written.note;
}

/** Aborts the batch with `case_missing` or `case_closed` unless the case exists and is open, holding it. */
export function caseState(db: Parameters<typeof caseAsRead>[0], tenantId: string, id: string) {
  return db.execute(sql`select finedge_require(exists (select 1 from ${complianceCases}
                          where ${complianceCases.tenantId} = ${tenantId} and ${complianceCases.id} = ${id}
                          for no key update), 'case_missing'),
                               finedge_require(not exists (select 1 from ${complianceCases}
                          where ${complianceCases.tenantId} = ${tenantId} and ${complianceCases.id} = ${id}
                            and ${complianceCases.status} like 'closed_%'), 'case_closed')`);
}

/**
 * Largest attachment accepted, in bytes (evidence: statements, screenshots, correspondence). Sent base64 in a
 * JSON body, so the body limit bounds it: even a string one character over this length, in characters JSON
 * escapes six bytes each, stays under MAX_BODY_BYTES and is refused by the contract (422), not the size (413).
 */
