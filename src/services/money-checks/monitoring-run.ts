/**
 * A monitoring run over a window of settled activity: the customers' cash movements in the window (and 30 days
 * before it, which the scenarios look back over) and each one's latest movement before that, read in one round
 * trip; the scenarios (monitoring.ts) find the hits; one batch raises each hit ending in the window as an alert -
 * once: a hit is keyed by its scenario and transactions, so running a window again raises nothing twice - with
 * the run's audit event. Runs on demand (a request), and daily from the cron for every active tenant over the
 * last two days (so one missed day is caught up, and the overlap raises nothing twice).
 */
import { and, eq, inArray } from "drizzle-orm";
import { read } from "../../db/batch";
import type { Querier, RequestDatabase } from "../../db/client";
import { auditEventStatement, type NewAuditEvent } from "../../db/repositories/audit.repository";
import { policyRow } from "../../db/repositories/money.repository";
import {
  cashMovements,
  lastMovementsBefore,
  monitoringAlerts,
} from "../../db/repositories/monitoring.repository";
import { tenants } from "../../db/schema";
import { describeError, type LogLevel, log } from "../../logger";
import { sha256Hex } from "../../ml/sha256";
import { bodyError } from "../portfolios/access";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { findHits, type Hit, type Movement } from "./monitoring";
import { type PolicyInForce, policyInForce } from "./policy";

const DAY = 86_400_000;
const LOOKBACK = 30 * DAY;
const MAX_SPAN = 31 * DAY;

export interface RunResult {
  from: Date;
  to: Date;
  movements: number;
  hits: Array<Hit & { alertId: string | null }>;
}

interface RawMovement {
  id: string;
  customer_id: string;
  type: "deposit" | "withdrawal";
  amount: string;
  currency: string;
  executed_at: string | Date;
}

type RawLast = { customer_id: string; last_at: string | Date | null };
type Keyed = { rule: string; customerId: string; transactionIds: string[]; reasons: unknown; key: string };

/** What a run reads, as statements of one batch. */
const runReads = (db: Querier, tenantId: string, window: { from: Date; to: Date }) => {
  const since = new Date(window.from.getTime() - LOOKBACK);
  return {
    policy: read(policyRow(db, tenantId), (rows) => policyInForce(rows[0])),
    movements: read(cashMovements(db, tenantId, { from: since, to: window.to }), (raw) =>
      rowsOf<RawMovement>(raw),
    ),
    last: read(lastMovementsBefore(db, tenantId, { from: since, to: window.to }), (raw) =>
      rowsOf<RawLast>(raw),
    ),
  };
};

const rowsOf = <T>(raw: unknown): T[] => (raw as { rows: T[] }).rows;

/** The hits ending in the window, each with the key that makes it one alert. */
async function plan(
  found: { policy: PolicyInForce; movements: RawMovement[]; last: RawLast[] },
  window: { from: Date; to: Date },
) {
  const { ctr } = found.policy.policy;
  const movements: Movement[] = found.movements
    .filter((row) => row.currency === ctr.currency)
    .map((row) => ({
      id: row.id,
      customerId: row.customer_id,
      type: row.type,
      amount: row.amount,
      executedAt: new Date(row.executed_at),
    }));
  const lastBefore = new Map(
    found.last.map((row) => [row.customer_id, row.last_at ? new Date(row.last_at) : null]),
  );
  const hits = findHits(movements, { threshold: ctr.threshold, currency: ctr.currency, lastBefore }).filter(
    (hit) => hit.at.getTime() >= window.from.getTime() && hit.at.getTime() < window.to.getTime(),
  );
  const keyed: Keyed[] = await Promise.all(
    hits.map(async (hit) => ({
      rule: hit.scenario,
      customerId: hit.customerId,
      transactionIds: hit.transactionIds,
      reasons: hit.reasons,
      key: `${hit.scenario}:${await sha256Hex(new TextEncoder().encode([...hit.transactionIds].sort().join(",")))}`,
    })),
  );
  return { movements, hits, keyed };
}

const runSummary = (window: { from: Date; to: Date }, movements: number, hits: number) => ({
  from: window.from.toISOString(),
  to: window.to.toISOString(),
  movements,
  hits,
});

