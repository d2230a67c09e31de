import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Privacy"];

const ExportSchema = z
  .object({
    export_id: z.uuid(),
    download_url: z.url(),
    expires_at: z.iso.datetime(),
    bytes: z.number().int(),
    sha256: z.string(),
  })
  .openapi("PersonalDataExport");

const ErasureSchema = z
  .object({
    user_id: z.uuid(),
    status: z.literal("erased"),
    audit_events_redacted: z.number().int(),
    security_events_deleted: z.number().int(),
    sessions_ended: z.number().int(),
  })
  .openapi("PersonalDataErasure");

const Reference = z.string().trim().min(1).max(200).openapi({
  description: "The institution's reference for the data-subject request (recorded in the audit trail).",
});
const ConfirmEmail = z.email().max(254).openapi({
  description: "The account's e-mail address, typed again: an erasure is never made on a mistaken id.",
});

const exportResponses = {
  201: { description: "Written; the link works for 15 minutes.", ...jsonContent(ExportSchema) },
  404: problems[404],
  409: problems[409],
};
const erasureResponses = {
  200: { description: "Erased; every session has ended.", ...jsonContent(ErasureSchema) },
  404: problems[404],
  409: problems[409],
};
const erasureDescription =
  "Needs a step-up in the last 5 minutes. Refused with 409 `legal_hold` while the user is assigned an open " +
  "compliance case, and with 409 for the tenant's last active admin.";

export const exportOwnData = defineRoute({
  method: "post",
  path: "/api/v1/auth/me/export",
  "x-rate-limit": "account",
  tags,
  ...secured("personal_data:own", { standingInBatch: true }),
  summary: "Export one's own personal data as JSON, behind a short-lived signed link.",
  responses: exportResponses,
});

export const exportUserData = defineRoute({
  method: "post",
  path: "/api/v1/users/{id}/export",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("personal_data:manage", { standingInBatch: true }),
  summary: "Export a member's personal data on a data-subject request, behind a short-lived signed link.",
  request: { params: IdParam, body: jsonBody(z.object({ request_reference: Reference }).strict()) },
  responses: exportResponses,
});

export const eraseOwnData = defineRoute({
  method: "post",
  path: "/api/v1/auth/me/erase",
  "x-rate-limit": "account",
  tags,
  ...secured("personal_data:own", { standingInBatch: true }),
  summary: "Erase one's own personal data and account.",
  description: erasureDescription,
  request: { body: jsonBody(z.object({ confirm_email: ConfirmEmail }).strict()) },
  responses: erasureResponses,
});

export const eraseUserData = defineRoute({
  method: "post",
  path: "/api/v1/users/{id}/erase",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("personal_data:manage", { standingInBatch: true }),
  summary: "Erase a member's personal data on a data-subject request.",
  description: erasureDescription,
  request: {
    params: IdParam,
    body: jsonBody(z.object({ confirm_email: ConfirmEmail, request_reference: Reference }).strict()),
  },
  responses: erasureResponses,
});

export const downloadExport = defineRoute({
  method: "get",
  path: "/api/v1/personal-data/download",
  "x-rate-limit": "default",
  tags,
  summary: "Download an export through its signed link (no other credential: the link is one).",
  request: { query: z.object({ token: z.string().min(1).max(2000) }) },
  responses: {
    200: {
      description: "The export, as a JSON file.",
      content: { "application/json": { schema: { type: "object" } } },
    },
    403: problems[403],
    404: problems[404],
  },
});
