/**
 * What the tenant's analysts and administrators do with the money check: read and change its policy (each
 * change a new version, audited with the policy before and after), replay a change over the last 30 days'
 * checks before making it, keep the blocklist, read the checks with their reasons, check a movement without
 * posting it, and read a customer's or user's current risk. Each is one round trip (a change: one batch with
 * its audit event).
 */
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { type CustomerRow, customerById } from "../../db/repositories/customers.repository";
import {
  type BlocklistRow,
  blocklistDelete,
  blocklistPage,
  checkById,
  checkStats,
  checksPage,
  checksSince,
  type MoneyCheckRow,
  ownerRequirement,
  policyInsert,
  policyRow,
} from "../../db/repositories/money.repository";
import { portfolioById } from "../../db/repositories/portfolios.repository";
import { meetingRequirements } from "../../db/requirements";
import type { BlocklistKind, MoneyDecision, ReviewStatus } from "../../db/schema";
import { moneyBlocklist } from "../../db/schema";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { Dec } from "../money/decimal";
import { pageOf, timeCursor } from "../pagination";
import { bodyError } from "../portfolios/access";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import {
  assertOwnerMayMove,
  type CheckedType,
  checkMovement,
  checkReads,
  moverOf,
  screenedCounterparty,
} from "./check";
import { mergePolicy, type PolicyChange, type PolicyInForce, PolicySchema, policyInForce } from "./policy";
import { type CheckResult, type Signals, scoreMovement } from "./scoring";

export interface PolicyView extends PolicyInForce {
  createdAt: Date | null;
}

export async function getPolicy(ctx: TenantContext): Promise<PolicyView> {
  const row = await ctx.readOne((db) => policyRow(db, ctx.tenantId));
  return { ...policyInForce(row[0]), createdAt: row[0]?.createdAt ?? null };
}

/** The policy a change would make: validated whole, or a 422 naming the field. */
function candidate(base: PolicyInForce, change: PolicyChange) {
  const parsed = PolicySchema.safeParse(mergePolicy(base.policy, change));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const pointer = `/policy/${(issue?.path ?? []).join("/")}`;
    throw bodyError("validation_failed", pointer, issue?.message ?? "Invalid policy.");
  }
  return parsed.data;
}

/**
 * A new version of the policy: the change applied over the version it names (`basedOn`, so two
 * administrators cannot overwrite each other's change unseen - 409), the whole validated, written with its audit
 * event in one batch.
 */
export async function changePolicy(ctx: TenantContext, basedOn: number, change: PolicyChange) {
  const current = await getPolicy(ctx);
  if (current.version !== basedOn) {
    throw new AppError(
      "conflict",
      `The policy is at version ${current.version}, not ${basedOn}: read it again and apply the change to it.`,
    );
  }
  const policy = candidate(current, change);
  const at = ctx.now();
  const event = eventOf(ctx, {
    action: "money_policy.changed",
    resourceType: "money_policy",
    resourceId: String(basedOn + 1),
    before: { version: current.version, policy: current.policy },
    after: { version: basedOn + 1, policy },
  });
  const stale = () =>
    new AppError("conflict", "The policy was changed meanwhile: read it again and apply the change to it.");
  await unlessDuplicate(["money_policies_pkey"], stale, () =>
    ctx.write("fraud:manage", null, (db) => ({
      row: read(
        policyInsert(db, ctx.tenantId, {
          basedOn,
          policy,
          createdByType: ctx.actor.type,
          createdBy: ctx.actor.id,
          at,
        }),
      ),
      audit: read(auditEventStatement(db, event)),
    })),
  ).then((written) => {
    if ((written.row as { rows: unknown[] }).rows.length === 0) throw stale();
  });
  ctx.audited += 1;
  return { version: basedOn + 1, policy, createdAt: at };
}

export interface DryRun {
  days: number;
  checks: number;
  current: Record<MoneyDecision, number>;
  candidate: Record<MoneyDecision, number>;
  changed: Array<{
    checkId: string;
    transactionId: string | null;
    at: Date;
    from: MoneyDecision;
    to: CheckResult;
  }>;
}

const DRY_RUN_ROWS = 50_000;

/**
 * What a policy change would have decided over the last `days` (at most 30): each stored check scored again
 * from its own signals under the candidate, against the decision it got. Nothing is written.
 */
