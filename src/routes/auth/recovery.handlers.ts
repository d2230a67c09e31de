import type { RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { contextOf } from "../../middleware/request-context";
import { afterResponse } from "../../services/after-response";
import { confirmEmail as confirmAddress } from "../../services/auth/account";
import {
  type LinkPurpose,
  redeemMagicLink,
  resetPassword as resetAccountPassword,
  sendAccountLink,
} from "../../services/auth/recovery";
import type * as routes from "./recovery.routes";
import { loginView } from "./session.handlers";

export const confirmEmail: RouteHandler<typeof routes.confirmEmail, AppEnv> = async (c) => {
  await confirmAddress(contextOf(c), c.req.valid("json").token);
  return c.body(null, 204);
};

/**
 * Queues the link for after the response: the lookup, token, e-mail and security event all run once the
 * answer is out, so a known and an unknown address get the same answer in the same time (no existence
 * oracle, ASVS 6.3.8).
 */
async function sendLinkAfterResponse(c: Context<AppEnv>, purpose: LinkPurpose, email: string) {
  const ctx = contextOf(c);
  afterResponse(ctx, `${purpose} link`, () => sendAccountLink(ctx, purpose, email));
}

export const forgotPassword: RouteHandler<typeof routes.forgotPassword, AppEnv> = async (c) => {
  await sendLinkAfterResponse(c, "password_reset", c.req.valid("json").email);
  return c.body(null, 202);
};

export const resetPassword: RouteHandler<typeof routes.resetPassword, AppEnv> = async (c) => {
  const { token, new_password } = c.req.valid("json");
  await resetAccountPassword(contextOf(c), token, new_password);
  return c.body(null, 204);
};

export const requestMagicLink: RouteHandler<typeof routes.requestMagicLink, AppEnv> = async (c) => {
  await sendLinkAfterResponse(c, "magic_link", c.req.valid("json").email);
  return c.body(null, 202);
};

export const verifyMagicLink: RouteHandler<typeof routes.verifyMagicLink, AppEnv> = async (c) => {
  const result = await redeemMagicLink(contextOf(c), c.req.valid("json").token);
  return c.json(await loginView(c, result), 200);
};
