import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { ORG_ROLES, ROLES } from "../../services/tenancy/types";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Users"];
const UserStatus = z.enum(["active", "disabled"]);
/** `expired`: the tombstone of an account that never verified its address in time; it cannot be changed. */
const AnyUserStatus = z.enum(["active", "disabled", "expired", "erased"]);

export const TenantUserSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    display_name: z.string().nullable(),
    role: z.enum(ROLES),
    status: AnyUserStatus,
    email_verified: z.boolean(),
    two_factor_enabled: z.boolean(),
    organizations: z.array(z.object({ organization_id: z.uuid(), role: z.enum(ORG_ROLES) })),
    created_at: z.iso.datetime(),
  })
  .openapi("TenantUser");

export const listUsers = defineRoute({
  method: "get",
  path: "/api/v1/users",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("users:read", { standingInBatch: true }),
  summary: "The tenant's users, newest first, with their organizations.",
  request: {
    query: PageQuery.extend({
      role: z.enum(ROLES).optional(),
      status: AnyUserStatus.optional(),
      organization_id: z.uuid().optional().openapi({ description: "Members of this organization." }),
      email: z
        .string()
        .trim()
        .min(1)
        .max(254)
        .optional()
        .openapi({ description: "Part of the address, case-insensitive." }),
    }),
  },
  responses: { 200: { description: "A page of users.", ...jsonContent(pageSchema(TenantUserSchema)) } },
});

export const getUser = defineRoute({
  method: "get",
  path: "/api/v1/users/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("users:read", { standingInBatch: true }),
  summary: "One of the tenant's users.",
  request: { params: IdParam },
  responses: { 200: { description: "The user.", ...jsonContent(TenantUserSchema) }, 404: problems[404] },
});

export const updateUser = defineRoute({
  method: "patch",
  path: "/api/v1/users/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("users:manage", { standingInBatch: true }),
  summary: "Change a user's role, status or display name.",
  description:
    "Only a super admin grants or changes `super_admin`. Nobody disables or demotes themselves, and the " +
    "tenant's last active tenant admin stays one (409). A role change applies from the user's next request; " +
    "disabling ends every session at once.",
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          role: z.enum(ROLES).optional(),
          status: UserStatus.optional(),
          display_name: z.string().trim().min(1).max(100).nullable().optional(),
        })
        .strict(),
    ),
  },
  responses: {
    200: { description: "The user as changed.", ...jsonContent(TenantUserSchema) },
    404: problems[404],
    409: problems[409],
  },
});

export const unlockUser = defineRoute({
  method: "post",
  path: "/api/v1/users/{id}/unlock",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("users:manage", { standingInBatch: true }),
  summary: "Lift a sign-in lockout (too many failed attempts) at once.",
  request: { params: IdParam },
  responses: { 204: { description: "Unlocked (or was not locked)." }, 404: problems[404] },
});

export const resetTwoFactor = defineRoute({
  method: "post",
  path: "/api/v1/users/{id}/2fa/reset",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("users:manage", { standingInBatch: true }),
  summary: "Reset a user's two-factor authentication (a lost authenticator): secret and backup codes go.",
  description:
    "Every session of the user ends, the user is told by e-mail and the reset is in the audit trail and the " +
    "user's security events; the next sign-in is by password alone, and the user can enrol again. Not on " +
    "oneself (403: use `/api/v1/auth/2fa/disable`); 409 when 2FA is off; 404 for a user of another tenant.",
  request: { params: IdParam },
  responses: { 204: { description: "Reset." }, 404: problems[404], 409: problems[409] },
});
