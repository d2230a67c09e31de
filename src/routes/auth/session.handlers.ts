import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { recordSecurityEvent } from "../../services/auth/events";
import { login, loginSecondFactor } from "../../services/auth/login";
import { register as registerAccount } from "../../services/auth/registration";
import { endSession, refreshSession } from "../../services/auth/sessions";
import { toLoginView, toTenantView, toUserView } from "./auth.schemas";
import { authDeps, authOf, clientOf } from "./deps";
import type * as routes from "./session.routes";

export const register: RouteHandler<typeof routes.register, AppEnv> = async (c) => {
  const input = c.req.valid("json");
  const { user, tenant, tokens } = await registerAccount(
    await authDeps(c),
    {
      email: input.email,
      password: input.password,
      displayName: input.display_name ?? null,
      tenantName: input.tenant_name ?? null,
    },
    clientOf(c),
  );
  return c.json({ user: toUserView(user), tenant: toTenantView(tenant), ...tokens }, 201);
};

export const loginWithPassword: RouteHandler<typeof routes.login, AppEnv> = async (c) => {
  const { email, password } = c.req.valid("json");
  return c.json(toLoginView(await login(await authDeps(c), email, password, clientOf(c))), 200);
};

export const loginWithTotp: RouteHandler<typeof routes.loginTotp, AppEnv> = async (c) => {
  const { mfa_token, code } = c.req.valid("json");
  return c.json(
    toLoginView(await loginSecondFactor(await authDeps(c), mfa_token, { totp: code }, clientOf(c))),
    200,
  );
};

export const loginWithBackupCode: RouteHandler<typeof routes.loginBackupCode, AppEnv> = async (c) => {
  const { mfa_token, backup_code } = c.req.valid("json");
  const result = await loginSecondFactor(
    await authDeps(c),
    mfa_token,
    { backupCode: backup_code },
    clientOf(c),
  );
  return c.json(toLoginView(result), 200);
};

export const rotateRefreshToken: RouteHandler<typeof routes.refresh, AppEnv> = async (c) => {
  const { refresh_token } = c.req.valid("json");
  return c.json(await refreshSession(await authDeps(c), refresh_token, clientOf(c)), 200);
};

export const logout: RouteHandler<typeof routes.logout, AppEnv> = async (c) => {
  const auth = authOf(c);
  const deps = await authDeps(c);
  await endSession(deps, auth.userId, auth.sessionId, "logout");
  await deps.sessionAuthority(auth.userId).revokeToken(auth.tokenId, auth.expiresAt);
  await recordSecurityEvent(deps, {
    type: "logout",
    userId: auth.userId,
    tenantId: auth.tenantId,
    client: clientOf(c),
    details: { sessionId: auth.sessionId },
  });
  return c.body(null, 204);
};
