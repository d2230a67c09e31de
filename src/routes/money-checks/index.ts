import { createRouter } from "../../openapi";
import * as blocklist from "./blocklist.routes";
import * as handlers from "./money-checks.handlers";
import * as routes from "./money-checks.routes";

/** /api/v1/security: the check on every money movement - policy, blocklist, checks, risk */
export const moneyCheckRoutes = createRouter()
  .openapi(routes.getPolicy, handlers.getPolicy)
  .openapi(routes.changePolicy, handlers.changePolicy)
  .openapi(routes.dryRunPolicy, handlers.dryRunPolicy)
  .openapi(routes.listChecks, handlers.listChecks)
  .openapi(routes.getCheck, handlers.getCheck)
  .openapi(blocklist.listBlocklist, handlers.listBlocklist)
  .openapi(blocklist.addBlocklistEntry, handlers.addBlocklistEntry)
  .openapi(blocklist.removeBlocklistEntry, handlers.removeBlocklistEntry)
  .openapi(routes.fraudCheck, handlers.fraudCheck)
  .openapi(routes.riskScore, handlers.riskScore);
