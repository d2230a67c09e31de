import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { createRequestContext, type RequestContext } from "../services/context";
import { clientOf } from "./request-edge";

/**
 * Builds the request's context once, after configuration and the database: every later middleware and
 * handler reads its dependencies from `c.var.context`, and `authenticate` / `authorize` add the caller and
 * its tenant to it.
 */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    c.set(
      "context",
      createRequestContext(c.env, c.get("config"), c.get("database"), {
        requestId: c.get("requestId"),
        // Read when first needed (a sign-in, an audit event): the runtime builds `request.cf` on each access.
        client: () => clientOf(c),
      }),
    );
    await next();
  };
}

/** The request's context (see `requestContext`). */
export const contextOf = (c: Context<AppEnv>): RequestContext => c.get("context");
