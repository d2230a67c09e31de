import type { RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { concludePending, reverseTransaction as reverse } from "../../services/portfolios/lifecycle";
import { getPortfolioTransaction, listPortfolioTransactions } from "../../services/portfolios/queries";
import {
  createTransaction as create,
  type PostedTransaction,
  type TransactionInput,
} from "../../services/portfolios/transactions";
import { answered, refusalAnswer } from "../idempotent";
import { pageBody } from "../page";
import { pendingAsked } from "./schemas";
import type * as routes from "./transactions.routes";
import { toTransactionView } from "./views";

type Body = {
  type: TransactionInput["type"];
  asset_id?: string | undefined;
  quantity?: string | undefined;
  price?: string | undefined;
  fees?: string | undefined;
  amount?: string | undefined;
  currency?: string | undefined;
  executed_at?: string | undefined;
  note?: string | undefined;
  counterparty?: string | undefined;
  settle?: boolean | undefined;
  status?: string | undefined;
};

const inputOf = (body: Body): TransactionInput => ({
  type: body.type,
  assetId: body.asset_id,
  quantity: body.quantity,
  price: body.price,
  fees: body.fees,
  amount: body.amount,
  currency: body.currency,
  executedAt: body.executed_at ? new Date(body.executed_at) : undefined,
  note: body.note || undefined,
  counterparty: body.counterparty,
  pending: pendingAsked(body),
});

/** How a posted transaction and a refusal are answered, decided before the write is made. */
const answers = (c: Context<AppEnv>) => ({
  posted: (transaction: PostedTransaction, status: 200 | 201) => ({
    status,
    body: JSON.stringify(toTransactionView(transaction)),
    contentType: "application/json",
  }),
  refusal: refusalAnswer(c),
});

const post = async (c: Context<AppEnv>, portfolioId: string, body: Body) => {
  const answer = await create(tenantOf(c), portfolioId, inputOf(body), {
    stalenessSeconds: c.get("config").PRICE_STALENESS_SECONDS,
    idempotency: c.get("idempotency"),
    answers: answers(c),
    files: c.get("context").files,
  });
  return answered(c, answer);
};

export const createTransaction: RouteHandler<typeof routes.createTransaction, AppEnv> = async (c) =>
  post(c, c.req.valid("param").id, c.req.valid("json"));

export const buy: RouteHandler<typeof routes.buy, AppEnv> = async (c) => {
  const { portfolio_id, ...order } = c.req.valid("json");
  return post(c, portfolio_id, { type: "buy", ...order });
};

export const sell: RouteHandler<typeof routes.sell, AppEnv> = async (c) => {
  const { portfolio_id, ...order } = c.req.valid("json");
  return post(c, portfolio_id, { type: "sell", ...order });
};

export const listTransactions: RouteHandler<typeof routes.listTransactions, AppEnv> = async (c) => {
  const { limit, cursor, type, asset_id, status, from, to } = c.req.valid("query");
  const page = await listPortfolioTransactions(tenantOf(c), c.req.valid("param").id, {
    limit,
    cursor,
    type,
    assetId: asset_id,
    status,
    from: from ? new Date(from) : undefined,
    to: to ? new Date(to) : undefined,
  });
  return c.json(pageBody(page, toTransactionView), 200);
};

export const getTransaction: RouteHandler<typeof routes.getTransaction, AppEnv> = async (c) => {
  const { id, tid } = c.req.valid("param");
  return c.json(toTransactionView(await getPortfolioTransaction(tenantOf(c), id, tid)), 200);
};

const changed = (c: Context<AppEnv>) => ({ idempotency: c.get("idempotency"), answers: answers(c) });

export const settleTransaction: RouteHandler<typeof routes.settleTransaction, AppEnv> = async (c) => {
  const { id, tid } = c.req.valid("param");
  return answered(c, await concludePending(tenantOf(c), id, tid, "settled", changed(c)));
};

export const cancelTransaction: RouteHandler<typeof routes.cancelTransaction, AppEnv> = async (c) => {
  const { id, tid } = c.req.valid("param");
  return answered(c, await concludePending(tenantOf(c), id, tid, "cancelled", changed(c)));
};

export const approveTransaction: RouteHandler<typeof routes.approveTransaction, AppEnv> = async (c) => {
  const { id, tid } = c.req.valid("param");
  const { note } = c.req.valid("json");
  return answered(
    c,
    await concludePending(tenantOf(c), id, tid, "settled", changed(c), { note: note ?? null }),
  );
};

export const rejectTransaction: RouteHandler<typeof routes.rejectTransaction, AppEnv> = async (c) => {
  const { id, tid } = c.req.valid("param");
  const { note } = c.req.valid("json");
  return answered(
    c,
    await concludePending(tenantOf(c), id, tid, "cancelled", changed(c), { note: note ?? null }),
  );
};

export const reverseTransaction: RouteHandler<typeof routes.reverseTransaction, AppEnv> = async (c) => {
  const { id, tid } = c.req.valid("param");
  return answered(c, await reverse(tenantOf(c), id, tid, changed(c)));
};
