import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { authOf } from "../../middleware/authenticate";
import { contextOf } from "../../middleware/request-context";
import {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  regenerateBackupCodes as replaceCodes,
  disableTotp as turnOffTotp,
} from "../../services/auth/two-factor";
import type * as routes from "./two-factor.routes";
import { toTotpEnrolmentView } from "./views";

export const enableTotp: RouteHandler<typeof routes.enableTotp, AppEnv> = async (c) =>
  c.json(toTotpEnrolmentView(await beginTotpEnrolment(contextOf(c), authOf(c))), 200);

export const verifyTotp: RouteHandler<typeof routes.verifyTotp, AppEnv> = async (c) => {
  const codes = await confirmTotpEnrolment(contextOf(c), authOf(c), c.req.valid("json").code);
  return c.json({ backup_codes: codes }, 200);
};

export const disableTotp: RouteHandler<typeof routes.disableTotp, AppEnv> = async (c) => {
  await turnOffTotp(contextOf(c), authOf(c), c.req.valid("json").code);
  return c.body(null, 204);
};

export const regenerateBackupCodes: RouteHandler<typeof routes.regenerateBackupCodes, AppEnv> = async (c) => {
  const codes = await replaceCodes(contextOf(c), authOf(c), c.req.valid("json").code);
  return c.json({ backup_codes: codes }, 200);
};
