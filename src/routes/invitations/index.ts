import { createRouter } from "../../openapi";
import * as handlers from "./invitations.handlers";
import * as routes from "./invitations.routes";

/** /api/v1/invitations; accepting is anonymous (the e-mailed token is the credential). */
export const invitationRoutes = createRouter()
  .openapi(routes.createInvitation, handlers.createInvitation)
  .openapi(routes.listInvitations, handlers.listInvitations)
  .openapi(routes.revokeInvitation, handlers.revokeInvitation)
  .openapi(routes.acceptInvitation, handlers.acceptInvitation);
