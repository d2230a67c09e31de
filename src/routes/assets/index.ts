import { createRouter } from "../../openapi";
import * as handlers from "./assets.handlers";
import * as routes from "./assets.routes";

/** /api/v1/assets: the tenant's reference data */
export const assetRoutes = createRouter()
  .openapi(routes.listAssets, handlers.listAssets)
  .openapi(routes.createAsset, handlers.createAsset)
  .openapi(routes.getAsset, handlers.getAsset)
  .openapi(routes.updateAsset, handlers.updateAsset);
