import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { AppError } from "../../errors";
import { tenantOf } from "../../middleware/authorize";
import { contextOf } from "../../middleware/request-context";
import * as attachments from "../../services/compliance/case-attachments";
import * as caseReads from "../../services/compliance/case-reads";
import * as caseWork from "../../services/compliance/case-work";
import * as cases from "../../services/compliance/cases";
import type { CaseAttachmentRow, CaseNoteRow } from "../../services/compliance/types";
import { fromBase64Url } from "../../services/crypto/base64url";
import { pageBody } from "../page";
import { toAlertView } from "./alerts.handlers";
import type * as routes from "./cases.routes";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const toCaseView = (k: cases.Case): z.infer<typeof routes.CaseSchema> => ({
  id: k.id,
  title: k.title,
  status: k.status,
  assignee_id: k.assigneeId,
  opened_by_type: k.openedByType,
  opened_by: k.openedBy,
  detected_at: iso(k.detectedAt),
  due_at: iso(k.dueAt),
  overdue: k.overdue,
  closed_at: iso(k.closedAt),
  version: k.version,
  created_at: k.createdAt.toISOString(),
  updated_at: k.updatedAt.toISOString(),
});

export const toNoteView = (n: CaseNoteRow): z.infer<typeof routes.NoteSchema> => ({
  id: n.id,
  author_type: n.authorType,
  author_id: n.authorId,
  body: n.body,
  created_at: n.createdAt.toISOString(),
});

export const toAttachmentView = (a: CaseAttachmentRow): z.infer<typeof routes.AttachmentSchema> => ({
  id: a.id,
  filename: a.filename,
  content_type: a.contentType,
  size_bytes: a.sizeBytes,
  sha256: a.sha256,
  uploaded_by_type: a.uploadedByType,
  uploaded_by: a.uploadedBy,
  created_at: a.createdAt.toISOString(),
});

const toDetailView = (k: cases.CaseDetail): z.infer<typeof routes.CaseDetailSchema> => ({
  ...toCaseView(k),
  alerts: k.alerts.map(toAlertView),
  notes: k.notes.map(toNoteView),
  attachments: k.attachments.map(toAttachmentView),
});

export const createCase: RouteHandler<typeof routes.createCase, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const created = await cases.createCase(tenantOf(c), {
    title: body.title,
    alertIds: body.alert_ids,
    assigneeId: body.assignee_id,
  });
  return c.json(toDetailView(created), 201);
};

export const listCases: RouteHandler<typeof routes.listCases, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const page = await caseReads.listCases(tenantOf(c), {
    limit: q.limit,
    cursor: q.cursor,
    status: q.status,
    assigneeId: q.assignee_id,
    overdue: q.overdue === "true",
  });
  return c.json(pageBody(page, toCaseView), 200);
};

export const getCase: RouteHandler<typeof routes.getCase, AppEnv> = async (c) =>
  c.json(toDetailView(await caseReads.getCase(tenantOf(c), c.req.valid("param").id)), 200);

export const updateCase: RouteHandler<typeof routes.updateCase, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const changed = await cases.updateCase(tenantOf(c), c.req.valid("param").id, {
    ...(body.title !== undefined ? { title: body.title } : {}),
    ...(body.status !== undefined ? { status: body.status } : {}),
    ...(body.assignee_id !== undefined ? { assigneeId: body.assignee_id } : {}),
  });
  return c.json(toDetailView(changed), 200);
};

export const addCaseAlerts: RouteHandler<typeof routes.addCaseAlerts, AppEnv> = async (c) => {
  const changed = await caseWork.addAlerts(
    tenantOf(c),
    c.req.valid("param").id,
    c.req.valid("json").alert_ids,
  );
  return c.json(toDetailView(changed), 200);
};

export const addCaseNote: RouteHandler<typeof routes.addCaseNote, AppEnv> = async (c) => {
  const note = await caseWork.addNote(tenantOf(c), c.req.valid("param").id, c.req.valid("json").body);
  return c.json(toNoteView(note), 201);
};

function decoded(base64: string): Uint8Array {
  try {
    return fromBase64Url(base64);
  } catch {
    const message = "Not valid base64.";
    throw new AppError("validation_failed", message, {
      errors: [{ location: "body", pointer: "/content_base64", message, code: "invalid" }],
    });
  }
}

export const addCaseAttachment: RouteHandler<typeof routes.addCaseAttachment, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const row = await attachments.addAttachment(tenantOf(c), contextOf(c).files, c.req.valid("param").id, {
    filename: body.filename,
    contentType: body.content_type,
    bytes: decoded(body.content_base64),
  });
  return c.json(toAttachmentView(row), 201);
};

export const listCaseAttachments: RouteHandler<typeof routes.listCaseAttachments, AppEnv> = async (c) => {
  const rows = await attachments.listAttachments(tenantOf(c), c.req.valid("param").id);
  return c.json({ items: rows.map(toAttachmentView) }, 200);
};

export const getCaseAttachment: RouteHandler<typeof routes.getCaseAttachment, AppEnv> = async (c) => {
  const { id, attachmentId } = c.req.valid("param");
  const { row, body } = await attachments.getAttachment(tenantOf(c), contextOf(c).files, id, attachmentId);
  const ascii = row.filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return c.body(body, 200, {
    "Content-Type": row.contentType,
    "Content-Length": String(row.sizeBytes),
    "Content-Disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(row.filename)}`,
    ETag: `"${row.sha256}"`,
  });
};
