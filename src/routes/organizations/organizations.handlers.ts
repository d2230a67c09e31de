import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { contextOf } from "../../middleware/request-context";
import { tellAuthorities } from "../../services/tenancy/edge-standing";
import * as members from "../../services/tenancy/members";
import * as organizations from "../../services/tenancy/organizations";
import type { Member, Organization } from "../../services/tenancy/types";
import { pageBody } from "../page";
import type * as routes from "./organizations.routes";

export const toOrganizationView = (row: Organization): z.infer<typeof routes.OrganizationSchema> => ({
  id: row.id,
  name: row.name,
  description: row.description,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

export const toMemberView = (row: Member): z.infer<typeof routes.MemberSchema> => ({
  user_id: row.userId,
  email: row.email,
  display_name: row.displayName,
  role: row.role,
  joined_at: row.joinedAt.toISOString(),
});

export const listOrganizations: RouteHandler<typeof routes.listOrganizations, AppEnv> = async (c) => {
  const { limit, cursor, q } = c.req.valid("query");
  const page = await organizations.listVisibleOrganizations(tenantOf(c), { limit, cursor, q });
  return c.json(pageBody(page, toOrganizationView), 200);
};

export const createOrganization: RouteHandler<typeof routes.createOrganization, AppEnv> = async (c) => {
  const { name, description } = c.req.valid("json");
  const row = await organizations.createOrganization(tenantOf(c), { name, description: description || null });
  return c.json(toOrganizationView(row), 201);
};

export const getOrganization: RouteHandler<typeof routes.getOrganization, AppEnv> = async (c) => {
  return c.json(
    toOrganizationView(await organizations.getOrganization(tenantOf(c), c.req.valid("param").id)),
    200,
  );
};

export const updateOrganization: RouteHandler<typeof routes.updateOrganization, AppEnv> = async (c) => {
  const { name, description } = c.req.valid("json");
  // An empty description is no description.
  const patch = { name, description: description === "" ? null : description };
  const row = await organizations.updateOrganization(tenantOf(c), c.req.valid("param").id, patch);
  return c.json(toOrganizationView(row), 200);
};

export const deleteOrganization: RouteHandler<typeof routes.deleteOrganization, AppEnv> = async (c) => {
  const tenant = tenantOf(c);
  const outboxRows = await organizations.deleteOrganization(tenant, c.req.valid("param").id);
  // Its members' standing changed with it; who they were, the outbox rows its batch read say.
  await tellAuthorities(contextOf(c), { outboxRows });
  return c.body(null, 204);
};

export const listMembers: RouteHandler<typeof routes.listMembers, AppEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await members.listOrganizationMembers(tenantOf(c), c.req.valid("param").id, { limit, cursor });
  return c.json(pageBody(page, toMemberView), 200);
};

export const addMember: RouteHandler<typeof routes.addMember, AppEnv> = async (c) => {
  const { user_id, role } = c.req.valid("json");
  const row = await members.addMember(tenantOf(c), c.req.valid("param").id, { userId: user_id, role });
  await tellAuthorities(contextOf(c), { users: [user_id] });
  return c.json(toMemberView(row), 201);
};

export const changeMemberRole: RouteHandler<typeof routes.changeMemberRole, AppEnv> = async (c) => {
  const { id, userId } = c.req.valid("param");
  const row = await members.changeMemberRole(tenantOf(c), id, userId, c.req.valid("json").role);
  await tellAuthorities(contextOf(c), { users: [userId] });
  return c.json(toMemberView(row), 200);
};

export const removeMember: RouteHandler<typeof routes.removeMember, AppEnv> = async (c) => {
  const { id, userId } = c.req.valid("param");
  await members.removeMember(tenantOf(c), id, userId);
  await tellAuthorities(contextOf(c), { users: [userId] });
  return c.body(null, 204);
};
