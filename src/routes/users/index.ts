import { createRouter } from "../../openapi";
import * as handlers from "./users.handlers";
import * as routes from "./users.routes";

/** /api/v1/users */
export const userRoutes = createRouter()
  .openapi(routes.listUsers, handlers.listUsers)
  .openapi(routes.getUser, handlers.getUser)
  .openapi(routes.updateUser, handlers.updateUser)
  .openapi(routes.unlockUser, handlers.unlockUser)
  .openapi(routes.resetTwoFactor, handlers.resetTwoFactor);
