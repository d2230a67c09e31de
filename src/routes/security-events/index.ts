import { createRouter } from "../../openapi";
import * as handlers from "./security-events.handlers";
import * as routes from "./security-events.routes";

/** /api/v1/security-events */
export const securityEventRoutes = createRouter().openapi(
  routes.listSecurityEvents,
  handlers.listSecurityEvents,
);
