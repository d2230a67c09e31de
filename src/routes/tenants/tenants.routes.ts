import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent } from "../../openapi";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Tenants"];

const Name = z.string().trim().min(1).max(100).openapi({ example: "Northwind Capital" });
const Status = z.enum(["active", "suspended"]);
// Generous ceilings: a typo of a few extra digits is refused, any real limit fits.
const RequestsPerMinute = z.number().int().min(1).max(1_000_000);
const RowsPerDay = z.number().int().min(1).max(1_000_000_000);

export const TenantDetailSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    status: Status,
    quotas: z
      .object({
        requests_per_minute: z.number().int().nullable(),
        inference_rows_per_day: z.number().int().nullable(),
      })
      .openapi({ description: "Per-tenant limits; null means the platform default." }),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("TenantDetail");

export const listTenants = defineRoute({
  method: "get",
  path: "/api/v1/tenants",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("tenants:manage"),
  summary: "Every tenant on the platform, newest first (platform operators).",
  request: { query: PageQuery },
  responses: { 200: { description: "A page of tenants.", ...jsonContent(pageSchema(TenantDetailSchema)) } },
});

export const createTenant = defineRoute({
  method: "post",
  path: "/api/v1/tenants",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("tenants:manage"),
  summary: "Create a tenant (platform operators).",
  request: {
    body: jsonBody(
      z
        .object({
          name: Name,
          quotas: z
            .object({
              requests_per_minute: RequestsPerMinute.optional(),
              inference_rows_per_day: RowsPerDay.optional(),
            })
            .strict()
            .optional(),
        })
        .strict(),
    ),
  },
  responses: { 201: { description: "The tenant.", ...jsonContent(TenantDetailSchema) } },
});

export const getTenant = defineRoute({
  method: "get",
  path: "/api/v1/tenants/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("tenants:read"),
  summary: "One tenant: any for platform operators, their own for tenant admins.",
  request: { params: IdParam },
  responses: { 200: { description: "The tenant.", ...jsonContent(TenantDetailSchema) } },
});

export const updateTenant = defineRoute({
  method: "patch",
  path: "/api/v1/tenants/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("tenants:update"),
  summary:
    "Rename a tenant (tenant admins: their own); platform operators also suspend, reactivate and set quotas.",
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          name: Name.optional(),
          status: Status.optional(),
          quotas: z
            .object({
              requests_per_minute: RequestsPerMinute.nullable().optional(),
              inference_rows_per_day: RowsPerDay.nullable().optional(),
            })
            .strict()
            .optional()
            .openapi({ description: "Merged into the current quotas; null returns a limit to the default." }),
        })
        .strict(),
    ),
  },
  responses: { 200: { description: "The tenant as changed.", ...jsonContent(TenantDetailSchema) } },
});
