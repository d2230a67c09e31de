import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { Ticker } from "../assets/assets.routes";
import { CurrencyCode, Instant, PositiveDecimal } from "../decimal";
import { IdempotencyHeaders, securedIdempotent } from "../idempotent";
import { PageQuery, pageSchema } from "../page";
import { secured } from "../secured";

const tags = ["Prices"];
export const MAX_PRICE_ITEMS = 1000;

const PriceItem = z
  .object({
    symbol: Ticker,
    price: PositiveDecimal("187.2500"),
    currency: CurrencyCode,
    at: Instant.openapi({ description: "When the price was observed (kept to the millisecond)." }),
  })
  .strict();

export const PricePointSchema = z
  .object({ price: z.string(), at: z.iso.datetime(), source: z.enum(["api", "feed"]) })
  .openapi("PricePoint");

export const ingestPrices = defineRoute({
  method: "post",
  path: "/api/v1/prices",
  "x-rate-limit": "prices",
  tags,
  ...securedIdempotent("prices:write"),
  summary:
    "Record a batch of prices, all or nothing. Each (asset, instant) is recorded once: the same price again is a no-op, a different one is 409 (prices are never rewritten).",
  request: {
    headers: IdempotencyHeaders,
    body: jsonBody(z.object({ items: z.array(PriceItem).min(1).max(MAX_PRICE_ITEMS) }).strict()),
  },
  responses: {
    200: {
      description: "What the batch did.",
      ...jsonContent(
        z.object({
          received: z.number().int(),
          inserted: z.number().int(),
          unchanged: z.number().int().openapi({ description: "Already recorded with the same price." }),
        }),
      ),
    },
    404: problems[404],
    409: problems[409],
  },
});

export const getPrices = defineRoute({
  method: "get",
  path: "/api/v1/prices/{symbol}",
  "x-rate-limit": "prices",
  tags,
  ...secured("assets:read", { standingInBatch: true }),
  summary:
    "An asset's latest price and, when `from` or `to` is given, its prices in that range (newest first).",
  request: {
    params: z.object({ symbol: Ticker.openapi({ param: { name: "symbol", in: "path" } }) }),
    query: PageQuery.extend({ from: Instant.optional(), to: Instant.optional() }),
  },
  responses: {
    200: {
      description: "The latest price (null if none) and a page of the range's history.",
      ...jsonContent(
        pageSchema(PricePointSchema)
          .extend({
            symbol: z.string(),
            asset_id: z.uuid(),
            currency: z.string(),
            latest: PricePointSchema.nullable(),
          })
          .openapi("Prices"),
      ),
    },
  },
});
