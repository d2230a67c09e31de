import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import * as portfolios from "../../services/portfolios/portfolios";
import { pageBody } from "../page";
import type * as routes from "./portfolios.routes";
import { toPortfolioView } from "./views";

export const listPortfolios: RouteHandler<typeof routes.listPortfolios, AppEnv> = async (c) => {
  const { limit, cursor, status, organization_id } = c.req.valid("query");
  const page = await portfolios.listVisiblePortfolios(tenantOf(c), {
    limit,
    cursor,
    status,
    organizationId: organization_id,
  });
  return c.json(pageBody(page, toPortfolioView), 200);
};

export const createPortfolio: RouteHandler<typeof routes.createPortfolio, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const row = await portfolios.createPortfolio(tenantOf(c), {
    organizationId: body.organization_id,
    name: body.name,
    baseCurrency: body.base_currency,
    allowNegativeCash: body.allow_negative_cash,
    customerId: body.customer_id ?? null,
  });
  return c.json(toPortfolioView(row), 201);
};

export const getPortfolio: RouteHandler<typeof routes.getPortfolio, AppEnv> = async (c) =>
  c.json(toPortfolioView(await portfolios.getPortfolio(tenantOf(c), c.req.valid("param").id)), 200);

export const updatePortfolio: RouteHandler<typeof routes.updatePortfolio, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const row = await portfolios.updatePortfolio(tenantOf(c), c.req.valid("param").id, {
    name: body.name,
    allowNegativeCash: body.allow_negative_cash,
    status: body.status,
    customerId: body.customer_id,
  });
  return c.json(toPortfolioView(row), 200);
};

export const deletePortfolio: RouteHandler<typeof routes.deletePortfolio, AppEnv> = async (c) => {
  await portfolios.deletePortfolio(tenantOf(c), c.req.valid("param").id);
  return c.body(null, 204);
};
