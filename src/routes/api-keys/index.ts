import { createRouter } from "../../openapi";
import * as handlers from "./api-keys.handlers";
import * as routes from "./api-keys.routes";

/** /api/v1/api-keys */
export const apiKeyRoutes = createRouter()
  .openapi(routes.createApiKey, handlers.createApiKey)
  .openapi(routes.listApiKeys, handlers.listApiKeys)
  .openapi(routes.revokeApiKey, handlers.revokeApiKey);
