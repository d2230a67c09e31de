import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { AppError } from "../../errors";
import { authOf } from "../../middleware/authenticate";
import { contextOf } from "../../middleware/request-context";
import { afterResponse } from "../../services/after-response";
import {
  changePassword as changeAccountPassword,
  currentUser,
  listSessions as listUserSessions,
  ownProfile,
  requestEmailVerification as requestVerificationLink,
  revokeOtherSessions,
  revokeOwnSession,
  updateOwnProfile,
} from "../../services/auth/account";
import { listOwnSecurityEvents } from "../../services/auth/events";
import { pageBody } from "../page";
import type * as routes from "./account.routes";
import { toUserView } from "./auth.schemas";

export const getMe: RouteHandler<typeof routes.getMe, AppEnv> = async (c) => {
  const { userId, tenantId } = authOf(c);
  const user = await ownProfile(contextOf(c), userId, tenantId);
  return c.json(toUserView(user), 200);
};

export const patchMe: RouteHandler<typeof routes.patchMe, AppEnv> = async (c) => {
  const user = await updateOwnProfile(contextOf(c), authOf(c).userId, {
    displayName: c.req.valid("json").display_name,
  });
  return c.json(toUserView(user), 200);
};

export const changePassword: RouteHandler<typeof routes.changePassword, AppEnv> = async (c) => {
  const { current_password, new_password } = c.req.valid("json");
  const { sessionsEnded } = await changeAccountPassword(contextOf(c), authOf(c), {
    currentPassword: current_password,
    newPassword: new_password,
  });
  return c.json({ sessions_ended: sessionsEnded }, 200);
};

export const listSessions: RouteHandler<typeof routes.listSessions, AppEnv> = async (c) => {
  const sessions = await listUserSessions(contextOf(c), authOf(c));
  return c.json(
    {
      sessions: sessions.map((s) => ({
        id: s.id,
        current: s.current,
        device: { user_agent: s.userAgent, fingerprint: s.deviceFingerprint },
        ip: s.ip,
        location: { country: s.country, city: s.city, asn: s.asn },
        created_at: s.createdAt.toISOString(),
        last_used_at: s.lastUsedAt.toISOString(),
        expires_at: s.expiresAt.toISOString(),
      })),
    },
    200,
  );
};

export const deleteSession: RouteHandler<typeof routes.deleteSession, AppEnv> = async (c) => {
  await revokeOwnSession(contextOf(c), authOf(c), c.req.valid("param").id);
  return c.body(null, 204);
};

export const deleteOtherSessions: RouteHandler<typeof routes.deleteOtherSessions, AppEnv> = async (c) => {
  const ended = await revokeOtherSessions(contextOf(c), authOf(c));
  return c.json({ sessions_ended: ended }, 200);
};

export const listSecurityEvents: RouteHandler<typeof routes.listSecurityEvents, AppEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await listOwnSecurityEvents(contextOf(c), authOf(c), { limit, cursor });
  return c.json(
    pageBody(page, (e) => ({
      id: e.id,
      type: e.type,
      ip: e.ip,
      user_agent: e.userAgent,
      details: e.details,
      created_at: e.createdAt.toISOString(),
    })),
    200,
  );
};

export const requestEmailVerification: RouteHandler<typeof routes.requestEmailVerification, AppEnv> = async (
  c,
) => {
  const ctx = contextOf(c);
  const user = await currentUser(ctx, authOf(c).userId);
  if (user.emailVerifiedAt) throw new AppError("conflict", "The e-mail address is already verified.");
  // The token and the e-mail follow the answer, as for the other links.
  afterResponse(ctx, "verification link", () => requestVerificationLink(ctx, user));
  return c.body(null, 202);
};
