import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { TRANSACTION_STATUSES, TRANSACTION_TYPES } from "../../services/portfolios/types";
import { Instant } from "../decimal";
import { IdempotencyHeaders, securedIdempotent } from "../idempotent";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";
import { NewTransaction, TradeOrder, TransactionParams, TransactionSchema } from "./schemas";

const tags = ["Transactions"];
const posted = { description: "The transaction.", ...jsonContent(TransactionSchema) };
const refusals = { 404: problems[404], 409: problems[409], 422: problems[422] };

export const createTransaction = defineRoute({
  method: "post",
  path: "/api/v1/portfolios/{id}/transactions",
  "x-rate-limit": "portfolio",
  tags,
  ...securedIdempotent("portfolios:write"),
  summary:
    "Post a buy, sell, deposit, withdrawal, dividend or fee - settled at once, or pending (`settle: false`) with what it takes held in reserve. Refused (422) when it would overdraw cash or sell more than is held.",
  request: { params: IdParam, headers: IdempotencyHeaders, body: jsonBody(NewTransaction) },
  responses: { 201: posted, ...refusals },
});

const order = (side: "buy" | "sell") =>
  defineRoute({
    method: "post",
    path: `/api/v1/portfolio/${side}`,
    "x-rate-limit": "portfolio",
    tags,
    ...securedIdempotent("portfolios:write"),
    summary: `${side === "buy" ? "Buy" : "Sell"} an asset in the portfolio named by \`portfolio_id\`: the same as posting a ${side} transaction.`,
    request: { headers: IdempotencyHeaders, body: jsonBody(TradeOrder) },
    responses: { 201: posted, ...refusals },
  });
export const buy = order("buy");
export const sell = order("sell");

export const listTransactions = defineRoute({
  method: "get",
  path: "/api/v1/portfolios/{id}/transactions",
  "x-rate-limit": "portfolio",
  tags,
  ...secured("portfolios:read", { standingInBatch: true }),
  summary: "The portfolio's transactions, most recently executed first.",
  request: {
    params: IdParam,
    query: PageQuery.extend({
      type: z.enum(TRANSACTION_TYPES).optional(),
      asset_id: z.uuid().optional(),
      status: z.enum(TRANSACTION_STATUSES).optional(),
      from: Instant.optional().openapi({ description: "Executed at or after." }),
      to: Instant.optional().openapi({ description: "Executed at or before." }),
    }),
  },
  responses: {
    200: { description: "A page of transactions.", ...jsonContent(pageSchema(TransactionSchema)) },
  },
});

export const getTransaction = defineRoute({
  method: "get",
  path: "/api/v1/portfolios/{id}/transactions/{tid}",
  "x-rate-limit": "portfolio",
  tags,
  ...secured("portfolios:read", { standingInBatch: true }),
  summary: "One transaction.",
  request: { params: TransactionParams },
  responses: { 200: posted },
});

const conclude = (action: "settle" | "cancel", summary: string) =>
  defineRoute({
    method: "post",
    path: `/api/v1/portfolios/{id}/transactions/{tid}/${action}`,
    "x-rate-limit": "portfolio",
    tags,
    ...securedIdempotent("portfolios:write"),
    summary,
    request: { params: TransactionParams, headers: IdempotencyHeaders },
    responses: { 200: posted, 409: problems[409], 422: problems[422] },
  });

export const settleTransaction = conclude("settle", "Settle a pending transaction: its entries are posted.");
export const cancelTransaction = conclude(
  "cancel",
  "Cancel a pending transaction: its reserve is released and nothing is posted.",
);
const review = (action: "approve" | "reject", summary: string) =>
  defineRoute({
    method: "post",
    path: `/api/v1/portfolios/{id}/transactions/{tid}/${action}`,
    "x-rate-limit": "portfolio",
    tags,
    ...securedIdempotent("fraud:review"),
    summary,
    request: {
      params: TransactionParams,
      headers: IdempotencyHeaders,
      body: jsonBody(
        z
          .object({ note: z.string().trim().min(1).max(1000).optional() })
          .strict()
          .openapi({ description: "Why: kept with the decision and in the audit trail." }),
      ),
    },
    responses: { 200: posted, 403: problems[403], 409: problems[409], 422: problems[422] },
  });

export const approveTransaction = review(
  "approve",
  "Approve a movement the money check held for review: it settles. Never by its poster.",
);
export const rejectTransaction = review(
  "reject",
  "Reject a movement the money check held for review: it is cancelled and what it held is released. Never by its poster.",
);

export const reverseTransaction = defineRoute({
  method: "post",
  path: "/api/v1/portfolios/{id}/transactions/{tid}/reverse",
  "x-rate-limit": "portfolio",
  tags,
  ...securedIdempotent("portfolios:write"),
  summary:
    "Correct a settled transaction: post a new one whose entries mirror it, linked by `reversal_of`. The original is never changed.",
  request: { params: TransactionParams, headers: IdempotencyHeaders },
  responses: {
    201: { description: "The reversing transaction.", ...jsonContent(TransactionSchema) },
    409: problems[409],
    422: problems[422],
  },
});
