import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { CTR_DIRECTIONS } from "../../services/money-checks/types";
import { CurrencyCode, PositiveDecimal } from "../decimal";
import { text } from "../fields";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Compliance"];

export const CtrSchema = z
  .object({
    id: z.uuid(),
    customer_id: z.uuid(),
    business_day: z.iso
      .date()
      .openapi({ description: "In the tenant's time zone (its policy's `ctr.time_zone`)." }),
    direction: z.enum(CTR_DIRECTIONS).openapi({ description: "in: cash deposited; out: cash withdrawn." }),
    currency: z.string(),
    total: z.string(),
    transaction_ids: z.array(z.uuid()),
    source: z.enum(["automatic", "manual"]),
    status: z.enum(["open", "filed"]),
    due_on: z.iso.date().openapi({ description: "The filing deadline." }),
    overdue: z.boolean(),
    note: z.string().nullable(),
    filed_at: z.iso.datetime().nullable(),
    filed_by: z.string().nullable(),
    filing_reference: z.string().nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("Ctr");

export const listCtrs = defineRoute({
  method: "get",
  path: "/api/v1/compliance/ctrs",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("ctrs:read", { standingInBatch: true }),
  summary: "Currency transaction reports, newest first.",
  request: {
    query: PageQuery.extend({
      status: z.enum(["open", "filed"]).optional(),
      customer_id: z.uuid().optional(),
    }),
  },
  responses: { 200: { description: "A page of CTRs.", ...jsonContent(pageSchema(CtrSchema)) } },
});

export const getCtr = defineRoute({
  method: "get",
  path: "/api/v1/compliance/ctrs/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("ctrs:read", { standingInBatch: true }),
  summary: "One CTR.",
  request: { params: IdParam },
  responses: { 200: { description: "The CTR.", ...jsonContent(CtrSchema) } },
});

export const exportCtr = defineRoute({
  method: "get",
  path: "/api/v1/compliance/ctrs/{id}/export",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("ctrs:read", { standingInBatch: true }),
  summary:
    "A CTR with the FinCEN CTR fields the tenant's records fill (the subject from the customer's sealed identity): JSON, or CSV with `format=csv`.",
  request: {
    params: IdParam,
    query: z.object({ format: z.enum(["json", "csv"]).default("json") }),
  },
  responses: {
    200: {
      description: "The export.",
      content: {
        "application/json": {
          schema: z
            .object({
              ctr: CtrSchema,
              filing_institution: z.object({ name: z.string() }),
              subject: z.object({
                type: z.enum(["individual", "entity"]),
                name: z.string(),
                date_of_birth_or_incorporation: z.string().nullable(),
                identification: z.string().nullable(),
                address: z
                  .object({
                    line1: z.string(),
                    city: z.string(),
                    state: z.string().nullable(),
                    zip: z.string().nullable(),
                    country: z.string(),
                  })
                  .nullable(),
                email: z.string().nullable(),
                phone: z.string().nullable(),
              }),
              cash_in_total: z.string().nullable(),
              cash_out_total: z.string().nullable(),
            })
            .openapi("CtrExport"),
        },
        "text/csv": { schema: z.string() },
      },
    },
  },
});

export const createCtr = defineRoute({
  method: "post",
  path: "/api/v1/compliance/ctr",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("ctrs:manage"),
  summary:
    "File a CTR by hand (cash seen outside the ledger, or a correction); its deadline follows from the business day.",
  request: {
    body: jsonBody(
      z
        .object({
          customer_id: z.uuid(),
          business_day: z.iso.date(),
          direction: z.enum(CTR_DIRECTIONS),
          currency: CurrencyCode,
          total: PositiveDecimal("12500.00", "The day's cash in (or out)."),
          transaction_ids: z.array(z.uuid()).max(1000).default([]).openapi({
            description: "Settled deposits (in) or withdrawals (out) of the customer's portfolios.",
          }),
          note: text(1000).optional(),
        })
        .strict(),
    ),
  },
  responses: { 201: { description: "The CTR.", ...jsonContent(CtrSchema) }, 422: problems[422] },
});

export const fileCtr = defineRoute({
  method: "post",
  path: "/api/v1/compliance/ctrs/{id}/file",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("ctrs:manage"),
  summary: "Record that an open CTR was filed with FinCEN, with the filing's reference (409 once filed).",
  request: {
    params: IdParam,
    body: jsonBody(z.object({ filing_reference: text(100) }).strict()),
  },
  responses: { 200: { description: "The CTR as filed.", ...jsonContent(CtrSchema) }, 409: problems[409] },
});
