import type { AppConfig } from "../../config";
import { read } from "../../db/batch";
import type { Querier } from "../../db/client";
import { usageStatements } from "../../db/repositories/inference-usage.repository";
import type { Consultation, InferenceTake, TenantFacts } from "../../durable-objects/tenant-authority";
import { AppError } from "../../errors";
import { describeError, log } from "../../logger";
import type { ServiceContext } from "../context";

/**
 * The daily inference quota: rows scored per tenant per UTC day, single and bulk alike (an application
 * explained by substitution is still one row). One counter decides it - the tenant's TenantAuthority, which
 * single predictions take from before they score and bulk chunks before they record - so concurrent requests
 * cannot overspend it; a request refused after its take gives the rows back. The database's
 * `inference_usage` is the record of what was scored, written with the predictions and chunks.
 */
export const utcDay = (now: Date) => now.toISOString().slice(0, 10);

const secondsToMidnight = (now: Date) => {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
};

/** What a take is granted of the `left` rows: all or none, or - partial - as many as are left. */
export const grantOf = (take: InferenceTake, left: number) =>
  take.partial ? Math.min(take.rows, left) : take.rows <= left ? take.rows : 0;

/** 429: the day's rows are used up. */
export const exhausted = (limit: number, now: Date) =>
  new AppError(
    "rate_limited",
    `The daily inference quota of ${limit} rows is used up; it resets at 00:00 UTC.`,
    {
      headers: { "Retry-After": String(secondsToMidnight(now)) },
    },
  );

/** The tenant's status and quotas and the day's recorded usage, as statements of a batch. */
export const tenantStatements = (db: Querier, tenantId: string, now: Date) => {
  const { used, tenant } = usageStatements(db, tenantId, utcDay(now));
  return {
    used: read(used, (rows) => Number(rows[0]?.rows ?? 0)),
    tenant: read(tenant, (rows): TenantFacts => rows[0] ?? { status: "suspended", quotas: {} }),
  };
};

/** What the tenant's authority knew and granted; `tenant` is always known here. */
export type Judged = Consultation & { tenant: TenantFacts };

/**
 * Gives the tenant's authority the facts a request read because it held none (under the generation it
 * answered with) and makes the take it could not judge then. Should the object be unreachable, the facts
 * just read judge the take on their own - a degraded count, logged, rather than a failed request.
 */
export async function learnTenant(
  deps: Pick<ServiceContext, "tenantAuthority"> & { config: AppConfig },
  tenantId: string,
  generation: number,
  knowledge: Parameters<ReturnType<ServiceContext["tenantAuthority"]>["learn"]>[1],
  take?: InferenceTake,
): Promise<Judged> {
  try {
    return (await deps.tenantAuthority(tenantId).learn(generation, knowledge, take)) as Judged;
  } catch (error) {
    log(deps.config.LOG_LEVEL, "error", {
      msg: "tenant authority unreachable; the quota is judged by the database's record",
      tenantId,
      error: describeError(error),
    });
    const limit = knowledge.tenant.quotas.inferenceRowsPerDay ?? deps.config.TENANT_INFERENCE_ROWS_PER_DAY;
    const used = knowledge.used?.rows ?? 0;
    const granted = take ? grantOf(take, Math.max(0, limit - used)) : undefined;
    return { generation, tenant: knowledge.tenant, models: knowledge.model?.rows, granted, used };
  }
}

/** The limit a judgment counted against (the platform default when the tenant has none). */
export const limitOfJudged = (judged: Judged, config: AppConfig) =>
  judged.tenant.quotas.inferenceRowsPerDay ?? config.TENANT_INFERENCE_ROWS_PER_DAY;
