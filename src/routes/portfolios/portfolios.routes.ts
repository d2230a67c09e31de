import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { CurrencyCode } from "../decimal";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";
import { PortfolioSchema } from "./schemas";

const tags = ["Portfolios"];
const Name = z.string().trim().min(1).max(100).openapi({ example: "Growth fund" });

export const listPortfolios = defineRoute({
  method: "get",
  path: "/api/v1/portfolios",
  "x-rate-limit": "portfolio",
  tags,
  ...secured("portfolios:read", { standingInBatch: true }),
  summary: "The portfolios of the organizations the caller can see, newest first.",
  request: {
    query: PageQuery.extend({
      organization_id: z.uuid().optional(),
      status: z.enum(["active", "archived"]).optional(),
    }),
  },
  responses: { 200: { description: "A page of portfolios.", ...jsonContent(pageSchema(PortfolioSchema)) } },
});

export const createPortfolio = defineRoute({
  method: "post",
  path: "/api/v1/portfolios",
  "x-rate-limit": "portfolio",
  tags,
  ...secured("portfolios:write", { standingInBatch: true }),
  summary: "Create a portfolio in an organization; the caller becomes its owner.",
  request: {
    body: jsonBody(
      z
        .object({
          organization_id: z.uuid(),
          name: Name,
          base_currency: CurrencyCode,
          allow_negative_cash: z.boolean().default(false),
          customer_id: z
            .uuid()
            .optional()
            .openapi({ description: "The account holder, a customer of the tenant." }),
        })
        .strict(),
    ),
  },
  responses: { 201: { description: "The portfolio.", ...jsonContent(PortfolioSchema) }, 404: problems[404] },
});

export const getPortfolio = defineRoute({
  method: "get",
  path: "/api/v1/portfolios/{id}",
  "x-rate-limit": "portfolio",
  tags,
  ...secured("portfolios:read", { standingInBatch: true }),
  summary: "One portfolio.",
  request: { params: IdParam },
  responses: { 200: { description: "The portfolio.", ...jsonContent(PortfolioSchema) } },
});

export const updatePortfolio = defineRoute({
  method: "patch",
  path: "/api/v1/portfolios/{id}",
  "x-rate-limit": "portfolio",
  tags,
  ...secured("portfolios:write", { standingInBatch: true }),
  summary:
    "Rename, archive (`status: archived`: no new transactions) or reactivate a portfolio, allow or forbid negative cash, or change its account holder.",
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          name: Name.optional(),
          allow_negative_cash: z.boolean().optional(),
          status: z.enum(["active", "archived"]).optional(),
          customer_id: z
            .uuid()
            .nullable()
            .optional()
            .openapi({ description: "Change the account holder; null: a house portfolio." }),
        })
        .strict(),
    ),
  },
  responses: {
    200: { description: "The portfolio as changed.", ...jsonContent(PortfolioSchema) },
    409: problems[409],
  },
});

export const deletePortfolio = defineRoute({
  method: "delete",
  path: "/api/v1/portfolios/{id}",
  "x-rate-limit": "portfolio",
  tags,
  ...secured("portfolios:write", { standingInBatch: true }),
  summary: "Delete a portfolio that has no transactions; one with history is archived instead (409).",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." }, 409: problems[409] },
});
