import { describeError, log } from "../logger";
import type { RequestContext } from "./context";

/**
 * Runs `work` after the response is sent, on the request's database connection (which stays open until the
 * work settles). Its failures are logged with the request id and never reach the client, whose answer was
 * decided before the work began: an answer that does not wait for the work cannot reveal what it found.
 */
export function afterResponse(
  ctx: Pick<RequestContext, "database" | "config" | "requestId">,
  label: string,
  work: () => Promise<void>,
): void {
  ctx.database.afterResponse(() =>
    work().catch((error: unknown) =>
      log(ctx.config.LOG_LEVEL, "error", {
        msg: `${label} failed`,
        requestId: ctx.requestId,
        error: describeError(error),
      }),
    ),
  );
}
