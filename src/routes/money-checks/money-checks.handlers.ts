import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { AppError } from "../../errors";
import { tenantOf } from "../../middleware/authorize";
import * as admin from "../../services/money-checks/admin";
import * as blocklist from "../../services/money-checks/blocklist";
import type { PolicyChange } from "../../services/money-checks/policy";
import * as policies from "../../services/money-checks/policy-changes";
import { pageBody } from "../page";
import type * as blocklistRoutes from "./blocklist.routes";
import type * as routes from "./money-checks.routes";

const iso = (date: Date | null) => date?.toISOString() ?? null;

const policyView = (view: policies.PolicyView): z.infer<typeof routes.PolicyViewSchema> => ({
  version: view.version,
  policy: view.policy,
  created_at: iso(view.createdAt),
});

type CheckRow = Awaited<ReturnType<typeof admin.getCheck>>;

const checkView = (row: CheckRow): z.infer<typeof routes.CheckSchema> => ({
  id: row.id,
  portfolio_id: row.portfolioId,
  customer_id: row.customerId,
  transaction_id: row.transactionId,
  type: row.type,
  amount: row.amount,
  currency: row.currency,
  actor_type: row.actorType,
  actor_id: row.actorId,
  ip: row.ip,
  country: row.country,
  counterparty: row.counterparty,
  score: row.score,
  decision: row.decision,
  reasons: row.reasons,
  signals: row.signals,
  policy_version: row.policyVersion,
  review_status: row.reviewStatus,
  reviewed_by: row.reviewedBy,
  reviewed_at: iso(row.reviewedAt),
  review_note: row.reviewNote,
  created_at: row.createdAt.toISOString(),
});

type EntryRow = Awaited<ReturnType<typeof blocklist.addBlocklistEntry>>;

const entryView = (row: EntryRow): z.infer<typeof blocklistRoutes.BlocklistEntrySchema> => ({
  id: row.id,
  kind: row.kind,
  value: row.value,
  note: row.note,
  created_by_type: row.createdByType,
  created_by: row.createdBy,
  created_at: row.createdAt.toISOString(),
});

export const getPolicy: RouteHandler<typeof routes.getPolicy, AppEnv> = async (c) =>
  c.json(policyView(await policies.getPolicy(tenantOf(c))), 200);

export const changePolicy: RouteHandler<typeof routes.changePolicy, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const view = await policies.changePolicy(tenantOf(c), body.based_on, body.policy as PolicyChange);
  return c.json(policyView(view), 200);
};

export const dryRunPolicy: RouteHandler<typeof routes.dryRunPolicy, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const run = await policies.dryRun(tenantOf(c), body.policy as PolicyChange, body.days);
  return c.json(
    {
      days: run.days,
      checks: run.checks,
      current: run.current,
      candidate: run.candidate,
      changed: run.changed.map((item) => ({
        check_id: item.checkId,
        transaction_id: item.transactionId,
        at: item.at.toISOString(),
        from: item.from,
        to: item.to.decision,
        score: item.to.score,
        reasons: item.to.reasons,
      })),
    },
    200,
  );
};

export const listChecks: RouteHandler<typeof routes.listChecks, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const page = await admin.listChecks(tenantOf(c), {
    limit: q.limit,
    cursor: q.cursor,
    decision: q.decision,
    reviewStatus: q.review_status,
    customerId: q.customer_id,
    portfolioId: q.portfolio_id,
  });
  return c.json(pageBody(page, checkView), 200);
};

export const getCheck: RouteHandler<typeof routes.getCheck, AppEnv> = async (c) =>
  c.json(checkView(await admin.getCheck(tenantOf(c), c.req.valid("param").id)), 200);

export const listBlocklist: RouteHandler<typeof blocklistRoutes.listBlocklist, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const page = await blocklist.listBlocklist(tenantOf(c), { limit: q.limit, cursor: q.cursor, kind: q.kind });
  return c.json(pageBody(page, entryView), 200);
};

export const addBlocklistEntry: RouteHandler<typeof blocklistRoutes.addBlocklistEntry, AppEnv> = async (
  c,
) => {
  const body = c.req.valid("json");
  const row = await blocklist.addBlocklistEntry(tenantOf(c), {
    kind: body.kind,
    value: body.value,
    note: body.note ?? null,
  });
  return c.json(entryView(row), 201);
};

export const removeBlocklistEntry: RouteHandler<typeof blocklistRoutes.removeBlocklistEntry, AppEnv> = async (
  c,
) => {
  await blocklist.removeBlocklistEntry(tenantOf(c), c.req.valid("param").id);
  return c.body(null, 204);
};

export const fraudCheck: RouteHandler<typeof routes.fraudCheck, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const preview = await admin.previewCheck(tenantOf(c), c.get("context").files, {
    portfolioId: body.portfolio_id,
    type: body.type,
    amount: body.amount,
    counterparty: body.counterparty ?? null,
  });
  return c.json(
    {
      score: preview.result.score,
      decision: preview.result.decision,
      reasons: preview.result.reasons,
      policy_version: preview.policyVersion,
      owner_refusal: preview.ownerRefusal,
      signals: preview.signals as unknown as Record<string, unknown>,
    },
    200,
  );
};

export const riskScore: RouteHandler<typeof routes.riskScore, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  if (q.customer_id !== undefined && q.user_id !== undefined) {
    throw new AppError("invalid_parameters", "Name one subject: customer_id or user_id.", {
      errors: [{ location: "query", pointer: "user_id", message: "not with customer_id", code: "invalid" }],
    });
  }
  const ctx = tenantOf(c);
  const score = await admin.riskScore(
    ctx,
    q.customer_id
      ? { customerId: q.customer_id }
      : q.user_id
        ? { actor: { type: "user", id: q.user_id } }
        : { actor: ctx.actor },
  );
  return c.json(
    {
      subject: score.subject,
      score: score.score,
      rating: score.rating,
      factors: score.factors,
      checks: {
        days: score.checks.days,
        total: score.checks.total,
        held: score.checks.held,
        blocked: score.checks.blocked,
        max_score: score.checks.maxScore,
        last_at: score.checks.lastAt,
      },
    },
    200,
  );
};
