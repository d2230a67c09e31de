import { createRouter } from "../../openapi";
import * as handlers from "./companies.handlers";
import * as routes from "./companies.routes";

/** /api/v1/companies and their statements */
export const companyRoutes = createRouter()
  .openapi(routes.listCompanies, handlers.listCompanies)
  .openapi(routes.createCompany, handlers.createCompany)
  .openapi(routes.getCompany, handlers.getCompany)
  .openapi(routes.updateCompany, handlers.updateCompany)
  .openapi(routes.fileStatements, handlers.fileStatements)
  .openapi(routes.listStatements, handlers.listStatements);