/** A run a caller asked for: its window checked, one read, one write. */
export async function runMonitoring(
  ctx: TenantContext,
  window: { from: Date; to: Date },
): Promise<RunResult> {
  const now = ctx.now();
  const { from, to } = window;
  if (to.getTime() <= from.getTime())
    throw bodyError("validation_failed", "/to", "The window ends after it starts.");
  if (to.getTime() - from.getTime() > MAX_SPAN) {
    throw bodyError("validation_failed", "/days", "A run covers at most 31 days.");
  }
  if (to.getTime() > now.getTime() + 60_000)
    throw bodyError("validation_failed", "/to", "The window is in the future.");
  if (from.getTime() < now.getTime() - 5 * 366 * DAY) {
    throw bodyError("validation_failed", "/to", "The window starts more than five years ago.");
  }
  const found = await ctx.read((db) => runReads(db, ctx.tenantId, window));
  const { movements, hits, keyed } = await plan(found, window);
  const event = eventOf(ctx, {
    action: "monitoring.run",
    resourceType: "monitoring_run",
    resourceId: `${from.toISOString()}/${to.toISOString()}`,
    after: runSummary(window, movements.length, hits.length),
  });
  const written = await ctx.write("monitoring:run", null, (db) => ({
    ...(keyed.length > 0
      ? {
          alerts: read(monitoringAlerts(db, ctx.tenantId, keyed, now), (raw) =>
            rowsOf<{ id: string; dedupe_key: string }>(raw),
          ),
        }
      : {}),
    audit: read(auditEventStatement(db, event)),
  }));
  ctx.audited += 1;
  // The alerts this run raised, by key; a hit an earlier run raised already has none here.
  const raised = new Map(
    ((written as { alerts?: Array<{ id: string; dedupe_key: string }> }).alerts ?? []).map((row) => [
      row.dedupe_key,
      row.id,
    ]),
  );
  return {
    from,
    to,
    movements: movements.length,
    hits: hits.map((hit, i) => ({ ...hit, alertId: raised.get(keyed[i]?.key ?? "") ?? null })),
  };
}

/** When the cron runs the scenarios: its first tick after 01:00 UTC. */
export const isMonitoringTick = (now: Date) => now.getUTCHours() === 1 && now.getUTCMinutes() < 5;

/**
 * The daily run for every active tenant, over the two days up to `now`, by the system. Never throws: one tenant's
 * failure is logged and the others run.
 */
export async function monitorAllTenants(
  database: RequestDatabase,
  now: Date,
  level: LogLevel,
  /** Only these tenants (all active ones when absent): an operator re-running some, or a test confined to its own. */
  only?: readonly string[],
): Promise<{ tenants: number; raised: number }> {
  const window = { from: new Date(now.getTime() - 2 * DAY), to: now };
  let raised = 0;
  let active: Array<{ id: string }> = [];
  try {
    active = await database.db
      .select({ id: tenants.id })
      .from(tenants)
      .where(and(eq(tenants.status, "active"), only ? inArray(tenants.id, [...only]) : undefined));
  } catch (error) {
    log(level, "error", { msg: "monitoring: tenants not read", error: describeError(error) });
    return { tenants: 0, raised };
  }
  for (const { id } of active) {
    try {
      raised += await database.tenant(id, async (tx) => {
        const reads = runReads(tx, id, window);
        const found = {
          policy: reads.policy.map(await reads.policy.item),
          movements: reads.movements.map(await reads.movements.item),
          last: reads.last.map(await reads.last.item),
        };
        const { movements, hits, keyed } = await plan(found, window);
        const alerts =
          keyed.length > 0 ? rowsOf<{ id: string }>(await monitoringAlerts(tx, id, keyed, now)) : [];
        const event: NewAuditEvent = {
          tenantId: id,
          actorType: "system",
          actorId: null,
          action: "monitoring.run",
          resourceType: "monitoring_run",
          resourceId: `${window.from.toISOString()}/${window.to.toISOString()}`,
          summary: { after: { ...runSummary(window, movements.length, hits.length), raised: alerts.length } },
          requestId: null,
          ip: null,
        };
        await auditEventStatement(tx, event);
        return alerts.length;
      });
    } catch (error) {
      log(level, "error", { msg: "monitoring run failed", tenantId: id, error: describeError(error) });
    }
  }
  return { tenants: active.length, raised };
}
