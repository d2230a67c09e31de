import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { ATTACHMENT_MAX_BYTES, ATTACHMENT_TYPES } from "../../services/compliance/case-attachments";
import { CASE_STATUSES } from "../../services/compliance/types";
import { text } from "../fields";
import { PageQuery, pageSchema } from "../page";
import { IdParam, uuidParam } from "../params";
import { secured } from "../secured";
import { AlertSchema } from "./alerts.routes";

const tags = ["Compliance"];

const SHOWN_STATUSES = [...CASE_STATUSES, "closed"] as const;

export const CaseSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    status: z.enum(SHOWN_STATUSES).openapi({
      description:
        "`closed` to a caller without sars:read, whichever way the case closed (how it closed tells whether a SAR was filed).",
    }),
    assignee_id: z.uuid().nullable(),
    opened_by_type: z.enum(["user", "api_key", "system"]),
    opened_by: z.uuid().nullable(),
    detected_at: z.iso.datetime().nullable(),
    due_at: z.iso.datetime().nullable().openapi({ description: "30 days after detection." }),
    overdue: z.boolean(),
    closed_at: z.iso.datetime().nullable(),
    version: z.number().int(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("ComplianceCase");

export const NoteSchema = z
  .object({
    id: z.uuid(),
    author_type: z.enum(["user", "api_key", "system"]),
    author_id: z.uuid().nullable(),
    body: z.string(),
    created_at: z.iso.datetime(),
  })
  .openapi("CaseNote");

export const AttachmentSchema = z
  .object({
    id: z.uuid(),
    filename: z.string(),
    content_type: z.string(),
    size_bytes: z.number().int(),
    sha256: z.string(),
    uploaded_by_type: z.enum(["user", "api_key", "system"]),
    uploaded_by: z.uuid().nullable(),
    created_at: z.iso.datetime(),
  })
  .openapi("CaseAttachment");

export const CaseDetailSchema = CaseSchema.extend({
  alerts: z.array(AlertSchema),
  notes: z.array(NoteSchema).openapi({ description: "Oldest first; append-only." }),
  attachments: z.array(AttachmentSchema),
}).openapi("ComplianceCaseDetail");

const AlertIds = z.array(z.uuid()).max(100);

export const createCase = defineRoute({
  method: "post",
  path: "/api/v1/compliance/cases",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("cases:manage", { standingInBatch: true }),
  summary:
    "Open a case from open alerts that are in no case yet (or from none, by hand); due 30 days after the earliest alert was raised (or after it is opened).",
  request: {
    body: jsonBody(
      z
        .object({
          title: text(200),
          alert_ids: AlertIds.default([]),
          assignee_id: z.uuid().nullable().default(null).openapi({
            description: "An active user of the tenant who holds cases:manage.",
          }),
        })
        .strict(),
    ),
  },
  responses: {
    201: { description: "The case.", ...jsonContent(CaseDetailSchema) },
    404: problems[404],
    409: problems[409],
  },
});

export const listCases = defineRoute({
  method: "get",
  path: "/api/v1/compliance/cases",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("cases:read", { standingInBatch: true }),
  summary:
    "The tenant's cases, newest first; filter by status (`closed` for either outcome; an outcome itself needs sars:read), assignee, or overdue.",
  request: {
    query: PageQuery.extend({
      status: z.enum(SHOWN_STATUSES).optional(),
      assignee_id: z.uuid().optional(),
      overdue: z
        .enum(["true", "false"])
        .optional()
        .openapi({ description: "Only open cases past their due date." }),
    }),
  },
  responses: { 200: { description: "A page of cases.", ...jsonContent(pageSchema(CaseSchema)) } },
});

export const getCase = defineRoute({
  method: "get",
  path: "/api/v1/compliance/cases/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("cases:read", { standingInBatch: true }),
  summary: "One case with its alerts, notes and attachments.",
  request: { params: IdParam },
  responses: { 200: { description: "The case.", ...jsonContent(CaseDetailSchema) } },
});

export const updateCase = defineRoute({
  method: "patch",
  path: "/api/v1/compliance/cases/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("cases:manage", { standingInBatch: true }),
  summary:
    "Retitle, reassign (`null` unassigns) or move a case: open -> investigating -> escalated (-> investigating), and closed_no_action from any open state or closed_sar_filed from escalated once its SAR is filed. Closing needs sars:manage; a wrong move is 409.",
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          title: text(200).optional(),
          status: z.enum(CASE_STATUSES).optional(),
          assignee_id: z.uuid().nullable().optional(),
        })
        .strict(),
    ),
  },
  responses: {
    200: { description: "The case as changed.", ...jsonContent(CaseDetailSchema) },
    409: problems[409],
  },
});

