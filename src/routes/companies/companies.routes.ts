import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent } from "../../openapi";
import { PERIOD_TYPES } from "../../services/risk/types";
import { Country, text } from "../fields";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";
import { FileStatementsBody, StatementSchema } from "./statements.schemas";

const tags = ["Companies"];

const Ticker = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9][A-Z0-9.:-]{0,19}$/)
  // Documents what is accepted: any case and surrounding blanks, which trim and upper-casing remove.
  .openapi({ example: "ACME", pattern: /^\s*[A-Za-z0-9][A-Za-z0-9.:-]{0,19}\s*$/.source });
const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/)
  .openapi({ example: "USD", description: "ISO 4217." });

export const CompanySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    ticker: z.string().nullable(),
    country: z.string().nullable(),
    industry: z.string().nullable(),
    currency: z.string(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("Company");

export const listCompanies = defineRoute({
  method: "get",
  path: "/api/v1/companies",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("companies:read", { standingInBatch: true }),
  summary: "The tenant's companies, newest first.",
  request: {
    query: PageQuery.extend({
      q: text(100).optional().openapi({ description: "Name contains (any case)." }),
    }),
  },
  responses: { 200: { description: "A page of companies.", ...jsonContent(pageSchema(CompanySchema)) } },
});

export const createCompany = defineRoute({
  method: "post",
  path: "/api/v1/companies",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("companies:write", { standingInBatch: true }),
  summary: "Create a company; a ticker is unique in the tenant.",
  request: {
    body: jsonBody(
      z
        .object({
          name: text(200),
          ticker: Ticker.optional(),
          country: Country.optional(),
          industry: text(100).optional(),
          currency: Currency.default("USD"),
        })
        .strict(),
    ),
  },
  responses: { 201: { description: "The company.", ...jsonContent(CompanySchema) } },
});

export const getCompany = defineRoute({
  method: "get",
  path: "/api/v1/companies/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("companies:read", { standingInBatch: true }),
  summary: "One company.",
  request: { params: IdParam },
  responses: { 200: { description: "The company.", ...jsonContent(CompanySchema) } },
});

export const updateCompany = defineRoute({
  method: "patch",
  path: "/api/v1/companies/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("companies:write", { standingInBatch: true }),
  summary: "Rename or describe a company (`null` clears ticker, country or industry). The currency is fixed.",
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          name: text(200).optional(),
          ticker: Ticker.nullable().optional(),
          country: Country.nullable().optional(),
          industry: text(100).nullable().optional(),
        })
        .strict(),
    ),
  },
  responses: { 200: { description: "The company as changed.", ...jsonContent(CompanySchema) } },
});

export const fileStatements = defineRoute({
  method: "post",
  path: "/api/v1/companies/{id}/financials",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("companies:write", { standingInBatch: true }),
  summary:
    "File annual or quarterly statements, all or none: impossible figures are 422, a period already on file is 409.",
  request: { params: IdParam, body: jsonBody(FileStatementsBody) },
  responses: {
    201: {
      description: "The statements as filed.",
      ...jsonContent(z.object({ items: z.array(StatementSchema) })),
    },
  },
});

export const listStatements = defineRoute({
  method: "get",
  path: "/api/v1/companies/{id}/financials",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("companies:read", { standingInBatch: true }),
  summary: "A company's statements, latest period first.",
  request: { params: IdParam, query: PageQuery.extend({ period_type: z.enum(PERIOD_TYPES).optional() }) },
  responses: { 200: { description: "A page of statements.", ...jsonContent(pageSchema(StatementSchema)) } },
});
