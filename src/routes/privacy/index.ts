import { createRouter } from "../../openapi";
import * as retentionHandlers from "./retention.handlers";
import * as retention from "./retention.routes";

/** /api/v1/retention */
export const privacyRoutes = createRouter()
  .openapi(retention.getRetention, retentionHandlers.getRetention)
  .openapi(retention.setRetention, retentionHandlers.setRetention);
