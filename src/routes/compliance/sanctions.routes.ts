import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent } from "../../openapi";
import {
  SANCTIONS_LIST_STATUSES,
  SANCTIONS_MATCH_ORIGINS,
  SANCTIONS_MATCH_STATUSES,
} from "../../services/compliance/types";
import { Country, text } from "../fields";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Sanctions screening"];

export const SanctionsListSchema = z
  .object({
    id: z.uuid(),
    version: z.number().int().openapi({ description: "1, 2, ... per tenant, in the order of upload." }),
    source: z.literal("ofac_sdn"),
    status: z.enum(SANCTIONS_LIST_STATUSES).openapi({
      description:
        "`processing` while every customer is rescreened against it; `ready` then (the newest ready list is the active one); `failed` with `failure`.",
    }),
    entries: z.number().int(),
    aliases: z.number().int(),
    sdn_sha256: z.string(),
    alt_sha256: z.string().nullable(),
    bytes: z.number().int(),
    customers_screened: z.number().int().nullable(),
    matches_found: z.number().int().nullable(),
    failure: z.string().nullable(),
    uploaded_by: z.object({ type: z.enum(["user", "api_key", "system"]), id: z.uuid().nullable() }),
    created_at: z.iso.datetime(),
    ready_at: z.iso.datetime().nullable(),
  })
  .openapi("SanctionsList");

const CandidateFields = {
  entry_uid: z.number().int().openapi({ description: "The listed party's `ent_num`." }),
  entry_name: z.string(),
  entry_type: z.enum(["individual", "entity", "vessel", "aircraft"]),
  programs: z.array(z.string()),
  matched_name: z.string().openapi({ description: "The listed name or alias that matched." }),
  alias_type: z.enum(["aka", "fka", "nka"]).nullable(),
  weak: z.boolean().openapi({ description: "A low-quality alias: weaker evidence." }),
  score: z.number().min(0).max(1),
};

export const SanctionsMatchSchema = z
  .object({
    id: z.uuid(),
    customer_id: z.uuid(),
    list_id: z.uuid(),
    origin: z.enum(SANCTIONS_MATCH_ORIGINS),
    ...CandidateFields,
    status: z.enum(SANCTIONS_MATCH_STATUSES),
    live: z.boolean().openapi({
      description: "False once a later screening of the customer superseded it; only live matches count.",
    }),
    decision: z
      .object({
        reason: z.string(),
        decided_at: z.iso.datetime(),
        decided_by: z.object({ type: z.enum(["user", "api_key", "system"]), id: z.uuid().nullable() }),
      })
      .nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("SanctionsMatch");

export const ScreeningSchema = z
  .object({
    id: z.uuid(),
    list: z.object({ id: z.uuid(), version: z.number().int() }),
    candidates: z.array(z.object(CandidateFields)),
    screened_at: z.iso.datetime(),
  })
  .openapi("SanctionsScreening");

export const uploadSanctionsList = defineRoute({
  method: "post",
  path: "/api/v1/compliance/sanctions-lists",
  "x-rate-limit": "tenant_api",
  tags,
  // Its files go to R2 before its first batch: the caller's standing is read first, on its own.
  ...secured("sanctions:manage"),
  summary:
    "Upload a sanctions list in OFAC's SDN CSV format (multipart: `sdn` the sdn.csv file, optional `alt` its alt.csv aliases). Read whole first: a file with any row that cannot be read is refused (422, each problem with its file and line) and nothing is stored. Answers 202: every customer is then rescreened, and the list becomes the active one when ready.",
  request: {
    body: {
      required: true,
      content: {
        "multipart/form-data": {
          schema: {
            type: "object",
            required: ["sdn"],
            properties: {
              sdn: { type: "string", format: "binary" },
              alt: { type: "string", format: "binary" },
            },
          },
        },
      },
    },
  },
  responses: { 202: { description: "The list, processing.", ...jsonContent(SanctionsListSchema) } },
});

export const listSanctionsLists = defineRoute({
  method: "get",
  path: "/api/v1/compliance/sanctions-lists",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sanctions:read", { standingInBatch: true }),
  summary: "The tenant's sanctions lists, newest first.",
  request: { query: PageQuery },
  responses: { 200: { description: "A page of lists.", ...jsonContent(pageSchema(SanctionsListSchema)) } },
});

export const getSanctionsList = defineRoute({
  method: "get",
  path: "/api/v1/compliance/sanctions-lists/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sanctions:read", { standingInBatch: true }),
  summary: "One sanctions list: its status, entries, who uploaded it and when, and its rescreen's result.",
  request: { params: IdParam },
  responses: { 200: { description: "The list.", ...jsonContent(SanctionsListSchema) } },
});

export const listSanctionsMatches = defineRoute({
  method: "get",
  path: "/api/v1/compliance/sanctions-matches",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sanctions:read", { standingInBatch: true }),
  summary: "Potential sanctions matches, newest first; filter by status, customer, list or liveness.",
  request: {
    query: PageQuery.extend({
      status: z.enum(SANCTIONS_MATCH_STATUSES).optional(),
      customer_id: z.uuid().optional(),
      list_id: z.uuid().optional(),
      live: z
        .enum(["true", "false"])
        .optional()
        .openapi({ description: "Only live (or superseded) matches." }),
    }),
  },
  responses: {
    200: { description: "A page of matches.", ...jsonContent(pageSchema(SanctionsMatchSchema)) },
  },
});

export const getSanctionsMatch = defineRoute({
  method: "get",
  path: "/api/v1/compliance/sanctions-matches/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sanctions:read", { standingInBatch: true }),
  summary: "One potential sanctions match, with its decision if it has one.",
  request: { params: IdParam },
  responses: { 200: { description: "The match.", ...jsonContent(SanctionsMatchSchema) } },
});

