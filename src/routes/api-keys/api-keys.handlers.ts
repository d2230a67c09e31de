import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { authOf } from "../../middleware/authenticate";
import { tenantOf } from "../../middleware/authorize";
import { contextOf } from "../../middleware/request-context";
import { requireStepUp } from "../../services/auth/step-up-rule";
import {
  createApiKey as create,
  listTenantApiKeys,
  revokeTenantApiKey,
} from "../../services/tenancy/api-keys";
import { tellAuthorities } from "../../services/tenancy/edge-standing";
import type { ApiKeyScope } from "../../services/tenancy/permissions";
import type { ApiKey } from "../../services/tenancy/types";
import { pageBody } from "../page";
import type * as routes from "./api-keys.routes";

const iso = (date: Date | null) => date?.toISOString() ?? null;

export const toApiKeyView = (row: ApiKey): z.infer<typeof routes.ApiKeySchema> => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  scopes: row.scopes as ApiKeyScope[],
  organization_id: row.organizationId,
  expires_at: iso(row.expiresAt),
  last_used_at: iso(row.lastUsedAt),
  revoked_at: iso(row.revokedAt),
  created_at: row.createdAt.toISOString(),
});

export const createApiKey: RouteHandler<typeof routes.createApiKey, AppEnv> = async (c) => {
  const input = c.req.valid("json");
  // A key outlives the session that made it: a stolen access token alone must not mint one.
  requireStepUp(authOf(c), new Date());
  const { key, secret } = await create(tenantOf(c), {
    name: input.name,
    scopes: input.scopes,
    organizationId: input.organization_id ?? null,
    expiresAt: input.expires_at ? new Date(input.expires_at) : null,
  });
  return c.json({ ...toApiKeyView(key), key: secret }, 201);
};

export const listApiKeys: RouteHandler<typeof routes.listApiKeys, AppEnv> = async (c) => {
  const { limit, cursor, include_revoked } = c.req.valid("query");
  const page = await listTenantApiKeys(tenantOf(c), { limit, cursor, includeRevoked: include_revoked });
  return c.json(pageBody(page, toApiKeyView), 200);
};

export const revokeApiKey: RouteHandler<typeof routes.revokeApiKey, AppEnv> = async (c) => {
  const tenant = tenantOf(c);
  await revokeTenantApiKey(tenant, c.req.valid("param").id);
  // The tenant's authority keeps copies of its live keys: the revoked one must not be used again.
  await tellAuthorities(contextOf(c), { tenants: [tenant.tenantId] });
  return c.body(null, 204);
};