export const addCaseAlerts = defineRoute({
  method: "post",
  path: "/api/v1/compliance/cases/{id}/alerts",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("cases:manage", { standingInBatch: true }),
  summary: "File more open alerts under an open case; an earlier alert brings its due date forward.",
  request: {
    params: IdParam,
    body: jsonBody(z.object({ alert_ids: AlertIds.min(1) }).strict()),
  },
  responses: {
    200: { description: "The case.", ...jsonContent(CaseDetailSchema) },
    409: problems[409],
  },
});

export const addCaseNote = defineRoute({
  method: "post",
  path: "/api/v1/compliance/cases/{id}/notes",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("cases:manage", { standingInBatch: true }),
  summary: "Append a note to an open case (notes are never changed or removed).",
  request: { params: IdParam, body: jsonBody(z.object({ body: text(10_000) }).strict()) },
  responses: {
    201: { description: "The note.", ...jsonContent(NoteSchema) },
    409: problems[409],
  },
});

export const addCaseAttachment = defineRoute({
  method: "post",
  path: "/api/v1/compliance/cases/{id}/attachments",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("cases:manage", { standingInBatch: true }),
  summary: `Attach evidence to an open case: the file base64-encoded, at most ${ATTACHMENT_MAX_BYTES} bytes, of one of the accepted content types. Stored in R2 with its SHA-256.`,
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          filename: text(200).refine((v) => !/[/\\]/.test(v), "A file name, not a path."),
          content_type: z.enum(ATTACHMENT_TYPES),
          content_base64: z
            .string()
            .min(4)
            .max(Math.ceil(ATTACHMENT_MAX_BYTES / 3) * 4)
            // A plain class, not groups: a regular expression with a repeated group overflows the stack on
            // megabytes of input.
            .regex(/^[A-Za-z0-9+/]+={0,2}$/, "Base64 (RFC 4648), without line breaks.")
            .refine((v) => v.length % 4 === 0, "Padded base64: a multiple of 4 characters.")
            .openapi({ example: "ZXZpZGVuY2U=" }),
        })
        .strict(),
    ),
  },
  responses: {
    201: { description: "The attachment.", ...jsonContent(AttachmentSchema) },
    409: problems[409],
  },
});

export const listCaseAttachments = defineRoute({
  method: "get",
  path: "/api/v1/compliance/cases/{id}/attachments",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("cases:read", { standingInBatch: true }),
  summary: "A case's attachments, oldest first.",
  request: { params: IdParam },
  responses: {
    200: { description: "The attachments.", ...jsonContent(z.object({ items: z.array(AttachmentSchema) })) },
  },
});

export const getCaseAttachment = defineRoute({
  method: "get",
  path: "/api/v1/compliance/cases/{id}/attachments/{attachmentId}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("cases:read", { standingInBatch: true }),
  summary: "Download an attachment (as an attachment, with its content type and SHA-256).",
  request: { params: z.object({ id: uuidParam("id"), attachmentId: uuidParam("attachmentId") }) },
  responses: {
    200: {
      description: "The file.",
      content: Object.fromEntries(ATTACHMENT_TYPES.map((type) => [type, { schema: { type: "string" } }])),
    },
  },
});
