import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { confirmEmail as confirmAddress } from "../../services/auth/account";
import {
  redeemMagicLink,
  resetPassword as resetAccountPassword,
  sendAccountLink,
} from "../../services/auth/recovery";
import { authDeps, clientOf } from "./deps";
import type * as routes from "./recovery.routes";
import { loginView } from "./session.handlers";

export const confirmEmail: RouteHandler<typeof routes.confirmEmail, AppEnv> = async (c) => {
  await confirmAddress(await authDeps(c), c.req.valid("json").token, clientOf(c));
  return c.body(null, 204);
};

export const forgotPassword: RouteHandler<typeof routes.forgotPassword, AppEnv> = async (c) => {
  await sendAccountLink(await authDeps(c), "password_reset", c.req.valid("json").email, clientOf(c));
  return c.body(null, 202);
};

export const resetPassword: RouteHandler<typeof routes.resetPassword, AppEnv> = async (c) => {
  const { token, new_password } = c.req.valid("json");
  await resetAccountPassword(await authDeps(c), token, new_password, clientOf(c));
  return c.body(null, 204);
};

export const requestMagicLink: RouteHandler<typeof routes.requestMagicLink, AppEnv> = async (c) => {
  await sendAccountLink(await authDeps(c), "magic_link", c.req.valid("json").email, clientOf(c));
  return c.body(null, 202);
};

export const verifyMagicLink: RouteHandler<typeof routes.verifyMagicLink, AppEnv> = async (c) => {
  const result = await redeemMagicLink(await authDeps(c), c.req.valid("json").token, clientOf(c));
  return c.json(await loginView(c, result), 200);
};
