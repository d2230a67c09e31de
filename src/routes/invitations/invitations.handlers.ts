import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { contextOf } from "../../middleware/request-context";
import { tellAuthorities } from "../../services/tenancy/edge-standing";
import { acceptInvitation as accept } from "../../services/tenancy/invitation-acceptance";
import { statusOf } from "../../services/tenancy/invitation-rules";
import { createInvitation as create } from "../../services/tenancy/invitation-sending";
import { listManagedInvitations, revokeManagedInvitation } from "../../services/tenancy/invitations";
import type { Invitation } from "../../services/tenancy/types";
import { toTenantView, toUserView } from "../auth/auth.schemas";
import { toTokenPairView } from "../auth/views";
import { pageBody } from "../page";
import type * as routes from "./invitations.routes";

const iso = (date: Date | null) => date?.toISOString() ?? null;

export const toInvitationView = (row: Invitation, now: Date): z.infer<typeof routes.InvitationSchema> => ({
  id: row.id,
  tenant_id: row.tenantId,
  email: row.email,
  role: row.role,
  organization_id: row.organizationId,
  status: statusOf(row, now),
  invited_by: row.invitedBy,
  expires_at: row.expiresAt.toISOString(),
  accepted_at: iso(row.acceptedAt),
  revoked_at: iso(row.revokedAt),
  created_at: row.createdAt.toISOString(),
});

export const createInvitation: RouteHandler<typeof routes.createInvitation, AppEnv> = async (c) => {
  const input = c.req.valid("json");
  const ctx = tenantOf(c);
  const invitation = await create(ctx, contextOf(c), {
    email: input.email,
    role: input.role,
    organizationId: input.organization_id ?? null,
    tenantId: input.tenant_id ?? null,
  });
  return c.json(toInvitationView(invitation, ctx.now()), 201);
};

export const listInvitations: RouteHandler<typeof routes.listInvitations, AppEnv> = async (c) => {
  const { status, limit, cursor } = c.req.valid("query");
  const ctx = tenantOf(c);
  const page = await listManagedInvitations(ctx, { status, limit, cursor });
  const now = ctx.now();
  return c.json(
    pageBody(page, (row) => toInvitationView(row, now)),
    200,
  );
};

export const revokeInvitation: RouteHandler<typeof routes.revokeInvitation, AppEnv> = async (c) => {
  await revokeManagedInvitation(tenantOf(c), c.req.valid("param").id);
  return c.body(null, 204);
};

export const acceptInvitation: RouteHandler<typeof routes.acceptInvitation, AppEnv> = async (c) => {
  const input = c.req.valid("json");
  const result = await accept(contextOf(c), c.req.valid("param").token, {
    password: input.password,
    displayName: input.display_name,
  });
  await tellAuthorities(contextOf(c), { users: [result.user.id] });
  const body = {
    user: toUserView(result.user),
    tenant: toTenantView(result.tenant),
    membership: result.membership && {
      organization_id: result.membership.organizationId,
      role: result.membership.role,
    },
  };
  return result.tokens ? c.json({ ...body, ...toTokenPairView(result.tokens) }, 201) : c.json(body, 200);
};
