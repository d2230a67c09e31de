import type { RouteHandler } from "@hono/zod-openapi";
import packageJson from "../../../package.json";
import type { AppEnv } from "../../env";
import { describeError, log } from "../../logger";
import { contextOf } from "../../middleware/request-context";
import { databaseCheck, modelsCheck, signingKeysCheck, storageCheck } from "../../services/dependency-checks";
import { checkReadiness } from "../../services/readiness";
import type { liveness, readiness } from "./health.routes";
import { toReadinessView } from "./views";

const PROBE_TIMEOUT_MS = 3_000;

export const getLiveness: RouteHandler<typeof liveness, AppEnv> = (c) =>
  c.json(
    { status: "healthy" as const, timestamp: new Date().toISOString(), version: packageJson.version },
    200,
  );

export const getReadiness: RouteHandler<typeof readiness, AppEnv> = async (c) => {
  const config = c.get("config");
  const database = c.get("database");
  const { models, files } = contextOf(c);
  const report = await checkReadiness(
    [
      databaseCheck(database),
      signingKeysCheck(config.JWT_SIGNING_KEYS),
      storageCheck({ MODELS: models, FILES: files }),
      modelsCheck(models),
    ],
    {
      version: packageJson.version,
      environment: config.ENVIRONMENT,
      timeoutMs: PROBE_TIMEOUT_MS,
      onFailure: (name, error) =>
        log(config.LOG_LEVEL, "error", {
          msg: "dependency check failed",
          requestId: c.get("requestId"),
          dependency: name,
          error: describeError(error),
        }),
    },
  );
  return c.json(toReadinessView(report), report.status === "unhealthy" ? 503 : 200);
};
