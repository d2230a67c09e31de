/**
 * What analysts read of the money check: the checks with their reasons, the check a movement would get without
 * posting it, and a customer's or user's current risk. Each is one round trip. The policy's changes are in
 * policy-changes.ts, the blocklist in blocklist.ts.
 */
import { read } from "../../db/batch";
import { type CustomerRow, customerById } from "../../db/repositories/customers.repository";
import {
  checkById,
  checkStats,
  checksPage,
  type MoneyCheckRow,
} from "../../db/repositories/money.repository";
import { portfolioById } from "../../db/repositories/portfolios.repository";
import type { MoneyDecision, ReviewStatus } from "../../db/schema";
import { AppError } from "../../errors";
import { Dec } from "../money/decimal";
import { pageOf, timeCursor } from "../pagination";
import { bodyError } from "../portfolios/access";
import type { TenantContext } from "../tenancy/context";
import {
  assertOwnerMayMove,
  type CheckedType,
  checkMovement,
  checkReads,
  moverOf,
  screenedCounterparty,
} from "./check";
import type { CheckResult, Signals } from "./scoring";

export async function listChecks(
  ctx: TenantContext,
  options: {
    limit: number;
    cursor?: string | undefined;
    decision?: MoneyDecision | undefined;
    reviewStatus?: ReviewStatus | undefined;
    customerId?: string | undefined;
    portfolioId?: string | undefined;
  },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) =>
    checksPage(db, ctx.tenantId, { ...options, before, limit: options.limit + 1 }),
  );
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

export async function getCheck(ctx: TenantContext, id: string): Promise<MoneyCheckRow> {
  const [row] = await ctx.readOne((db) => checkById(db, ctx.tenantId, id));
  if (!row) throw new AppError("not_found", "No such money check.");
  return row;
}

export interface CheckPreview {
  policyVersion: number;
  result: CheckResult;
  signals: Signals;
  /** Refused before scoring: the owner's KYC standing under the policy. */
  ownerRefusal: string | null;
}

/**
 * The check a movement would get now, without posting it or recording anything: the same facts read in one
 * round trip, the same scoring. For systems that ask before they move money.
 */
export async function previewCheck(
  ctx: TenantContext,
  files: R2Bucket,
  input: { portfolioId: string; type: CheckedType; amount: string; counterparty: string | null },
): Promise<CheckPreview> {
  const mover = await moverOf(ctx);
  const counterparty = input.counterparty?.trim().toLowerCase() || null;
  const found = await ctx.read((db) => ({
    portfolio: read(portfolioById(db, ctx.tenantId, input.portfolioId), (rows) => rows[0]),
    ...checkReads(db, ctx, { portfolioId: input.portfolioId, type: input.type, mover, counterparty }),
  }));
  if (!found.portfolio || !ctx.access.canSee(found.portfolio.organizationId)) {
    throw bodyError("not_found", "/portfolio_id", "No such portfolio.");
  }
  let ownerRefusal: string | null = null;
  try {
    assertOwnerMayMove(found.facts, found.policy);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    ownerRefusal = error.detail;
  }
  const list = (found as { sanctionsList?: { id: string } | null }).sanctionsList;
  const check = checkMovement(found.facts, found.policy, {
    type: input.type,
    amount: new Dec(input.amount),
    currency: found.portfolio.baseCurrency,
    mover,
    at: ctx.now(),
    sanctions: await screenedCounterparty(files, ctx, counterparty, list),
  });
  return { policyVersion: check.policyVersion, result: check.result, signals: check.signals, ownerRefusal };
}

export interface RiskScore {
  subject: { type: "customer" | "user" | "api_key"; id: string };
  /** 0-100: the customer's rating, raised by what its recent checks found; for a user, its checks alone. */
  score: number;
  rating: "low" | "medium" | "high";
  factors: Array<{ factor: string; points: number }>;
  checks: {
    days: number;
    total: number;
    held: number;
    blocked: number;
    maxScore: number | null;
    lastAt: string | null;
  };
}

const RATING_POINTS = { low: 10, medium: 40, high: 70 } as const;

/**
 * A customer's, user's or API key's current risk: its rating (customers) and its money checks of the last 30
 * days (for a user or key: those it moved money in).
 */
export async function riskScore(
  ctx: TenantContext,
  subject: { customerId: string } | { actor: { type: "user" | "api_key"; id: string } },
): Promise<RiskScore> {
  const days = 30;
  const since = new Date(ctx.now().getTime() - days * 86_400_000);
  const found = await ctx.read((db) => ({
    ...("customerId" in subject
      ? { customer: read(customerById(db, ctx.tenantId, subject.customerId), (rows) => rows[0]) }
      : {}),
    stats: read(
      checkStats(
        db,
        ctx.tenantId,
        "customerId" in subject ? { customerId: subject.customerId } : { actorId: subject.actor.id },
        since,
      ),
      (rows) => rows[0],
    ),
  }));
  const stats = found.stats ?? {
    total: 0,
    held: 0,
    blocked: 0,
    maxScore: null,
    meanScore: null,
    lastAt: null,
  };
  const factors: Array<{ factor: string; points: number }> = [];
  const customer = (found as { customer?: CustomerRow | undefined }).customer;
  if ("customerId" in subject) {
    if (!customer) throw new AppError("not_found", "No such customer.");
    factors.push({ factor: `rating_${customer.riskRating}`, points: RATING_POINTS[customer.riskRating] });
  }
  if (stats.blocked > 0)
    factors.push({ factor: "blocked_movements", points: Math.min(30, 15 * stats.blocked) });
  if (stats.held > 0) factors.push({ factor: "held_movements", points: Math.min(20, 5 * stats.held) });
  if (stats.maxScore !== null && stats.maxScore >= 50)
    factors.push({ factor: "high_check_score", points: 10 });
  const score = Math.min(
    100,
    factors.reduce((sum, factor) => sum + factor.points, 0),
  );
  return {
    subject: "customerId" in subject ? { type: "customer", id: subject.customerId } : subject.actor,
    score,
    rating: score >= 70 ? "high" : score >= 40 ? "medium" : "low",
    factors,
    checks: {
      days,
      total: stats.total,
      held: stats.held,
      blocked: stats.blocked,
      maxScore: stats.maxScore,
      lastAt: stats.lastAt,
    },
  };
}
