import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { Dec, formatPrice } from "../../services/money/decimal";
import * as prices from "../../services/portfolios/prices";
import type { PricePoint } from "../../services/portfolios/types";
import { answered, refusalAnswer } from "../idempotent";
import { pageBody } from "../page";
import type * as routes from "./prices.routes";

const toPointView = (row: Pick<PricePoint, "price" | "at" | "source">) => ({
  price: formatPrice(new Dec(row.price)),
  at: row.at.toISOString(),
  source: row.source,
});

export const ingestPrices: RouteHandler<typeof routes.ingestPrices, AppEnv> = async (c) => {
  const { items } = c.req.valid("json");
  const answer = await prices.ingestPrices(
    tenantOf(c),
    items.map((item) => ({ ...item, at: new Date(item.at) })),
    {
      idempotency: c.get("idempotency"),
      answers: {
        ingested: (summary) => ({
          status: 200,
          body: JSON.stringify(summary),
          contentType: "application/json",
        }),
        refusal: refusalAnswer(c),
      },
    },
  );
  return answered(c, answer);
};

export const getPrices: RouteHandler<typeof routes.getPrices, AppEnv> = async (c) => {
  const { symbol } = c.req.valid("param");
  const { from, to, limit, cursor } = c.req.valid("query");
  const result = await prices.pricesOf(tenantOf(c), symbol, {
    from: from ? new Date(from) : undefined,
    to: to ? new Date(to) : undefined,
    limit,
    cursor,
  });
  return c.json(
    {
      symbol: result.asset.symbol,
      asset_id: result.asset.id,
      currency: result.asset.currency,
      latest: result.latest ? toPointView(result.latest) : null,
      ...pageBody(result.history, toPointView),
    },
    200,
  );
};
