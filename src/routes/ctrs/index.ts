import { createRouter } from "../../openapi";
import * as handlers from "./ctrs.handlers";
import * as routes from "./ctrs.routes";
import * as monitoring from "./monitoring.routes";

/** /api/v1/compliance: currency transaction reports and monitoring runs */
export const ctrRoutes = createRouter()
  .openapi(routes.listCtrs, handlers.listCtrs)
  .openapi(routes.createCtr, handlers.createCtr)
  .openapi(routes.getCtr, handlers.getCtr)
  .openapi(routes.exportCtr, handlers.exportCtr)
  .openapi(routes.fileCtr, handlers.fileCtr)
  .openapi(monitoring.runMonitoring, handlers.runMonitoring);
