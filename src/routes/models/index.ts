import { createRouter } from "../../openapi";
import * as handlers from "./models.handlers";
import * as routes from "./models.routes";

/** /api/v1/models: the registry, tenants' own models, activation and rollback */
export const modelRoutes = createRouter()
  .openapi(routes.listModels, handlers.listModels)
  .openapi(routes.uploadModel, handlers.uploadModel)
  .openapi(routes.activateModel, handlers.activateModel);
