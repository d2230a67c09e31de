import { createRouter } from "../../openapi";
import * as handlers from "./webhooks.handlers";
import * as routes from "./webhooks.routes";

/** /api/v1/webhooks: a tenant's endpoints, the delivery log and redelivery */
export const webhookRoutes = createRouter()
  .openapi(routes.listEndpoints, handlers.listEndpoints)
  .openapi(routes.createEndpoint, handlers.createEndpoint)
  .openapi(routes.getEndpoint, handlers.getEndpoint)
  .openapi(routes.updateEndpoint, handlers.updateEndpoint)
  .openapi(routes.deleteEndpoint, handlers.deleteEndpoint)
  .openapi(routes.listDeliveries, handlers.listDeliveries)
  .openapi(routes.getDelivery, handlers.getDelivery)
  .openapi(routes.redeliver, handlers.redeliver);
