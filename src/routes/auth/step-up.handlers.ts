import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import {
  confirmEmailChangeRequest,
  requestEmailChange as startEmailChange,
} from "../../services/auth/email-change";
import { stepUp as stepUpSession } from "../../services/auth/step-up";
import { toUserView } from "./auth.schemas";
import { authDeps, authOf, clientOf } from "./deps";
import type * as routes from "./step-up.routes";

export const stepUp: RouteHandler<typeof routes.stepUp, AppEnv> = async (c) => {
  const { expiresIn, factor } = await stepUpSession(
    await authDeps(c),
    authOf(c),
    c.req.valid("json"),
    clientOf(c),
  );
  return c.json({ step_up_expires_in: expiresIn, factor }, 200);
};

export const requestEmailChange: RouteHandler<typeof routes.requestEmailChange, AppEnv> = async (c) => {
  await startEmailChange(await authDeps(c), authOf(c), c.req.valid("json").email, clientOf(c));
  return c.body(null, 202);
};

export const confirmEmailChange: RouteHandler<typeof routes.confirmEmailChange, AppEnv> = async (c) => {
  const user = await confirmEmailChangeRequest(
    await authDeps(c),
    authOf(c),
    c.req.valid("json").token,
    clientOf(c),
  );
  return c.json(toUserView(user), 200);
};
