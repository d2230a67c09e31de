import { z } from "@hono/zod-openapi";
import { defineRoute, jsonContent } from "../../openapi";
import { ACCOUNT_KINDS } from "../../services/portfolios/types";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Portfolio analytics"];
const Money = z.string().openapi({ description: "Decimal string in the portfolio's currency." });
const Ratio = z
  .string()
  .nullable()
  .openapi({ description: "Decimal ratio (0.1 is 10%); null when undefined." });

const PositionSchema = z.object({
  asset_id: z.uuid(),
  symbol: z.string(),
  name: z.string(),
  quantity: z.string(),
  reserved: z.string().openapi({ description: "Held by pending sells." }),
  available: z.string(),
  average_cost: z
    .string()
    .nullable()
    .openapi({ description: "Weighted average cost per unit, fees included." }),
  cost_basis: Money,
  price: z.string().nullable(),
  price_at: z.iso.datetime().nullable(),
  price_source: z.enum(["stored", "trade"]).nullable(),
  market_value: Money.nullable(),
  unrealized_pnl: Money.nullable(),
  weight: Ratio,
});

export const getHoldings = defineRoute({
  method: "get",
  path: "/api/v1/portfolios/{id}/holdings",
  "x-rate-limit": "portfolio",
  tags,
  ...secured("portfolios:read", { standingInBatch: true }),
  summary: "Positions at weighted average cost and latest price, with P&L and weights, and cash.",
  request: { params: IdParam },
  responses: {
    200: {
      description: "The holdings.",
      ...jsonContent(
        z
          .object({
            portfolio_id: z.uuid(),
            currency: z.string(),
            cash: z.object({ balance: Money, reserved: Money, available: Money, weight: Ratio }),
            positions: z.array(PositionSchema),
            positions_value: Money,
            total_value: Money,
            cost_basis: Money,
            unrealized_pnl: Money,
          })
          .openapi("Holdings"),
      ),
    },
  },
});

export const getPerformance = defineRoute({
  method: "get",
  path: "/api/v1/portfolios/{id}/performance",
  "x-rate-limit": "portfolio",
  tags,
  ...secured("portfolios:read", { standingInBatch: true }),
  summary:
    "Time-weighted and money-weighted (XIRR, annual) returns, realized and unrealized P&L, dividends and fees over whole UTC days.",
  request: {
    params: IdParam,
    query: z.object({
      from: z.iso
        .date()
        .optional()
        .openapi({ description: "First day; the first transaction's by default." }),
      to: z.iso.date().optional().openapi({ description: "Last day, inclusive; today by default." }),
    }),
  },
  responses: {
    200: {
      description: "The performance.",
      ...jsonContent(
        z
          .object({
            portfolio_id: z.uuid(),
            currency: z.string(),
            from: z.iso.date(),
            to: z.iso.date(),
            start_value: Money,
            end_value: Money,
            deposits: Money,
            withdrawals: Money,
            time_weighted_return: Ratio,
            money_weighted_return: Ratio,
            realized_pnl: Money,
            unrealized_pnl: Money,
            dividends: Money,
            fees: Money,
          })
          .openapi("Performance"),
      ),
    },
  },
});

const PostingSchema = z
  .object({
    seq: z.number().int(),
    transaction_id: z.uuid(),
    account_id: z.uuid(),
    account_kind: z.enum(ACCOUNT_KINDS),
    unit: z.string().openapi({ description: "A currency code, or the asset id for units of an asset." }),
    side: z.enum(["debit", "credit"]),
    amount: z.string(),
    created_at: z.iso.datetime(),
  })
  .openapi("Posting");

export const getLedger = defineRoute({
  method: "get",
  path: "/api/v1/portfolios/{id}/ledger",
  "x-rate-limit": "portfolio",
  tags,
  ...secured("portfolios:read", { standingInBatch: true }),
  summary: "The portfolio's journal: every double-entry posting, newest first.",
  request: { params: IdParam, query: PageQuery.extend({ transaction_id: z.uuid().optional() }) },
  responses: { 200: { description: "A page of postings.", ...jsonContent(pageSchema(PostingSchema)) } },
});

export const getLedgerAccounts = defineRoute({
  method: "get",
  path: "/api/v1/portfolios/{id}/ledger/accounts",
  "x-rate-limit": "portfolio",
  tags,
  ...secured("portfolios:read", { standingInBatch: true }),
  summary:
    "The portfolio's ledger accounts: balance (debits minus credits) and what pending transactions hold.",
  request: { params: IdParam },
  responses: {
    200: {
      description: "The accounts.",
      ...jsonContent(
        z.object({
          items: z.array(
            z.object({
              id: z.uuid(),
              kind: z.enum(ACCOUNT_KINDS),
              unit: z.string(),
              balance: z.string(),
              reserved: z.string(),
              may_go_negative: z.boolean(),
            }),
          ),
        }),
      ),
    },
  },
});
