import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { SAR_STATUSES } from "../../services/compliance/types";
import { text } from "../fields";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Compliance"];

export const SarSchema = z
  .object({
    id: z.uuid(),
    case_id: z.uuid(),
    status: z.enum(SAR_STATUSES),
    subject_ids: z.array(z.uuid()).openapi({ description: "The customers of the case's alerts." }),
    transaction_ids: z.array(z.uuid()),
    activity_from: z.iso.datetime(),
    activity_to: z.iso.datetime(),
    amounts: z
      .array(
        z.object({
          currency: z.string(),
          total: z.string().openapi({ description: "A decimal string, in the currency's minor unit." }),
          transactions: z.number().int(),
        }),
      )
      .openapi({ description: "Totals of the supporting transactions (not cancelled), per currency." }),
    narrative: z.string(),
    detected_at: z.iso.datetime(),
    due_at: z.iso.datetime().openapi({ description: "30 days after detection." }),
    late: z.boolean().openapi({ description: "Filed after its due date, or unfiled past it." }),
    prepared_by: z.uuid(),
    approved_by: z.uuid().nullable(),
    approved_at: z.iso.datetime().nullable(),
    filed_by: z.uuid().nullable(),
    filed_at: z.iso.datetime().nullable(),
    filing_reference: z.string().nullable(),
    version: z.number().int(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("Sar");

const Narrative = text(20_000).openapi({
  description: "Part V of the FinCEN SAR: who, what, when, where, why and how.",
});

export const draftSar = defineRoute({
  method: "post",
  path: "/api/v1/compliance/cases/{id}/sar",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sars:manage", { standingInBatch: true }),
  summary:
    "Draft the SAR of an open case: its subjects, the supporting transactions (the alerts' and any named here), the activity window (from them unless given) and their totals; due 30 days after the case's detection.",
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          narrative: Narrative,
          transaction_ids: z.array(z.uuid()).max(500).default([]),
          activity_from: z.iso.datetime({ offset: true }).optional(),
          activity_to: z.iso.datetime({ offset: true }).optional(),
        })
        .strict(),
    ),
  },
  responses: {
    201: { description: "The SAR, a draft.", ...jsonContent(SarSchema) },
    409: problems[409],
  },
});

export const getSar = defineRoute({
  method: "get",
  path: "/api/v1/compliance/cases/{id}/sar",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sars:read", { standingInBatch: true }),
  summary: "The case's SAR.",
  request: { params: IdParam },
  responses: { 200: { description: "The SAR.", ...jsonContent(SarSchema) } },
});

export const updateSar = defineRoute({
  method: "patch",
  path: "/api/v1/compliance/cases/{id}/sar",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sars:manage", { standingInBatch: true }),
  summary: "Rewrite a draft SAR's narrative.",
  request: { params: IdParam, body: jsonBody(z.object({ narrative: Narrative }).strict()) },
  responses: {
    200: { description: "The SAR.", ...jsonContent(SarSchema) },
    409: problems[409],
  },
});

export const approveSar = defineRoute({
  method: "post",
  path: "/api/v1/compliance/cases/{id}/sar/approve",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sars:manage", { standingInBatch: true }),
  summary: "Approve a draft SAR - four eyes: never by the officer who prepared it (403 `four_eyes`).",
  request: { params: IdParam },
  responses: {
    200: { description: "The SAR, approved.", ...jsonContent(SarSchema) },
    409: problems[409],
  },
});

export const fileSar = defineRoute({
  method: "post",
  path: "/api/v1/compliance/cases/{id}/sar/file",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sars:manage", { standingInBatch: true }),
  summary: "Record an approved SAR as filed with FinCEN, with the BSA identifier of the acknowledgement.",
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          filing_reference: z
            .string()
            .regex(/^[0-9]{14}$/)
            .nullable()
            .default(null)
            .openapi({
              description: "The 14-digit BSA ID FinCEN acknowledged the filing with.",
              example: "31000123456789",
            }),
        })
        .strict(),
    ),
  },
  responses: {
    200: { description: "The SAR, filed.", ...jsonContent(SarSchema) },
    409: problems[409],
  },
});

export const exportSar = defineRoute({
  method: "get",
  path: "/api/v1/compliance/cases/{id}/sar/export",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sars:read", { standingInBatch: true }),
  summary:
    "The SAR with its subjects' identities, as JSON or as CSV with the FinCEN SAR fields it fills (one line per subject and currency).",
  request: {
    params: IdParam,
    query: z.object({ format: z.enum(["json", "csv"]).default("json") }),
  },
  responses: {
    200: {
      description: "The export, as a download.",
      content: {
        "application/json": { schema: { type: "object" } },
        "text/csv": { schema: { type: "string" } },
      },
    },
  },
});
