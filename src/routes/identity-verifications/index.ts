import { createRouter } from "../../openapi";
import * as handlers from "./identity-verifications.handlers";
import * as routes from "./identity-verifications.routes";

/** Identity verification of customers through the provider, and the provider's signed callback */
export const identityVerificationRoutes = createRouter()
  .openapi(routes.startVerification, handlers.startVerification)
  .openapi(routes.listVerifications, handlers.listVerifications)
  .openapi({ ...routes.providerEvent, middleware: [handlers.keepRawBody] }, handlers.providerEvent)
  .openapi(routes.getVerification, handlers.getVerification)
  .openapi(routes.reviewVerification, handlers.reviewVerification);
