import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  attachmentById,
  attachmentsOfCase,
  type CaseAttachmentRow,
  caseById,
} from "../../db/repositories/cases.repository";
import { meetingRequirements } from "../../db/requirements";
import { complianceCaseAttachments } from "../../db/schema";
import { AppError } from "../../errors";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { caseState } from "./case-work";
import { bodyProblem, caseNotFound, isClosed } from "./cases";

export const ATTACHMENT_MAX_BYTES = 1024 * 1024;
/** What evidence may be: documents and images a reviewer opens, never active content. */
export const ATTACHMENT_TYPES = [
  "application/pdf",
  "image/png",
  "image/jpeg",
  "text/plain",
  "text/csv",
  "application/json",
] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

const attachmentKey = (tenantId: string, caseId: string, id: string) =>
  `compliance/${tenantId}/cases/${caseId}/attachments/${id}`;

const hex = (bytes: ArrayBuffer) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Stores an attachment: the case is read (it must exist and be open), the bytes go to R2 under a key of the
 * tenant and case, then the row and its audit event are written in one batch that holds only while the case
 * is still open - two round trips. Bytes a failed write left in R2 are removed after the response.
 */
export async function addAttachment(
  ctx: TenantContext,
  files: R2Bucket,
  id: string,
  upload: { filename: string; contentType: AttachmentType; bytes: Uint8Array },
): Promise<CaseAttachmentRow> {
  if (upload.bytes.byteLength === 0 || upload.bytes.byteLength > ATTACHMENT_MAX_BYTES) {
    throw bodyProblem(
      "validation_failed",
      "/content_base64",
      `An attachment holds 1 byte to ${ATTACHMENT_MAX_BYTES} bytes; this one is ${upload.bytes.byteLength}.`,
    );
  }
  const [row] = await ctx.readOne((db) => caseById(db, ctx.tenantId, id));
  if (!row) throw caseNotFound();
  if (isClosed(row.status)) throw new AppError("conflict", "The case is closed.");
  const attachmentId = crypto.randomUUID();
  const objectKey = attachmentKey(ctx.tenantId, id, attachmentId);
  const sha256 = hex(await crypto.subtle.digest("SHA-256", upload.bytes));
  await files.put(objectKey, upload.bytes, {
    httpMetadata: { contentType: upload.contentType },
    sha256,
  });
  const event = eventOf(ctx, {
    action: "case.attachment_added",
    resourceType: "compliance_case",
    resourceId: id,
    after: {
      attachmentId,
      filename: upload.filename,
      contentType: upload.contentType,
      sizeBytes: upload.bytes.byteLength,
      sha256,
    },
  });
  try {
    const written = await meetingRequirements(
      { case_missing: caseNotFound, case_closed: () => new AppError("conflict", "The case is closed.") },
      () =>
        ctx.write("cases:manage", null, (db) => ({
          exists: read(caseState(db, ctx.tenantId, id)),
          row: read(
            db
              .insert(complianceCaseAttachments)
              .values({
                id: attachmentId,
                tenantId: ctx.tenantId,
                caseId: id,
                filename: upload.filename,
                contentType: upload.contentType,
                sizeBytes: upload.bytes.byteLength,
                sha256,
                objectKey,
                uploadedByType: ctx.actor.type,
                uploadedBy: ctx.actor.id,
              })
              .returning(),
            (rows) => rows[0],
          ),
          audit: read(auditEventStatement(db, event)),
        })),
    );
    if (!written.row) throw new Error("attachment insert returned nothing");
    ctx.audited += 1;
    return written.row;
  } catch (error) {
    ctx.afterResponse(async () => {
      await files.delete(objectKey).catch(() => undefined);
    });
    throw error;
  }
}

export async function listAttachments(ctx: TenantContext, id: string): Promise<CaseAttachmentRow[]> {
  const found = await ctx.read((db) => ({
    row: read(caseById(db, ctx.tenantId, id), (rows) => rows[0]),
    attachments: read(attachmentsOfCase(db, ctx.tenantId, id)),
  }));
  if (!found.row) throw caseNotFound();
  return found.attachments;
}

/** An attachment's row and its bytes from R2 (one database round trip). */
export async function getAttachment(ctx: TenantContext, files: R2Bucket, caseId: string, id: string) {
  const [row] = await ctx.readOne((db) => attachmentById(db, ctx.tenantId, caseId, id));
  if (!row) throw new AppError("not_found", "No such attachment.");
  const object = await files.get(row.objectKey);
  if (!object)
    throw new AppError("service_unavailable", "The attachment's file is not available; retry later.");
  return { row, body: object.body };
}
