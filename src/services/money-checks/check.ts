/**
 * The check on every money movement, as the movement's decision makes it: what it reads rides in the
 * movement's own read batch (no round trip of its own), the scoring is pure (scoring.ts), and what it decides is
 * written with the movement in its one write call - the check's row with its signals, its audit event, and for
 * a settled cash movement of a customer's portfolio the count into that day's CTR.
 */
import { jsonResult, read } from "../../db/batch";
import type { HttpDatabase } from "../../db/client";
import { type MovementFacts, movementFacts, policyRow } from "../../db/repositories/money.repository";
import { activeSanctionsList } from "../../db/repositories/sanctions.repository";
import { AppError } from "../../errors";
import { deviceFingerprint } from "../auth/devices";
import { SanctionsListUnavailableError, screenCounterparty } from "../compliance/sanctions-store";
import type { Dec } from "../money/decimal";
import type { AuditEntry } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { businessDay, dayAfter } from "./business-day";
import { type PolicyInForce, policyInForce } from "./policy";
import { type CheckResult, type Decision, type Signals, scoreMovement } from "./scoring";

export const CHECKED_TYPES = ["buy", "sell", "deposit", "withdrawal"] as const;
export type CheckedType = (typeof CHECKED_TYPES)[number];
export const isChecked = (type: string): type is CheckedType =>
  (CHECKED_TYPES as readonly string[]).includes(type);

/** Who moves money, from where: what the check knows of the request before it reads. */
export interface Mover {
  ip: string | null;
  device: string | null;
  country: string | null;
  actorType: "user" | "api_key";
  actorId: string;
}

export async function moverOf(ctx: TenantContext): Promise<Mover> {
  const { client } = ctx;
  const known = client.ip !== null || client.userAgent !== null;
  return {
    ip: client.ip,
    device: known ? await deviceFingerprint(client) : null,
    country: client.country && /^[A-Z]{2}$/.test(client.country) ? client.country : null,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
  };
}

/** The statements the check adds to a movement's read batch. */
export function checkReads(
  db: HttpDatabase,
  ctx: TenantContext,
  q: { portfolioId: string; type: CheckedType; mover: Mover; counterparty: string | null },
) {
  return {
    facts: read(
      movementFacts(db, {
        tenantId: ctx.tenantId,
        portfolioId: q.portfolioId,
        type: q.type,
        ip: q.mover.ip,
        device: q.mover.device,
        counterparty: q.counterparty,
        actorUserId: q.mover.actorType === "user" ? q.mover.actorId : null,
        at: ctx.now(),
      }),
      jsonResult<MovementFacts>(),
    ),
    policy: read(policyRow(db, ctx.tenantId), (rows) => policyInForce(rows[0])),
    // A counterparty is screened against the active sanctions list (in the Worker, from R2: no database call).
    ...(q.counterparty
      ? { sanctionsList: read(activeSanctionsList(db, ctx.tenantId), (rows) => rows[0] ?? null) }
      : {}),
  };
}

/**
 * The parties on the active list a counterparty's name matches, best first; none without a counterparty or a
 * list. A list that cannot be loaded refuses the movement (503): money does not leave unscreened.
 */
export async function screenedCounterparty(
  files: R2Bucket,
  ctx: TenantContext,
  counterparty: string | null,
  list: { id: string } | null | undefined,
): Promise<NonNullable<Signals["sanctions"]>> {
  if (!counterparty || !list) return [];
  const candidates = await screenCounterparty(files, ctx.tenantId, list.id, counterparty).catch(
    (error: unknown) => {
      if (!(error instanceof SanctionsListUnavailableError)) throw error;
      throw new AppError("service_unavailable", "The sanctions list cannot be loaded; retry later.", {
        headers: { "Retry-After": "5" },
        cause: error,
      });
    },
  );
  return candidates.slice(0, 5).map((c) => ({
    list_id: list.id,
    uid: c.entryUid,
    name: c.entryName,
    programs: c.programs,
    score: c.score,
  }));
}

/** An owner whose KYC is not verified may not move money, unless the tenant's policy allows it. */
export function assertOwnerMayMove(facts: MovementFacts, policy: PolicyInForce): void {
  const owner = facts.customer;
  if (!owner || owner.kyc_status === "verified" || policy.policy.unverified_owners === "allow") return;
  throw new AppError(
    "kyc_required",
    `The portfolio's owner (customer ${owner.id}) is ${owner.kyc_status === "rejected" ? "rejected by KYC" : `not verified (KYC ${owner.kyc_status})`}; the tenant's policy lets only verified owners move money.`,
  );
}