const Decision = jsonBody(
  z
    .object({
      reason: text(2000).openapi({
        description: "Why: what the reviewer compared (dates of birth, addresses).",
      }),
    })
    .strict(),
);

export const confirmSanctionsMatch = defineRoute({
  method: "post",
  path: "/api/v1/compliance/sanctions-matches/{id}/confirm",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sanctions:review", { standingInBatch: true }),
  summary:
    "Confirm an open match: the customer is the listed party (its risk becomes high). Audited with the reason; a decided or superseded match is 409.",
  request: { params: IdParam, body: Decision },
  responses: { 200: { description: "The match, confirmed.", ...jsonContent(SanctionsMatchSchema) } },
});

export const dismissSanctionsMatch = defineRoute({
  method: "post",
  path: "/api/v1/compliance/sanctions-matches/{id}/dismiss",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sanctions:review", { standingInBatch: true }),
  summary:
    "Dismiss an open match: the customer is not the listed party (it no longer counts towards its risk). Audited with the reason; a decided or superseded match is 409.",
  request: { params: IdParam, body: Decision },
  responses: { 200: { description: "The match, dismissed.", ...jsonContent(SanctionsMatchSchema) } },
});

export const screenName = defineRoute({
  method: "post",
  path: "/api/v1/compliance/screenings",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sanctions:screen", { standingInBatch: true }),
  summary:
    "Screen a counterparty's name against the active sanctions list: the candidates with their scores, best first, and the list's version. Recorded in the audit trail; 409 while the tenant has no ready list.",
  request: {
    body: jsonBody(
      z
        .object({
          name: text(300),
          kind: z.enum(["person", "entity"]).optional().openapi({
            description: "A person is compared with listed individuals only; an entity with everything else.",
          }),
          country: Country.optional(),
        })
        .strict(),
    ),
  },
  responses: { 200: { description: "The screening.", ...jsonContent(ScreeningSchema) } },
});
