import type { AppConfig } from "../../config";
import { read } from "../../db/batch";
import type { Querier, Transaction } from "../../db/client";
import {
  takeInferenceRows,
  tenantQuotas,
  usageStatements,
} from "../../db/repositories/inference-usage.repository";
import { AppError } from "../../errors";

/**
 * The daily inference quota: rows scored per tenant per UTC day, single and bulk alike (an application
 * explained by substitution is still one row). Counted in the transaction that records the scores, so a
 * failed request costs nothing and concurrent requests cannot overspend it.
 */
export const utcDay = (now: Date) => now.toISOString().slice(0, 10);

const secondsToMidnight = (now: Date) => {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
};

async function limitOf(tx: Transaction, tenantId: string, config: AppConfig) {
  return (await tenantQuotas(tx, tenantId)).inferenceRowsPerDay ?? config.TENANT_INFERENCE_ROWS_PER_DAY;
}

const exhausted = (limit: number, now: Date) =>
  new AppError(
    "rate_limited",
    `The daily inference quota of ${limit} rows is used up; it resets at 00:00 UTC.`,
    {
      headers: { "Retry-After": String(secondsToMidnight(now)) },
    },
  );

/** Takes `rows` of today's allowance, all or none (429 when they do not fit). */
export async function takeQuota(
  tx: Transaction,
  tenantId: string,
  rows: number,
  now: Date,
  config: AppConfig,
) {
  const limit = await limitOf(tx, tenantId, config);
  const { granted } = await takeInferenceRows(tx, tenantId, utcDay(now), rows, limit);
  // Throwing rolls the transaction back, returning any partial grant.
  if (granted < rows) throw exhausted(limit, now);
}

/** Takes as many of `rows` as today's allowance still has; bulk chunks score that many and fail the rest. */
export async function takePartialQuota(
  tx: Transaction,
  tenantId: string,
  rows: number,
  now: Date,
  config: AppConfig,
) {
  const limit = await limitOf(tx, tenantId, config);
  return (await takeInferenceRows(tx, tenantId, utcDay(now), rows, limit)).granted;
}

/** The day's usage and the tenant's quotas, as statements of a batch. */
export const quotaStatements = (db: Querier, tenantId: string, now: Date) => {
  const { used, quotas } = usageStatements(db, tenantId, utcDay(now));
  return {
    used: read(used, (rows) => Number(rows[0]?.rows ?? 0)),
    quotas: read(quotas, (rows) => rows[0]?.quotas ?? {}),
  };
};

/** Refuses (429) when what `quotaStatements` read leaves nothing today. */
export function requireQuotaLeftOf(
  state: { used: number; quotas: { inferenceRowsPerDay?: number | undefined } },
  now: Date,
  config: AppConfig,
) {
  const limit = state.quotas.inferenceRowsPerDay ?? config.TENANT_INFERENCE_ROWS_PER_DAY;
  if (state.used >= limit) throw exhausted(limit, now);
}