export interface MovementCheck {
  id: string;
  signals: Signals;
  result: CheckResult;
  policyVersion: number;
}

/** Scores the movement from what was read. */
export function checkMovement(
  facts: MovementFacts,
  policy: PolicyInForce,
  movement: {
    type: CheckedType;
    amount: Dec;
    currency: string;
    mover: Mover;
    at: Date;
    sanctions?: NonNullable<Signals["sanctions"]>;
  },
): MovementCheck {
  const customer = facts.customer
    ? {
        id: facts.customer.id,
        country: facts.customer.country,
        risk_rating: facts.customer.risk_rating,
        kyc_status: facts.customer.kyc_status,
      }
    : null;
  const signals: Signals = {
    type: movement.type,
    amount: movement.amount.toFixed(),
    currency: movement.currency,
    country: movement.mover.country,
    ip: movement.mover.ip,
    device: movement.mover.device,
    customer,
    velocity: facts.velocity,
    history: facts.history,
    seen: facts.seen,
    last: facts.last,
    blocklisted: facts.blocklisted,
    sanctions: movement.sanctions ?? [],
    at: movement.at.toISOString(),
  };
  return {
    id: crypto.randomUUID(),
    signals,
    result: scoreMovement(signals, policy.policy),
    policyVersion: policy.version,
  };
}

const ACTIONS: Record<Decision, string> = {
  allow: "money_check.allowed",
  review: "money_check.held",
  block: "money_check.blocked",
};

/** The audit event of a check: every decision is recorded with its score and reasons. */
export function checkAudit(check: MovementCheck, transactionId: string | null): AuditEntry {
  return {
    action: ACTIONS[check.result.decision],
    resourceType: "money_check",
    resourceId: check.id,
    after: {
      transactionId,
      type: check.signals.type,
      amount: check.signals.amount,
      currency: check.signals.currency,
      score: check.result.score,
      decision: check.result.decision,
      reasons: check.result.reasons,
      policyVersion: check.policyVersion,
    },
  };
}

/** The check's row as the write stores it (money_checks, snake_case). */
export function checkRow(
  check: MovementCheck,
  mover: Mover,
  transactionId: string | null,
  counterparty: string | null,
): Record<string, unknown> {
  const { signals, result } = check;
  return {
    id: check.id,
    transaction_id: transactionId,
    type: signals.type,
    amount: signals.amount,
    currency: signals.currency,
    actor_type: mover.actorType,
    actor_id: mover.actorId,
    ip: mover.ip,
    device: mover.device,
    country: mover.country,
    counterparty,
    score: result.score,
    decision: result.decision,
    reasons: result.reasons,
    signals,
    policy_version: check.policyVersion,
    review_status: result.decision === "review" ? "held" : null,
    created_at: signals.at,
  };
}

/** The problem a blocked movement is answered with: no reasons (they are for the tenant's analysts). */
export const blockedProblem = (check: MovementCheck) =>
  new AppError(
    "movement_blocked",
    `The movement was refused by the tenant's money-movement checks (check ${check.id}); it was not posted.`,
  );

/**
 * What a settled cash movement of a customer's portfolio adds to the write: its count into the business day's
 * CTR, when it is in the CTR's currency. Nothing for trades, pending movements or house portfolios.
 */
export function ctrCount(
  policy: PolicyInForce,
  movement: { type: string; currency: string; executedAt: Date; settled: boolean; hasCustomer: boolean },
) {
  const { ctr } = policy.policy;
  if (!movement.settled || !movement.hasCustomer || movement.currency !== ctr.currency) return undefined;
  if (movement.type !== "deposit" && movement.type !== "withdrawal") return undefined;
  const day = businessDay(movement.executedAt, ctr.time_zone);
  return {
    business_day: day.day,
    from: day.from.toISOString(),
    to: day.to.toISOString(),
    direction: movement.type === "deposit" ? "in" : "out",
    type: movement.type,
    currency: ctr.currency,
    threshold: ctr.threshold,
    due_on: dayAfter(day.day, ctr.due_days),
  };
}
