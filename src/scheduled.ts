import { loadConfig } from "./config";
import type { RequestDatabase } from "./db/client";
import type { Bindings } from "./env";
import { describeError, type LogLevel, log } from "./logger";
import { createServiceContext } from "./services/context";
import { resealAll } from "./services/crypto/reseal";
import type { SealingKeys } from "./services/crypto/sealed";
import { deliverPending } from "./services/email/outbox";
import { isMonitoringTick, monitorAllTenants } from "./services/money-checks/monitoring-run";
import { runPortfolioChores } from "./services/portfolios/chores";
import { isRetentionTick, purgeExpiredHistory } from "./services/privacy/retention";
import { resumeStalledJobs } from "./services/risk/stalled-jobs";
import { deliverOutbox } from "./services/tenancy/edge-standing";
import { dispatchDue } from "./services/webhooks/dispatch";

/**
 * The cron trigger: retries e-mail the request path could not hand to the provider at once (an outage
 * must delay a security alert, never lose it), then the portfolio chores and the resumption of bulk jobs
 * whose chunks went missing, the daily monitoring run, the daily retention purge, and the sealing of secrets still stored in the clear from
 * before encryption.
 */
export async function runScheduled(env: Bindings): Promise<{ sent: number; failed: number }> {
  const config = loadConfig(env);
  if (!config.DATABASE_URL) return { sent: 0, failed: 0 };
  const context = createServiceContext(env, config);
  const { database } = context;
  const secrets = await context.secretsAtRest();
  try {
    const result = await deliverPending(database.db, await context.mailer(), { limit: 100 });
    log(config.LOG_LEVEL, result.failed > 0 ? "warn" : "info", { msg: "outbox drained", ...result });
    return result;
  } catch (error) {
    log(config.LOG_LEVEL, "error", { msg: "outbox drain failed", error: describeError(error) });
    throw error;
  } finally {
    // Prices from the feed and idempotency upkeep: never throws, so it runs whether or not e-mail went out.
    await runPortfolioChores(config, database, context.now());
    await deliverOutbox(context).catch((error: unknown) =>
      log(config.LOG_LEVEL, "error", {
        msg: "authority outbox delivery failed",
        error: describeError(error),
      }),
    );
    await resumeStalledJobs(database, context, context.now()).catch((error: unknown) =>
      log(config.LOG_LEVEL, "error", { msg: "stalled job sweep failed", error: describeError(error) }),
    );
    // Once a day, the monitoring scenarios over every active tenant's last two days (never throws).
    if (isMonitoringTick(context.now())) {
      const monitored = await monitorAllTenants(database, context.now(), config.LOG_LEVEL);
      log(config.LOG_LEVEL, "info", { msg: "monitoring run", ...monitored });
    }
    // Once a day, history past each tenant's retention (never throws).
    if (isRetentionTick(context.now())) {
      const purged = await purgeExpiredHistory(database, context.now(), config.LOG_LEVEL);
      log(config.LOG_LEVEL, "info", { msg: "retention purge", ...purged });
    }
    if (secrets.sealing) await sealPlaintext(config.LOG_LEVEL, database, secrets.sealing);
    await database.close();
  }
}

/**
 * Seals a bounded number of plaintext secrets per run (an index probe once none are left). Never throws:
 * the other chores must not depend on it.
 */
async function sealPlaintext(level: LogLevel, database: RequestDatabase, keys: SealingKeys): Promise<void> {
  try {
    const results = await resealAll(database.db, keys, {
      mode: "plaintext",
      maxRows: 500,
      onFailure: (column, id, error) =>
        log(level, "error", {
          msg: "stored secret cannot be opened",
          column,
          id,
          error: describeError(error),
        }),
    });
    const sealed = results.reduce((sum, r) => sum + r.sealed, 0);
    if (sealed > 0) log(level, "info", { msg: "plaintext secrets sealed", results });
  } catch (error) {
    log(level, "error", { msg: "sealing plaintext secrets failed", error: describeError(error) });
  }
}

/** The every-minute cron: hands due webhook deliveries to the queue (never throws). */
export async function runWebhookTick(env: Bindings): Promise<number> {
  const config = loadConfig(env);
  if (!config.DATABASE_URL) return 0;
  const context = createServiceContext(env, config);
  try {
    return await dispatchDue(context.database, context.scoringQueue, context.now());
  } catch (error) {
    log(config.LOG_LEVEL, "error", { msg: "webhook dispatch failed", error: describeError(error) });
    return 0;
  } finally {
    await context.database.close();
  }
}
