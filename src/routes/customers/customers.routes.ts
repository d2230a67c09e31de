import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent } from "../../openapi";
import { CUSTOMER_KINDS, KYC_STATUSES, RISK_RATINGS } from "../../services/compliance/types";
import { AuditEventSchema } from "../audit/audit.routes";
import { Country, text } from "../fields";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Customers"];

const Day = z.iso.date().openapi({ example: "1984-03-15" });

const AddressSchema = z
  .object({
    line1: text(200),
    line2: text(200).optional(),
    city: text(100),
    postal_code: text(20).optional(),
    region: text(100).optional(),
    country: Country,
  })
  .strict()
  .openapi("PostalAddress");

/** Personal data: sealed at rest, shown only to callers holding `customers:read`. */
const IdentitySchema = z
  .object({
    name: text(300).openapi({
      description: "Full legal name (a person's, or the entity's registered name).",
    }),
    date_of_birth: Day.optional().openapi({
      description: "Persons only; not in the future, at most 125 years ago.",
    }),
    national_id: text(64)
      .optional()
      .openapi({ description: "Persons only: national identity or tax number." }),
    registration_number: text(64)
      .optional()
      .openapi({ description: "Entities only: company register number." }),
    incorporated_on: Day.optional().openapi({ description: "Entities only; not in the future." }),
    address: AddressSchema.optional(),
    email: z.email().max(254).optional(),
    phone: z
      .string()
      .regex(/^\+[1-9][0-9]{6,14}$/)
      .optional()
      .openapi({ description: "E.164.", example: "+442071234567" }),
  })
  .strict()
  .openapi("CustomerIdentity");

const Reference = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/)
  .openapi({
    example: "C-000123",
    description: "The institution's own customer number; unique in the tenant.",
  });

export const CustomerSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(CUSTOMER_KINDS),
    reference: z.string().nullable(),
    country: z.string(),
    identity: IdentitySchema,
    pep: z.boolean(),
    kyc_status: z.enum(KYC_STATUSES),
    kyc_level: z.number().int().min(0).max(3),
    risk_rating: z.enum(RISK_RATINGS),
    risk_factors: z.array(z.object({ factor: z.string(), points: z.number().int() })),
    version: z.number().int(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("Customer");

export const listCustomers = defineRoute({
  method: "get",
  path: "/api/v1/customers",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("customers:read", { standingInBatch: true }),
  summary: "The tenant's customers, newest first; filter by KYC status or risk rating.",
  request: {
    query: PageQuery.extend({
      kyc_status: z.enum(KYC_STATUSES).optional(),
      risk_rating: z.enum(RISK_RATINGS).optional(),
    }),
  },
  responses: { 200: { description: "A page of customers.", ...jsonContent(pageSchema(CustomerSchema)) } },
});

export const createCustomer = defineRoute({
  method: "post",
  path: "/api/v1/customers",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("customers:write", { standingInBatch: true }),
  summary:
    "Onboard a customer: unverified (KYC level 1), its risk rated from its country, PEP status, kind and KYC standing.",
  request: {
    body: jsonBody(
      z
        .object({
          kind: z.enum(CUSTOMER_KINDS),
          reference: Reference.optional(),
          country: Country,
          pep: z.boolean().default(false),
          identity: IdentitySchema,
        })
        .strict(),
    ),
  },
  responses: { 201: { description: "The customer.", ...jsonContent(CustomerSchema) } },
});

export const getCustomer = defineRoute({
  method: "get",
  path: "/api/v1/customers/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("customers:read", { standingInBatch: true }),
  summary: "One customer, identity included.",
  request: { params: IdParam },
  responses: { 200: { description: "The customer.", ...jsonContent(CustomerSchema) } },
});

export const updateCustomer = defineRoute({
  method: "patch",
  path: "/api/v1/customers/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("customers:write", { standingInBatch: true }),
  summary:
    "Change a customer (`identity` replaces it whole; `null` clears the reference); its risk is rated again. Verified needs KYC level 2 or 3; unverified 0 or 1. The kind is fixed.",
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          reference: Reference.nullable().optional(),
          country: Country.optional(),
          pep: z.boolean().optional(),
          kyc_status: z.enum(KYC_STATUSES).optional(),
          kyc_level: z.number().int().min(0).max(3).optional(),
          identity: IdentitySchema.optional(),
        })
        .strict(),
    ),
  },
  responses: { 200: { description: "The customer as changed.", ...jsonContent(CustomerSchema) } },
});

export const customerHistory = defineRoute({
  method: "get",
  path: "/api/v1/customers/{id}/history",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("customers:read", { standingInBatch: true }),
  summary:
    "A customer's history, newest first: every change with its standing before and after, and which identity fields changed (never their values).",
  request: { params: IdParam, query: PageQuery },
  responses: {
    200: { description: "A page of audit events.", ...jsonContent(pageSchema(AuditEventSchema)) },
  },
});
