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
      createRequestContext(c.env, c.var.config, c.var.database, {
        requestId: c.var.requestId,
        client: clientOf(c),
      }),
    );
    await next();
  };
}

/** The request's context (see `requestContext`). */
export const contextOf = (c: Context<AppEnv>): RequestContext => c.var.context;
