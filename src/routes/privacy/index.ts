import { createRouter } from "../../openapi";
import * as personalDataHandlers from "./personal-data.handlers";
import * as personalData from "./personal-data.routes";
import * as retentionHandlers from "./retention.handlers";
import * as retention from "./retention.routes";

/** /api/v1/retention, personal data export and erasure (/api/v1/auth/me/*, /api/v1/users/{id}/*). */
export const privacyRoutes = createRouter()
  .openapi(retention.getRetention, retentionHandlers.getRetention)
  .openapi(retention.setRetention, retentionHandlers.setRetention)
  .openapi(personalData.exportOwnData, personalDataHandlers.exportOwnData)
  .openapi(personalData.exportUserData, personalDataHandlers.exportUserData)
  .openapi(personalData.eraseOwnData, personalDataHandlers.eraseOwnData)
  .openapi(personalData.eraseUserData, personalDataHandlers.eraseUserData)
  .openapi(personalData.downloadExport, personalDataHandlers.downloadExport);
