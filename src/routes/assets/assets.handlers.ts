import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import * as assets from "../../services/portfolios/assets";
import type { Asset } from "../../services/portfolios/types";
import { pageBody } from "../page";
import type * as routes from "./assets.routes";

export const toAssetView = (row: Asset): z.infer<typeof routes.AssetSchema> => ({
  id: row.id,
  symbol: row.symbol,
  name: row.name,
  asset_class: row.assetClass,
  currency: row.currency,
  exchange: row.exchange,
  quantity_scale: row.quantityScale,
  feed_symbol: row.feedSymbol,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

export const listAssets: RouteHandler<typeof routes.listAssets, AppEnv> = async (c) => {
  const { limit, cursor, q } = c.req.valid("query");
  const page = await assets.listTenantAssets(tenantOf(c), { limit, cursor, q });
  return c.json(pageBody(page, toAssetView), 200);
};

export const getAsset: RouteHandler<typeof routes.getAsset, AppEnv> = async (c) =>
  c.json(toAssetView(await assets.getAsset(tenantOf(c), c.req.valid("param").id)), 200);

export const createAsset: RouteHandler<typeof routes.createAsset, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const row = await assets.createAsset(tenantOf(c), {
    symbol: body.symbol,
    name: body.name,
    assetClass: body.asset_class,
    currency: body.currency,
    exchange: body.exchange ?? null,
    quantityScale: body.quantity_scale,
    feedSymbol: body.feed_symbol ?? null,
  });
  return c.json(toAssetView(row), 201);
};

export const updateAsset: RouteHandler<typeof routes.updateAsset, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const patch = Object.fromEntries(
    Object.entries({
      name: body.name,
      assetClass: body.asset_class,
      exchange: body.exchange,
      quantityScale: body.quantity_scale,
      feedSymbol: body.feed_symbol,
    }).filter(([, value]) => value !== undefined),
  );
  const row = await assets.updateAsset(tenantOf(c), c.req.valid("param").id, patch);
  return c.json(toAssetView(row), 200);
};
