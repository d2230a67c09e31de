import { z } from "@hono/zod-openapi";
import { contextOf } from "../../middleware/request-context";
import { createRouter, defineRoute } from "../../openapi";

const jwksRoute = defineRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  "x-rate-limit": "default",
  tags: ["Auth"],
  summary: "The public keys that verify access tokens (current and previous), by `kid`.",
  responses: {
    200: {
      description: "A JWK set (RFC 7517).",
      content: {
        "application/json": { schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) },
      },
    },
  },
});

/** `GET /.well-known/jwks.json`. Public keys only; clients may cache them briefly. */
export const wellKnownRoutes = createRouter().openapi(jwksRoute, async (c) => {
  const keys = await contextOf(c).signingKeys();
  c.header("Cache-Control", "public, max-age=300");
  return c.json(keys.jwks, 200);
});
