import { createRouter } from "../../openapi";
import * as sanctions from "./sanctions.handlers";
import * as routes from "./sanctions.routes";

/** /api/v1/compliance: sanctions lists, the matches screening finds and their review, screening on demand */
export const sanctionsRoutes = createRouter()
  .openapi(routes.uploadSanctionsList, sanctions.uploadSanctionsList)
  .openapi(routes.listSanctionsLists, sanctions.listSanctionsLists)
  .openapi(routes.getSanctionsList, sanctions.getSanctionsList)
  .openapi(routes.listSanctionsMatches, sanctions.listSanctionsMatches)
  .openapi(routes.getSanctionsMatch, sanctions.getSanctionsMatch)
  .openapi(routes.confirmSanctionsMatch, sanctions.confirmSanctionsMatch)
  .openapi(routes.dismissSanctionsMatch, sanctions.dismissSanctionsMatch)
  .openapi(routes.screenName, sanctions.screenName);
