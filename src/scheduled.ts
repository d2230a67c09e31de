import { loadConfig } from "./config";
import { RequestDatabase } from "./db/client";
import type { Bindings } from "./env";
import { describeError, log } from "./logger";
import { deliverPending } from "./services/email/outbox";
import { createEmailSender } from "./services/email/senders";
import { runPortfolioChores } from "./services/portfolios/chores";
import { riskDeps } from "./services/risk/deps";
import { resumeStalledJobs } from "./services/risk/stalled-jobs";

/**
 * The cron trigger: retries e-mail the request path could not hand to the provider at once (an outage
 * must delay a security alert, never lose it), then the portfolio chores and the resumption of bulk jobs
 * whose chunks went missing.
 */
export async function runScheduled(env: Bindings): Promise<{ sent: number; failed: number }> {
  const config = loadConfig(env);
  if (!config.DATABASE_URL) return { sent: 0, failed: 0 };
  const database = new RequestDatabase({ url: config.DATABASE_URL, relay: config.WS_RELAY });
  try {
    const result = await deliverPending(database.db, createEmailSender(config), { limit: 100 });
    log(config.LOG_LEVEL, result.failed > 0 ? "warn" : "info", { msg: "outbox drained", ...result });
    return result;
  } catch (error) {
    log(config.LOG_LEVEL, "error", { msg: "outbox drain failed", error: describeError(error) });
    throw error;
  } finally {
    // Prices from the feed and idempotency upkeep: never throws, so it runs whether or not e-mail went out.
    await runPortfolioChores(config, database, new Date());
    await resumeStalledJobs(database, riskDeps(env, config), new Date()).catch((error: unknown) =>
      log(config.LOG_LEVEL, "error", { msg: "stalled job sweep failed", error: describeError(error) }),
    );
    await database.close();
  }
}
