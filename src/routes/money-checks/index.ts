import { createRouter } from "../../openapi";
import * as handlers from "./money-checks.handlers";
import * as routes from "./money-checks.routes";

/** /api/v1/security: the check on every money movement - policy, blocklist, checks, risk */
export const moneyCheckRoutes = createRouter()
  .openapi(routes.getPolicy, handlers.getPolicy)
  .openapi(routes.changePolicy, handlers.changePolicy)
  .openapi(routes.dryRunPolicy, handlers.dryRunPolicy)
  .openapi(routes.listChecks, handlers.listChecks)
  .openapi(routes.getCheck, handlers.getCheck)
  .openapi(routes.listBlocklist, handlers.listBlocklist)
  .openapi(routes.addBlocklistEntry, handlers.addBlocklistEntry)
  .openapi(routes.removeBlocklistEntry, handlers.removeBlocklistEntry)
  .openapi(routes.fraudCheck, handlers.fraudCheck)
  .openapi(routes.riskScore, handlers.riskScore);
