import { z } from "@hono/zod-openapi";
import type { AuthorizeOptions } from "../../middleware/authorize";
import { defineRoute, jsonBody, jsonContent } from "../../openapi";
import { ORG_ROLES } from "../../services/tenancy/types";
import { PageQuery, pageSchema } from "../page";
import { IdParam, uuidParam } from "../params";
import { secured } from "../secured";

const tags = ["Organizations"];
// The organization is named by the path: authorize answers 404 when the caller cannot see it.
const organization: AuthorizeOptions = { organization: (c) => c.req.param("id") };

export const MemberParams = IdParam.extend({ userId: uuidParam("userId") });

const Name = z.string().trim().min(1).max(100).openapi({ example: "Fixed income desk" });
const Description = z.string().trim().max(1000);
const Role = z.enum(ORG_ROLES);

export const OrganizationSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("Organization");

export const MemberSchema = z
  .object({
    user_id: z.uuid(),
    email: z.string(),
    display_name: z.string().nullable(),
    role: Role,
    joined_at: z.iso.datetime(),
  })
  .openapi("OrganizationMember");

export const listOrganizations = defineRoute({
  method: "get",
  path: "/api/v1/organizations",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("organizations:read", { standingInBatch: true }),
  summary: "The organizations the caller can see (tenant admins: all of the tenant's), newest first.",
  request: {
    query: PageQuery.extend({
      q: z
        .string()
        .trim()
        .min(1)
        .max(100)
        // Postgres text cannot hold NUL; refused here rather than failing in the query.
        .refine((value) => !value.includes("\u0000"), "NUL is not allowed.")
        .optional()
        .openapi({ description: "Only organizations whose name contains this (case-insensitive)." }),
    }),
  },
  responses: {
    200: { description: "A page of organizations.", ...jsonContent(pageSchema(OrganizationSchema)) },
  },
});

export const createOrganization = defineRoute({
  method: "post",
  path: "/api/v1/organizations",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("organizations:create", { standingInBatch: true }),
  summary: "Create an organization; names are unique in the tenant, ignoring case.",
  request: { body: jsonBody(z.object({ name: Name, description: Description.optional() }).strict()) },
  responses: { 201: { description: "The organization.", ...jsonContent(OrganizationSchema) } },
});

export const getOrganization = defineRoute({
  method: "get",
  path: "/api/v1/organizations/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("organizations:read", { ...organization, standingInBatch: true }),
  summary: "One organization the caller can see.",
  request: { params: IdParam },
  responses: { 200: { description: "The organization.", ...jsonContent(OrganizationSchema) } },
});

export const updateOrganization = defineRoute({
  method: "patch",
  path: "/api/v1/organizations/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("organizations:update", { ...organization, standingInBatch: true }),
  summary: "Rename or describe an organization (`description: null` clears it).",
  request: {
    params: IdParam,
    body: jsonBody(
      z.object({ name: Name.optional(), description: Description.nullable().optional() }).strict(),
    ),
  },
  responses: { 200: { description: "The organization as changed.", ...jsonContent(OrganizationSchema) } },
});

export const deleteOrganization = defineRoute({
  method: "delete",
  path: "/api/v1/organizations/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("organizations:delete", { standingInBatch: true }),
  summary:
    "Delete an organization with its memberships and invitations; refused while live API keys are confined to it or it holds portfolios.",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." } },
});

export const listMembers = defineRoute({
  method: "get",
  path: "/api/v1/organizations/{id}/members",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("members:read", { ...organization, standingInBatch: true }),
  summary: "The organization's members, most recently joined first.",
  request: { params: IdParam, query: PageQuery },
  responses: { 200: { description: "A page of members.", ...jsonContent(pageSchema(MemberSchema)) } },
});

export const addMember = defineRoute({
  method: "post",
  path: "/api/v1/organizations/{id}/members",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("members:manage", { ...organization, standingInBatch: true }),
  summary: "Add a user of the tenant to the organization.",
  request: { params: IdParam, body: jsonBody(z.object({ user_id: z.uuid(), role: Role }).strict()) },
  responses: { 201: { description: "The new member.", ...jsonContent(MemberSchema) } },
});

export const changeMemberRole = defineRoute({
  method: "patch",
  path: "/api/v1/organizations/{id}/members/{userId}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("members:manage", { ...organization, standingInBatch: true }),
  summary: "Change a member's role; the last org admin cannot be demoted except by a tenant admin.",
  request: { params: MemberParams, body: jsonBody(z.object({ role: Role }).strict()) },
  responses: { 200: { description: "The member as changed.", ...jsonContent(MemberSchema) } },
});

export const removeMember = defineRoute({
  method: "delete",
  path: "/api/v1/organizations/{id}/members/{userId}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("members:manage", { ...organization, standingInBatch: true }),
  summary: "Remove a member; the last org admin cannot be removed except by a tenant admin.",
  request: { params: MemberParams },
  responses: { 204: { description: "Removed." } },
});
