import { createRouter } from "../../openapi";
import * as handlers from "./organizations.handlers";
import * as routes from "./organizations.routes";

/** /api/v1/organizations and their members */
export const organizationRoutes = createRouter()
  .openapi(routes.listOrganizations, handlers.listOrganizations)
  .openapi(routes.createOrganization, handlers.createOrganization)
  .openapi(routes.getOrganization, handlers.getOrganization)
  .openapi(routes.updateOrganization, handlers.updateOrganization)
  .openapi(routes.deleteOrganization, handlers.deleteOrganization)
  .openapi(routes.listMembers, handlers.listMembers)
  .openapi(routes.addMember, handlers.addMember)
  .openapi(routes.changeMemberRole, handlers.changeMemberRole)
  .openapi(routes.removeMember, handlers.removeMember);
