/**
 * The tenant's money-movement policy as administrators read and change it: each change a new version made only
 * over the version it names, validated whole and audited with the policy before and after; and the dry run that
 * replays a candidate change over the last days' stored checks before it is made. Each one round trip (a change:
 * the version read, then one batch with its audit event).
 */
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { checksSince, policyInsert, policyRow } from "../../db/repositories/money.repository";
import type { MoneyDecision } from "../../db/schema";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { bodyError } from "../portfolios/access";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
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
