import type { AppConfig } from "../../config";
import type { RequestDatabase } from "../../db/client";
import { purgeExpiredResponses } from "../../db/repositories/idempotency.repository";
import { describeError, log } from "../../logger";
import { type RefreshResult, refreshPrices } from "../prices/refresh";

/**
 * The portfolio feature's share of the cron trigger: refresh prices from the feed (when configured) and
 * forget idempotent responses past their expiry. Each part logs its own failure and never throws, so
 * neither stops the other nor the trigger's other work.
 */
export async function runPortfolioChores(
  config: AppConfig,
  database: RequestDatabase,
  now: Date,
  fetcher: typeof fetch = fetch,
): Promise<{ prices: RefreshResult | null; purged: number | null }> {
  const outcome: { prices: RefreshResult | null; purged: number | null } = { prices: null, purged: null };
  try {
    outcome.prices = await refreshPrices(config, database, now, fetcher);
  } catch (error) {
    log(config.LOG_LEVEL, "error", { msg: "price refresh failed", error: describeError(error) });
  }
  try {
    outcome.purged = await purgeExpiredResponses(database.db, now);
  } catch (error) {
    log(config.LOG_LEVEL, "error", { msg: "idempotency purge failed", error: describeError(error) });
  }
  return outcome;
}
