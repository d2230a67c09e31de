import { createRouter } from "../../openapi";
import { getLiveness, getReadiness } from "./health.handlers";
import { liveness, readiness } from "./health.routes";

/** `GET /health` and `GET /health/ready`. */
export const healthRoutes = createRouter().openapi(liveness, getLiveness).openapi(readiness, getReadiness);
