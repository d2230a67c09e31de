/**
 * A monitoring run over a window of settled activity: the customers' cash movements in the window (and 30 days
 * before it, which the scenarios look back over) and each one's latest movement before that, read in one round
 * trip; the scenarios (monitoring.ts) find the hits; one batch raises each hit ending in the window as an alert -
 * once: a hit is keyed by its scenario and transactions, so running a window again raises nothing twice - with
 * the run's audit event.
 */
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  cashMovements,
  lastMovementsBefore,
  monitoringAlerts,
  policyRow,
} from "../../db/repositories/money.repository";
import { sha256Hex } from "../../ml/sha256";
import { bodyError } from "../portfolios/access";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { findHits, type Hit, type Movement } from "./monitoring";
import { policyInForce } from "./policy";

const DAY = 86_400_000;
const LOOKBACK = 30 * DAY;
const MAX_SPAN = 31 * DAY;

export interface RunResult {
  from: Date;
  to: Date;
  movements: number;
  hits: Array<Hit & { alertId: string | null }>;
}

export async function runMonitoring(
  ctx: TenantContext,
  window: { from: Date; to: Date },
): Promise<RunResult> {
  const now = ctx.now();
  const { from, to } = window;
  if (to.getTime() <= from.getTime())
    throw bodyError("validation_failed", "/to", "The window ends after it starts.");
  if (to.getTime() - from.getTime() > MAX_SPAN) {
    throw bodyError("validation_failed", "/to", "A run covers at most 31 days.");
  }
  if (to.getTime() > now.getTime() + 60_000)
    throw bodyError("validation_failed", "/to", "The window is in the future.");
  if (from.getTime() < now.getTime() - 5 * 366 * DAY) {
    throw bodyError("validation_failed", "/from", "The window starts more than five years ago.");
  }
  const since = new Date(from.getTime() - LOOKBACK);
  const found = await ctx.read((db) => ({
    policy: read(policyRow(db, ctx.tenantId), (rows) => policyInForce(rows[0])),
    movements: read(
      cashMovements(db, ctx.tenantId, { from: since, to }),
      (raw) => (raw as { rows: RawMovement[] }).rows,
    ),
    last: read(
      lastMovementsBefore(db, ctx.tenantId, { from: since, to }),
      (raw) => (raw as { rows: Array<{ customer_id: string; last_at: string | Date | null }> }).rows,
    ),
  }));
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
    (hit) => hit.at.getTime() >= from.getTime() && hit.at.getTime() < to.getTime(),
  );
  const keyed = await Promise.all(
    hits.map(async (hit) => ({
      rule: hit.scenario,
      customerId: hit.customerId,
      transactionIds: hit.transactionIds,
      reasons: hit.reasons,
      key: `${hit.scenario}:${await sha256Hex(new TextEncoder().encode([...hit.transactionIds].sort().join(",")))}`,
    })),
  );
  const event = eventOf(ctx, {
    action: "monitoring.run",
    resourceType: "monitoring_run",
    resourceId: `${from.toISOString()}/${to.toISOString()}`,
    after: { from: from.toISOString(), to: to.toISOString(), movements: movements.length, hits: hits.length },
  });
  const written = await ctx.write("monitoring:run", null, (db) => ({
    ...(keyed.length > 0
      ? {
          alerts: read(
            monitoringAlerts(db, ctx.tenantId, keyed, now),
            (raw) => (raw as { rows: Array<{ id: string; dedupe_key: string }> }).rows,
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

interface RawMovement {
  id: string;
  customer_id: string;
  type: "deposit" | "withdrawal";
  amount: string;
  currency: string;
  executed_at: string | Date;
}
