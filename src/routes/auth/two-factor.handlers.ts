import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  regenerateBackupCodes as replaceCodes,
  disableTotp as turnOffTotp,
} from "../../services/auth/two-factor";
import { authDeps, authOf, clientOf } from "./deps";
import type * as routes from "./two-factor.routes";

export const enableTotp: RouteHandler<typeof routes.enableTotp, AppEnv> = async (c) =>
  c.json(await beginTotpEnrolment(await authDeps(c), authOf(c), clientOf(c)), 200);

export const verifyTotp: RouteHandler<typeof routes.verifyTotp, AppEnv> = async (c) => {
  const codes = await confirmTotpEnrolment(
    await authDeps(c),
    authOf(c),
    c.req.valid("json").code,
    clientOf(c),
  );
  return c.json({ backup_codes: codes }, 200);
};

export const disableTotp: RouteHandler<typeof routes.disableTotp, AppEnv> = async (c) => {
  await turnOffTotp(await authDeps(c), authOf(c), c.req.valid("json").code, clientOf(c));
  return c.body(null, 204);
};

export const regenerateBackupCodes: RouteHandler<typeof routes.regenerateBackupCodes, AppEnv> = async (c) => {
  const codes = await replaceCodes(await authDeps(c), authOf(c), c.req.valid("json").code, clientOf(c));
  return c.json({ backup_codes: codes }, 200);
};
