import { createRouter } from "../../openapi";
import * as handlers from "./predictions.handlers";
import * as routes from "./predictions.routes";

/** /api/v1/predictions, bulk submissions, and a company's prediction history */
export const predictionRoutes = createRouter()
  .openapi(routes.predictAnnual, handlers.predictAnnual)
  .openapi(routes.predictQuarterly, handlers.predictQuarterly)
  .openapi(routes.predictCredit, handlers.predictCredit)
  .openapi(routes.submitBulk, handlers.submitBulk)
  .openapi(routes.getPrediction, handlers.getPrediction)
  .openapi(routes.listCompanyPredictions, handlers.listCompanyPredictions);