export async function dryRun(ctx: TenantContext, change: PolicyChange, days: number): Promise<DryRun> {
  const since = new Date(ctx.now().getTime() - days * 86_400_000);
  const found = await ctx.read((db) => ({
    policy: read(policyRow(db, ctx.tenantId), (rows) => policyInForce(rows[0])),
    checks: read(checksSince(db, ctx.tenantId, since, DRY_RUN_ROWS)),
  }));
  const policy = candidate(found.policy, change);
  const zero = (): Record<MoneyDecision, number> => ({ allow: 0, review: 0, block: 0 });
  const result: DryRun = {
    days,
    checks: found.checks.length,
    current: zero(),
    candidate: zero(),
    changed: [],
  };
  for (const check of found.checks) {
    const rescored = scoreMovement(check.signals as unknown as Signals, policy);
    result.current[check.decision] += 1;
    result.candidate[rescored.decision] += 1;
    if (rescored.decision !== check.decision && result.changed.length < 100) {
      result.changed.push({
        checkId: check.id,
        transactionId: check.transactionId,
        at: check.createdAt,
        from: check.decision,
        to: rescored,
      });
    }
  }
  return result;
}

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

export async function listBlocklist(
  ctx: TenantContext,
  options: { limit: number; cursor?: string | undefined; kind?: BlocklistKind | undefined },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) =>
    blocklistPage(db, ctx.tenantId, { ...options, before, limit: options.limit + 1 }),
  );
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

const IPV4_CIDR = /^(\d{1,3})(\.\d{1,3}){3}(\/([0-9]|[12][0-9]|3[0-2]))?$/;
const IPV6_CIDR = /^[0-9a-f:.]{2,45}(\/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))?$/;
const EMAIL = /^[^\s@]{1,64}@[a-z0-9.-]{1,253}\.[a-z]{2,63}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An entry's value as stored (lower-case), or a 422 saying what the kind expects. */
function entryValue(kind: BlocklistKind, raw: string): string {
  const value = raw.trim().toLowerCase();
  const valid =
    kind === "ip"
      ? (IPV4_CIDR.test(value) &&
          value
            .split("/")[0]
            ?.split(".")
            .every((o) => Number(o) <= 255)) ||
        (value.includes(":") && IPV6_CIDR.test(value))
      : kind === "email"
        ? EMAIL.test(value)
        : kind === "domain"
          ? DOMAIN.test(value)
          : kind === "customer"
            ? UUID.test(value)
            : value.length > 0 && value.length <= 200;
  if (!valid) {
    const expected = {
      ip: "an IPv4 or IPv6 address or network (CIDR), such as 203.0.113.0/24",
      email: "an e-mail address",
      domain: "a domain such as example.com",
      customer: "a customer's id",
      counterparty: "a counterparty's name or account (1-200 characters)",
    }[kind];
    throw bodyError("validation_failed", "/value", `A ${kind} entry is ${expected}.`);
  }
  return value;
}

/** Adds an entry (409 if the tenant has it already); a customer entry must name one of its customers. */
export async function addBlocklistEntry(
  ctx: TenantContext,
  input: { kind: BlocklistKind; value: string; note: string | null },
): Promise<BlocklistRow> {
  const value = entryValue(input.kind, input.value);
  const row = {
    id: crypto.randomUUID(),
    tenantId: ctx.tenantId,
    kind: input.kind,
    value,
    network: input.kind === "ip" ? value : null,
    note: input.note,
    createdByType: ctx.actor.type,
    createdBy: ctx.actor.id,
    createdAt: ctx.now(),
  };
  const event = eventOf(ctx, {
    action: "money_blocklist.added",
    resourceType: "money_blocklist",
    resourceId: row.id,
    after: { kind: row.kind, value: row.value, note: row.note },
  });
  const duplicate = () => new AppError("conflict", `The blocklist already holds this ${input.kind}.`);
  const noCustomer = () => bodyError("not_found", "/value", "No such customer.");
  const written = await unlessDuplicate(["money_blocklist_entry_key"], duplicate, () =>
    meetingRequirements({ no_customer: noCustomer }, () =>
      ctx.write("fraud:manage", null, (db) => ({
        ...(input.kind === "customer"
          ? { customer: read(ownerRequirement(db, ctx.tenantId, value, "no_customer")) }
          : {}),
        row: read(db.insert(moneyBlocklist).values(row).returning(), (rows) => rows[0]),
        audit: read(auditEventStatement(db, event)),
      })),
    ),
  );
  ctx.audited += 1;
  if (!written.row) throw new Error("blocklist insert returned nothing");
  return written.row;
}

/** Removes an entry, with its audit event, in one batch (404 if there is none). */
export async function removeBlocklistEntry(ctx: TenantContext, id: string): Promise<void> {
  const written = await ctx.write("fraud:manage", null, (db) => ({
    row: read(blocklistDelete(db, ctx.tenantId, id), (rows) => rows[0]),
    audit: read(
      auditEventStatement(
        db,
        eventOf(ctx, { action: "money_blocklist.removed", resourceType: "money_blocklist", resourceId: id }),
      ),
    ),
  }));
  if (!written.row) throw new AppError("not_found", "No such blocklist entry.");
  ctx.audited += 1;
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
