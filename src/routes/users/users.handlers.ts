import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { contextOf } from "../../middleware/request-context";
import { tellAuthorities } from "../../services/tenancy/edge-standing";
import { resetUserTwoFactor } from "../../services/tenancy/two-factor-reset";
import type { TenantUser } from "../../services/tenancy/types";
import { updateUser as update } from "../../services/tenancy/user-changes";
import { getUser as find, listUsers as list, unlockUser as unlock } from "../../services/tenancy/users";
import { pageBody } from "../page";
import type * as routes from "./users.routes";

export const toTenantUserView = (user: TenantUser): z.infer<typeof routes.TenantUserSchema> => ({
  id: user.id,
  email: user.email,
  display_name: user.displayName,
  role: user.role,
  status: user.status,
  email_verified: user.emailVerifiedAt !== null,
  two_factor_enabled: user.totpEnabledAt !== null,
  organizations: user.organizations.map((m) => ({ organization_id: m.organizationId, role: m.role })),
  created_at: user.createdAt.toISOString(),
});

export const listUsers: RouteHandler<typeof routes.listUsers, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const page = await list(tenantOf(c), {
    role: q.role,
    status: q.status,
    organizationId: q.organization_id,
    email: q.email,
    limit: q.limit,
    cursor: q.cursor,
  });
  return c.json(pageBody(page, toTenantUserView), 200);
};

export const getUser: RouteHandler<typeof routes.getUser, AppEnv> = async (c) => {
  return c.json(toTenantUserView(await find(tenantOf(c), c.req.valid("param").id)), 200);
};

export const updateUser: RouteHandler<typeof routes.updateUser, AppEnv> = async (c) => {
  const input = c.req.valid("json");
  const user = await update(tenantOf(c), contextOf(c), c.req.valid("param").id, {
    role: input.role,
    status: input.status,
    displayName: input.display_name,
  });
  if (input.role !== undefined || input.status !== undefined) {
    await tellAuthorities(contextOf(c), { users: [user.id] });
  }
  return c.json(toTenantUserView(user), 200);
};

export const unlockUser: RouteHandler<typeof routes.unlockUser, AppEnv> = async (c) => {
  await unlock(tenantOf(c), contextOf(c), c.req.valid("param").id);
  return c.body(null, 204);
};

export const resetTwoFactor: RouteHandler<typeof routes.resetTwoFactor, AppEnv> = async (c) => {
  await resetUserTwoFactor(tenantOf(c), contextOf(c), c.req.valid("param").id);
  return c.body(null, 204);
};
