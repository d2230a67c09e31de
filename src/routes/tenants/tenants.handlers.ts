import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { contextOf } from "../../middleware/request-context";
import { tellAuthorities } from "../../services/tenancy/edge-standing";
import * as tenants from "../../services/tenancy/tenants";
import type { Tenant, TenantQuotas } from "../../services/tenancy/types";
import { pageBody } from "../page";
import type * as routes from "./tenants.routes";

export const toTenantView = (row: Tenant): z.infer<typeof routes.TenantDetailSchema> => ({
  id: row.id,
  name: row.name,
  status: row.status,
  quotas: {
    requests_per_minute: row.quotas.requestsPerMinute ?? null,
    inference_rows_per_day: row.quotas.inferenceRowsPerDay ?? null,
  },
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

/** Wire quotas to stored ones, keeping absent keys absent (and nulls null, for a patch). */
function quotasOf<T extends number | null>(wire: {
  requests_per_minute?: T | undefined;
  inference_rows_per_day?: T | undefined;
}) {
  const quotas: { [K in keyof TenantQuotas]?: T } = {};
  if (wire.requests_per_minute !== undefined) quotas.requestsPerMinute = wire.requests_per_minute;
  if (wire.inference_rows_per_day !== undefined) quotas.inferenceRowsPerDay = wire.inference_rows_per_day;
  return quotas;
}

export const listTenants: RouteHandler<typeof routes.listTenants, AppEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await tenants.listTenants(tenantOf(c), contextOf(c), { limit, cursor });
  return c.json(pageBody(page, toTenantView), 200);
};

export const createTenant: RouteHandler<typeof routes.createTenant, AppEnv> = async (c) => {
  const { name, quotas } = c.req.valid("json");
  const row = await tenants.createTenant(tenantOf(c), { name, quotas: quotasOf<number>(quotas ?? {}) });
  return c.json(toTenantView(row), 201);
};

export const getTenant: RouteHandler<typeof routes.getTenant, AppEnv> = async (c) => {
  return c.json(toTenantView(await tenants.getTenant(tenantOf(c), c.req.valid("param").id)), 200);
};

export const updateTenant: RouteHandler<typeof routes.updateTenant, AppEnv> = async (c) => {
  const { name, status, quotas } = c.req.valid("json");
  const row = await tenants.updateTenant(tenantOf(c), c.req.valid("param").id, {
    name,
    status,
    quotas: quotas === undefined ? undefined : quotasOf(quotas),
  });
  if (status !== undefined || quotas !== undefined)
    await tellAuthorities(contextOf(c), { tenants: [row.id] });
  return c.json(toTenantView(row), 200);
};
