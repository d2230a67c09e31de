import { createRouter } from "../../openapi";
import * as handlers from "./audit.handlers";
import * as routes from "./audit.routes";

/** /api/v1/audit-events */
export const auditRoutes = createRouter()
  .openapi(routes.verifyAuditEvents, handlers.verifyAuditEvents)
  .openapi(routes.listAuditEvents, handlers.listAuditEvents)
  .openapi(routes.exportAuditEvents, handlers.exportAuditEvents);
