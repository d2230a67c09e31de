import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { MONEY_DECISIONS, PolicySchema, REVIEW_STATUSES } from "../../services/money-checks/types";
import { PositiveDecimal } from "../decimal";
import { text } from "../fields";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Money checks"];

const Policy = PolicySchema.openapi("MoneyPolicy");

export const PolicyViewSchema = z
  .object({
    version: z.number().int().openapi({ description: "0: the defaults, never changed." }),
    policy: Policy,
    created_at: z.iso.datetime().nullable(),
  })
  .openapi("MoneyPolicyVersion");

const PolicyChange = z.record(z.string(), z.unknown()).openapi({
  description:
    "Any part of the policy: what it names replaces the value in force (objects are merged), the rest is kept; the result is validated whole.",
  example: { review_at: 40, rules: { velocity_count: { max: 20 } } },
});

export const getPolicy = defineRoute({
  method: "get",
  path: "/api/v1/security/policy",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("fraud:read", { standingInBatch: true }),
  summary:
    "The money-movement policy in force: unverified owners, the check's rules and thresholds, the CTR.",
  responses: { 200: { description: "The policy and its version.", ...jsonContent(PolicyViewSchema) } },
});

export const changePolicy = defineRoute({
  method: "put",
  path: "/api/v1/security/policy",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("fraud:manage"),
  summary:
    "Change the policy: a new version, made only over the version named in `based_on` (409 otherwise), audited with the policy before and after.",
  request: {
    body: jsonBody(
      z
        .object({
          based_on: z.number().int().min(0).openapi({ description: "The version the change was made on." }),
          policy: PolicyChange,
        })
        .strict(),
    ),
  },
  responses: {
    200: { description: "The new version.", ...jsonContent(PolicyViewSchema) },
    409: problems[409],
    422: problems[422],
  },
});

const Reason = z
  .object({ code: z.string(), points: z.number().int(), detail: z.string() })
  .openapi("CheckReason");

export const dryRunPolicy = defineRoute({
  method: "post",
  path: "/api/v1/security/policy/dry-run",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("fraud:read", { standingInBatch: true }),
  summary:
    "What a policy change would have decided: the last days' checks (at most 30) scored again from their own signals. Nothing is written.",
  request: {
    body: jsonBody(
      z.object({ policy: PolicyChange, days: z.number().int().min(1).max(30).default(30) }).strict(),
    ),
  },
  responses: {
    200: {
      description:
        "Decisions now and under the change, and the checks whose decision would change (at most 100).",
      ...jsonContent(
        z
          .object({
            days: z.number().int(),
            checks: z.number().int(),
            current: z.record(z.enum(MONEY_DECISIONS), z.number().int()),
            candidate: z.record(z.enum(MONEY_DECISIONS), z.number().int()),
            changed: z.array(
              z.object({
                check_id: z.uuid(),
                transaction_id: z.uuid().nullable(),
                at: z.iso.datetime(),
                from: z.enum(MONEY_DECISIONS),
                to: z.enum(MONEY_DECISIONS),
                score: z.number().int(),
                reasons: z.array(Reason),
              }),
            ),
          })
          .openapi("PolicyDryRun"),
      ),
    },
    422: problems[422],
  },
});

export const CheckSchema = z
  .object({
    id: z.uuid(),
    portfolio_id: z.uuid(),
    customer_id: z.uuid().nullable(),
    transaction_id: z.uuid().nullable().openapi({ description: "null: the movement was blocked." }),
    type: z.string(),
    amount: z.string(),
    currency: z.string(),
    actor_type: z.string(),
    actor_id: z.string(),
    ip: z.string().nullable(),
    country: z.string().nullable(),
    counterparty: z.string().nullable(),
    score: z.number().int(),
    decision: z.enum(MONEY_DECISIONS),
    reasons: z.array(Reason),
    signals: z.record(z.string(), z.unknown()).openapi({ description: "The facts it was scored on." }),
    policy_version: z.number().int(),
    review_status: z.enum(REVIEW_STATUSES).nullable(),
    reviewed_by: z.string().nullable(),
    reviewed_at: z.iso.datetime().nullable(),
    review_note: z.string().nullable(),
    created_at: z.iso.datetime(),
  })
  .openapi("MoneyCheck");

export const listChecks = defineRoute({
  method: "get",
  path: "/api/v1/security/checks",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("fraud:read", { standingInBatch: true }),
  summary:
    "Money checks, newest first: `review_status=held` is the review queue (approve or reject each through its transaction).",
  request: {
    query: PageQuery.extend({
      decision: z.enum(MONEY_DECISIONS).optional(),
      review_status: z.enum(REVIEW_STATUSES).optional(),
      customer_id: z.uuid().optional(),
      portfolio_id: z.uuid().optional(),
    }),
  },
  responses: { 200: { description: "A page of checks.", ...jsonContent(pageSchema(CheckSchema)) } },
});

export const getCheck = defineRoute({
  method: "get",
  path: "/api/v1/security/checks/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("fraud:read", { standingInBatch: true }),
  summary: "One money check, with its reasons and the facts it was scored on.",
  request: { params: IdParam },
  responses: { 200: { description: "The check.", ...jsonContent(CheckSchema) } },
});

export const fraudCheck = defineRoute({
  method: "post",
  path: "/api/v1/security/fraud-check",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("fraud:read", { standingInBatch: true }),
  summary:
    "The check a movement would get now - the same facts and rules - without posting it or recording anything.",
  request: {
    body: jsonBody(
      z
        .object({
          portfolio_id: z.uuid(),
          type: z.enum(["buy", "sell", "deposit", "withdrawal"]),
          amount: PositiveDecimal("2500.00", "The cash the movement would move."),
          counterparty: text(200).optional(),
        })
        .strict(),
    ),
  },
  responses: {
    200: {
      description: "The score, decision and reasons.",
      ...jsonContent(
        z
          .object({
            score: z.number().int(),
            decision: z.enum(MONEY_DECISIONS),
            reasons: z.array(Reason),
            policy_version: z.number().int(),
            owner_refusal: z
              .string()
              .nullable()
              .openapi({ description: "Set when the owner's KYC standing alone would refuse the movement." }),
            signals: z.record(z.string(), z.unknown()),
          })
          .openapi("FraudCheck"),
      ),
    },
    422: problems[422],
  },
});

export const riskScore = defineRoute({
  method: "get",
  path: "/api/v1/security/risk-score",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("fraud:read", { standingInBatch: true }),
  summary:
    "A customer's or a user's current risk: the customer's rating with what its money checks of the last 30 days found (for a user, its checks as the one moving money). Neither named: the caller's own.",
  request: {
    query: z.object({ customer_id: z.uuid().optional(), user_id: z.uuid().optional() }),
  },
  responses: {
    200: {
      description: "The score and its factors.",
      ...jsonContent(
        z
          .object({
            subject: z.object({ type: z.enum(["customer", "user", "api_key"]), id: z.string() }),
            score: z.number().int().min(0).max(100),
            rating: z.enum(["low", "medium", "high"]),
            factors: z.array(z.object({ factor: z.string(), points: z.number().int() })),
            checks: z.object({
              days: z.number().int(),
              total: z.number().int(),
              held: z.number().int(),
              blocked: z.number().int(),
              max_score: z.number().int().nullable(),
              last_at: z.string().nullable(),
            }),
          })
          .openapi("RiskScore"),
      ),
    },
    400: problems[400],
  },
});
