import type { Context } from "hono";
import type { AppEnv } from "../env";
import { describeError, log } from "../logger";

/**
 * Runs `work` after the response is sent, on the request's database connection (which stays open until the
 * work settles). Its failures are logged with the request id and never reach the client, whose answer was
 * decided before the work began: an answer that does not wait for the work cannot reveal what it found.
 */
export function afterResponse(c: Context<AppEnv>, label: string, work: () => Promise<void>): void {
  const { config, requestId, database } = c.var;
  database.afterResponse(() =>
    work().catch((error: unknown) =>
      log(config.LOG_LEVEL, "error", { msg: `${label} failed`, requestId, error: describeError(error) }),
    ),
  );
}
