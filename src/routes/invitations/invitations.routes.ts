import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { INVITATION_STATUSES, ORG_ROLES } from "../../services/tenancy/types";
import { Email, Password, TenantSchema, TokenPairSchema, UserSchema } from "../auth/auth.schemas";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Invitations"];
// 43 base64url characters: 256 random bits, as the e-mailed link carries them.
const TokenParam = z.object({
  token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, "an invitation token")
    .openapi({
      param: { name: "token", in: "path" },
      example: "q7Hc0mW0Jt9mJ3Zb1bqf7QK8oW6pX2N5cV4yT1uR9sA",
    }),
});
const InvitedRole = z.enum(["tenant_admin", ...ORG_ROLES]);

export const InvitationSchema = z
  .object({
    id: z.uuid(),
    tenant_id: z.uuid(),
    email: z.string(),
    role: InvitedRole,
    organization_id: z.uuid().nullable(),
    status: z.enum(INVITATION_STATUSES),
    invited_by: z.uuid().nullable(),
    expires_at: z.iso.datetime(),
    accepted_at: z.iso.datetime().nullable(),
    revoked_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
  })
  .openapi("Invitation");

export const createInvitation = defineRoute({
  method: "post",
  path: "/api/v1/invitations",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("invitations:manage", { standingInBatch: true }),
  summary: "Invite an address by e-mail; the link works once, for 7 days.",
  description:
    "`tenant_admin` is invited by tenant admins, without an organization. An organization role with " +
    "`organization_id` needs the caller to administer that organization; without one, only tenant admins " +
    "invite. `tenant_id` (another tenant) is for super admins. An open invitation of the same address to " +
    "the same place is replaced.",
  request: {
    body: jsonBody(
      z
        .object({
          email: Email,
          role: InvitedRole,
          organization_id: z.uuid().optional(),
          tenant_id: z.uuid().optional().openapi({ description: "Super admins: invite into this tenant." }),
        })
        .strict(),
    ),
  },
  responses: {
    201: {
      description: "The invitation (its token is only in the e-mail).",
      ...jsonContent(InvitationSchema),
    },
    404: problems[404],
    409: problems[409],
  },
});

export const listInvitations = defineRoute({
  method: "get",
  path: "/api/v1/invitations",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("invitations:read", { standingInBatch: true }),
  summary: "Invitations the caller manages (org admins: those to their organizations), newest first.",
  request: { query: PageQuery.extend({ status: z.enum(INVITATION_STATUSES).optional() }) },
  responses: {
    200: { description: "A page of invitations.", ...jsonContent(pageSchema(InvitationSchema)) },
  },
});

export const revokeInvitation = defineRoute({
  method: "delete",
  path: "/api/v1/invitations/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("invitations:manage", { standingInBatch: true }),
  summary: "Revoke an invitation; its link stops working.",
  request: { params: IdParam },
  responses: { 204: { description: "Revoked." }, 404: problems[404], 409: problems[409] },
});

const Membership = z.object({ organization_id: z.uuid(), role: z.enum(ORG_ROLES) }).nullable();
const Accepted = z.object({ user: UserSchema, tenant: TenantSchema, membership: Membership });

export const acceptInvitation = defineRoute({
  method: "post",
  path: "/api/v1/invitations/{token}/accept",
  "x-rate-limit": "invitation_accept",
  tags,
  summary: "Accept an invitation with the token from its e-mail.",
  description:
    "Without an account for the address, `password` is required: the account is created in the inviting " +
    "tenant, verified, and signed in (201 with tokens). An account of the same tenant joins the " +
    "organization (200). An invalid, used, revoked or expired token is 400 `invalid_token`.",
  request: {
    params: TokenParam,
    body: jsonBody(
      z
        .object({
          password: Password.optional(),
          display_name: z.string().trim().min(1).max(100).optional(),
        })
        .strict(),
    ),
  },
  responses: {
    201: {
      description: "Account created and signed in.",
      ...jsonContent(Accepted.extend(TokenPairSchema.shape)),
    },
    200: { description: "The existing account joined the organization.", ...jsonContent(Accepted) },
    409: problems[409],
  },
});
