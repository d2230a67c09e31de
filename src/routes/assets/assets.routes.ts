import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { ASSET_CLASSES } from "../../services/portfolios/types";
import { CurrencyCode } from "../decimal";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Assets"];

/** Tickers as exchanges and providers write them: BRK.B, BTC-USD, ^GSPC, EURUSD=X. Stored upper-case. */
export const Ticker = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9^][A-Z0-9.\-_=^]{0,39}$/, "must be a ticker such as AAPL, BRK.B or BTC-USD")
  // Documents what is accepted: any case and surrounding blanks, which trim and upper-casing remove.
  .openapi({ example: "AAPL", pattern: /^\s*[A-Za-z0-9^][A-Za-z0-9.\-_=^]{0,39}\s*$/.source });

const Name = z.string().trim().min(1).max(200).openapi({ example: "Apple Inc." });
const Exchange = z.string().trim().min(1).max(50).openapi({ example: "XNAS" });
const QuantityScale = z
  .number()
  .int()
  .min(0)
  .max(18)
  .openapi({ description: "Decimal places a quantity may have (0: whole units only)." });
const FeedSymbol = Ticker.openapi({
  description: "The quote provider's ticker this asset follows; the price feed refreshes followed assets.",
});

export const AssetSchema = z
  .object({
    id: z.uuid(),
    symbol: z.string(),
    name: z.string(),
    asset_class: z.enum(ASSET_CLASSES),
    currency: z.string(),
    exchange: z.string().nullable(),
    quantity_scale: z.number().int(),
    feed_symbol: z.string().nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("Asset");

export const listAssets = defineRoute({
  method: "get",
  path: "/api/v1/assets",
  "x-rate-limit": "prices",
  tags,
  ...secured("assets:read", { standingInBatch: true }),
  summary: "The tenant's assets, newest first.",
  request: {
    query: PageQuery.extend({
      q: z
        .string()
        .trim()
        .min(1)
        .max(100)
        .refine((value) => !value.includes("\u0000"), "NUL is not allowed.")
        .optional()
        .openapi({ description: "Only assets whose symbol or name contains this (case-insensitive)." }),
    }),
  },
  responses: { 200: { description: "A page of assets.", ...jsonContent(pageSchema(AssetSchema)) } },
});

export const getAsset = defineRoute({
  method: "get",
  path: "/api/v1/assets/{id}",
  "x-rate-limit": "prices",
  tags,
  ...secured("assets:read", { standingInBatch: true }),
  summary: "One asset.",
  request: { params: IdParam },
  responses: { 200: { description: "The asset.", ...jsonContent(AssetSchema) } },
});

export const createAsset = defineRoute({
  method: "post",
  path: "/api/v1/assets",
  "x-rate-limit": "prices",
  tags,
  ...secured("assets:manage", { standingInBatch: true }),
  summary: "Create an asset; symbols are unique in the tenant.",
  request: {
    body: jsonBody(
      z
        .object({
          symbol: Ticker,
          name: Name,
          asset_class: z.enum(ASSET_CLASSES),
          currency: CurrencyCode,
          exchange: Exchange.optional(),
          quantity_scale: QuantityScale,
          feed_symbol: FeedSymbol.optional(),
        })
        .strict(),
    ),
  },
  responses: {
    201: { description: "The asset.", ...jsonContent(AssetSchema) },
    409: problems[409],
  },
});

export const updateAsset = defineRoute({
  method: "patch",
  path: "/api/v1/assets/{id}",
  "x-rate-limit": "prices",
  tags,
  ...secured("assets:manage", { standingInBatch: true }),
  summary:
    "Change an asset's name, class, exchange, feed ticker or quantity precision (which may only grow); symbol and currency are fixed.",
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          name: Name.optional(),
          asset_class: z.enum(ASSET_CLASSES).optional(),
          exchange: Exchange.nullable().optional(),
          quantity_scale: QuantityScale.optional(),
          feed_symbol: FeedSymbol.nullable().optional(),
        })
        .strict(),
    ),
  },
  responses: { 200: { description: "The asset as changed.", ...jsonContent(AssetSchema) } },
});
