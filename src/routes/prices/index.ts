import { createRouter } from "../../openapi";
import * as handlers from "./prices.handlers";
import * as routes from "./prices.routes";

/** /api/v1/prices: price ingestion and history */
export const priceRoutes = createRouter()
  .openapi(routes.ingestPrices, handlers.ingestPrices)
  .openapi(routes.getPrices, handlers.getPrices);
