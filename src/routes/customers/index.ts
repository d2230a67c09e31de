import { createRouter } from "../../openapi";
import * as handlers from "./customers.handlers";
import * as routes from "./customers.routes";

/** /api/v1/customers: account holders, their identity, KYC standing, risk and history */
export const customerRoutes = createRouter()
  .openapi(routes.listCustomers, handlers.listCustomers)
  .openapi(routes.createCustomer, handlers.createCustomer)
  .openapi(routes.getCustomer, handlers.getCustomer)
  .openapi(routes.updateCustomer, handlers.updateCustomer)
  .openapi(routes.customerHistory, handlers.customerHistory);
