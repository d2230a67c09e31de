import { createRouter } from "../../openapi";
import * as handlers from "./jobs.handlers";
import * as routes from "./jobs.routes";

/** /api/v1/jobs: bulk scoring jobs and their results */
export const jobRoutes = createRouter()
  .openapi(routes.listJobs, handlers.listJobs)
  .openapi(routes.getJob, handlers.getJob)
  .openapi(routes.getJobResults, handlers.getJobResults)
  .openapi(routes.getJobErrors, handlers.getJobErrors)
  .openapi(routes.cancelJob, handlers.cancelJob);
