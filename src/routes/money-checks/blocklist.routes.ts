import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { BLOCKLIST_KINDS } from "../../services/money-checks/types";
import { text } from "../fields";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Money checks"];

export const BlocklistEntrySchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(BLOCKLIST_KINDS),
    value: z.string(),
    note: z.string().nullable(),
    created_by_type: z.string(),
    created_by: z.string(),
    created_at: z.iso.datetime(),
  })
  .openapi("BlocklistEntry");

export const listBlocklist = defineRoute({
  method: "get",
  path: "/api/v1/security/blocklist",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("fraud:read", { standingInBatch: true }),
  summary: "The tenant's blocklist, newest first.",
  request: { query: PageQuery.extend({ kind: z.enum(BLOCKLIST_KINDS).optional() }) },
  responses: { 200: { description: "A page of entries.", ...jsonContent(pageSchema(BlocklistEntrySchema)) } },
});

export const addBlocklistEntry = defineRoute({
  method: "post",
  path: "/api/v1/security/blocklist",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("fraud:manage"),
  summary:
    "Refuse money movements from a network (IP or CIDR), a user's e-mail address or domain, a customer, or to or from a counterparty.",
  request: {
    body: jsonBody(
      z
        .object({
          // Counterparty first: the kind any text of up to 200 characters is a valid value of.
          kind: z.enum(["counterparty", "ip", "email", "domain", "customer"]).openapi({
            description:
              "ip: an address or network (CIDR); email and domain: the moving user's; customer: a customer's id; counterparty: a name or account.",
          }),
          value: text(200),
          note: text(500).optional(),
        })
        .strict(),
    ),
  },
  responses: {
    201: { description: "The entry.", ...jsonContent(BlocklistEntrySchema) },
    409: problems[409],
    422: problems[422],
  },
});

export const removeBlocklistEntry = defineRoute({
  method: "delete",
  path: "/api/v1/security/blocklist/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("fraud:manage"),
  summary: "Remove a blocklist entry.",
  request: { params: IdParam },
  responses: { 204: { description: "Removed." } },
});
