import { createRouter } from "../../openapi";
import * as sso from "./sso.handlers";
import * as ssoRoutes from "./sso.routes";
import * as handlers from "./tenants.handlers";
import * as routes from "./tenants.routes";

/** /api/v1/tenants */
export const tenantRoutes = createRouter()
  .openapi(routes.listTenants, handlers.listTenants)
  .openapi(routes.createTenant, handlers.createTenant)
  .openapi(routes.getTenant, handlers.getTenant)
  .openapi(routes.updateTenant, handlers.updateTenant)
  .openapi(ssoRoutes.getSso, sso.getSso)
  .openapi(ssoRoutes.putSso, sso.putSso);
