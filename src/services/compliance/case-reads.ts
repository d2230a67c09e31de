import { read } from "../../db/batch";
import { alertsOfCase } from "../../db/repositories/alerts.repository";
import {
  attachmentsOfCase,
  caseById,
  listCases as listRows,
  notesOfCase,
} from "../../db/repositories/cases.repository";
import type { CaseStatus } from "../../db/schema";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import type { TenantContext } from "../tenancy/context";
import { type CaseDetail, caseNotFound, type ShownCaseStatus, seesSars, shown } from "./cases";

export async function listCases(
  ctx: TenantContext,
  options: {
    limit: number;
    cursor?: string | undefined;
    status?: ShownCaseStatus | undefined;
    assigneeId?: string | undefined;
    overdue?: boolean | undefined;
  },
) {
  const before = timeCursor(options.cursor);
  const statuses: readonly CaseStatus[] | undefined =
    options.status === undefined
      ? undefined
      : options.status === "closed"
        ? ["closed_no_action", "closed_sar_filed"]
        : [options.status];
  const rows = await ctx.readOne((db) =>
    listRows(db, ctx.tenantId, {
      statuses,
      assigneeId: options.assigneeId,
      overdueAt: options.overdue ? ctx.now() : undefined,
      before,
      limit: options.limit + 1,
    }),
  );
  // Filtering by how cases closed would tell a caller without sars:read which were closed with a SAR.
  if (options.status?.startsWith("closed_") && !seesSars(ctx)) {
    throw new AppError("forbidden", "Filtering by how a case closed needs the sars:read permission.");
  }
  const page = pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
  return { ...page, items: page.items.map((row) => shown(ctx, row)) };
}

export async function getCase(ctx: TenantContext, id: string): Promise<CaseDetail> {
  const found = await ctx.read((db) => ({
    row: read(caseById(db, ctx.tenantId, id), (rows) => rows[0]),
    alerts: read(alertsOfCase(db, ctx.tenantId, id)),
    notes: read(notesOfCase(db, ctx.tenantId, id)),
    attachments: read(attachmentsOfCase(db, ctx.tenantId, id)),
  }));
  if (!found.row) throw caseNotFound();
  return {
    ...shown(ctx, found.row),
    alerts: found.alerts,
    notes: found.notes,
    attachments: found.attachments,
  };
}
