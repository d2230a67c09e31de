import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { authOf } from "../../middleware/authenticate";
import { contextOf } from "../../middleware/request-context";
import {
  confirmEmailChangeRequest,
  requestEmailChange as startEmailChange,
} from "../../services/auth/email-change";
import { stepUp as stepUpSession } from "../../services/auth/step-up";
import { toUserView } from "./auth.schemas";
import type * as routes from "./step-up.routes";

export const stepUp: RouteHandler<typeof routes.stepUp, AppEnv> = async (c) => {
  const { expiresIn, factor } = await stepUpSession(contextOf(c), authOf(c), c.req.valid("json"));
  return c.json({ step_up_expires_in: expiresIn, factor }, 200);
};

export const requestEmailChange: RouteHandler<typeof routes.requestEmailChange, AppEnv> = async (c) => {
  await startEmailChange(contextOf(c), authOf(c), c.req.valid("json").email);
  return c.body(null, 202);
};

export const confirmEmailChange: RouteHandler<typeof routes.confirmEmailChange, AppEnv> = async (c) => {
  const user = await confirmEmailChangeRequest(contextOf(c), authOf(c), c.req.valid("json").token);
  return c.json(toUserView(user), 200);
};
