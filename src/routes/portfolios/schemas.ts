import { z } from "@hono/zod-openapi";
import { TRANSACTION_STATUSES, TRANSACTION_TYPES } from "../../services/portfolios/types";
import { CurrencyCode, DecimalString, Instant, PositiveDecimal } from "../decimal";
import { IdParam, uuidParam } from "../params";

export const TransactionParams = IdParam.extend({ tid: uuidParam("tid") });

export const PortfolioSchema = z
  .object({
    id: z.uuid(),
    organization_id: z.uuid(),
    owner_id: z.uuid().nullable(),
    customer_id: z.uuid().nullable().openapi({
      description:
        "The account holder (a customer); null for a house portfolio. Its KYC standing decides, by the tenant's policy, whether money may move.",
    }),
    name: z.string(),
    base_currency: z.string(),
    allow_negative_cash: z.boolean(),
    status: z.enum(["active", "archived"]),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("Portfolio");

export const TransactionSchema = z
  .object({
    id: z.uuid(),
    portfolio_id: z.uuid(),
    type: z.enum(TRANSACTION_TYPES),
    status: z.enum(TRANSACTION_STATUSES),
    asset_id: z.uuid().nullable(),
    symbol: z.string().nullable(),
    quantity: z.string().nullable(),
    price: z.string().nullable(),
    price_source: z.enum(["given", "stored"]).nullable(),
    amount: z.string().openapi({ description: "Cash moved: quantity x price for trades (before fees)." }),
    fees: z.string(),
    currency: z.string(),
    executed_at: z.iso.datetime(),
    note: z.string().nullable(),
    reversal_of: z.uuid().nullable(),
    reversed_by: z.uuid().nullable(),
    created_at: z.iso.datetime(),
    settled_at: z.iso.datetime().nullable(),
    cancelled_at: z.iso.datetime().nullable(),
    check: z
      .object({
        id: z.uuid(),
        decision: z.enum(["allow", "review"]),
        score: z.number().int().min(0).max(100),
      })
      .optional()
      .openapi({
        description:
          "The money check a buy, sell, deposit or withdrawal passed when it was posted. `review`: it was posted pending, holding what it takes, until an analyst approves or rejects it.",
      }),
  })
  .openapi("Transaction");

const Lifecycle = {
  executed_at: Instant.optional().openapi({
    description: "Trade or value date; now if omitted; not in the future.",
  }),
  note: z.string().trim().max(500).optional(),
  settle: z
    .boolean()
    .optional()
    .openapi({ description: "false: post it pending (reserving what it takes)." }),
  status: z
    .enum(["pending", "settled"])
    .optional()
    .openapi({ description: "Same as `settle`; settled by default." }),
};

/** The fields of a buy or a sell. */
export const TradeFields = {
  asset_id: z.uuid(),
  quantity: PositiveDecimal("10", "Within the asset's quantity precision."),
  price: PositiveDecimal(
    "187.25",
    "Per unit; omitted: the latest stored price, if recent enough.",
  ).optional(),
  fees: DecimalString("1.00", "In the portfolio's currency; 0 if omitted.").optional(),
  ...Lifecycle,
};

const trade = <T extends "buy" | "sell">(type: T) =>
  z.object({ type: z.literal(type), ...TradeFields }).strict();
const CashFields = {
  amount: PositiveDecimal("1000.00", "In the portfolio's currency, within its minor unit."),
  counterparty: z.string().trim().min(1).max(200).optional().openapi({
    description:
      "Who the cash comes from or goes to (a name or an account); checked against the tenant's blocklist.",
    example: "DE89370400440532013000",
  }),
  currency: CurrencyCode.optional().openapi({ description: "Must be the portfolio's base currency." }),
  ...Lifecycle,
};
const cash = <T extends "deposit" | "withdrawal">(type: T) =>
  z.object({ type: z.literal(type), ...CashFields }).strict();
/** Dividends and fees may name the asset they concern. */
const income = <T extends "dividend" | "fee">(type: T) =>
  z.object({ type: z.literal(type), asset_id: z.uuid().optional(), ...CashFields }).strict();

/** `settle` and `status` say the same thing; together they must agree. */
export const pendingAsked = (body: { settle?: boolean | undefined; status?: string | undefined }) =>
  body.settle === false || body.status === "pending";
const agree = (body: { settle?: boolean | undefined; status?: string | undefined }, ctx: z.RefinementCtx) => {
  if (body.settle !== undefined && body.status !== undefined && body.settle !== (body.status === "settled")) {
    ctx.addIssue({ code: "custom", path: ["status"], message: "contradicts settle" });
  }
};

export const NewTransaction = z
  .discriminatedUnion("type", [
    trade("buy"),
    trade("sell"),
    cash("deposit"),
    cash("withdrawal"),
    income("dividend"),
    income("fee"),
  ])
  .superRefine(agree)
  .openapi("NewTransaction");

/** The seeds' shortcuts: a buy or sell naming its portfolio in the body. */
export const TradeOrder = z
  .object({ portfolio_id: z.uuid(), ...TradeFields })
  .strict()
  .superRefine(agree)
  .openapi("TradeOrder");
