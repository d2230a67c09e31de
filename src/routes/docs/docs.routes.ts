import { z } from "@hono/zod-openapi";
import { defineRoute } from "../../openapi";

export const openApiDocument = defineRoute({
  method: "get",
  path: "/openapi.json",
  "x-rate-limit": "default",
  tags: ["Docs"],
  summary: "This API's OpenAPI 3.1 document, generated from the route contracts.",
  responses: {
    200: {
      description: "The OpenAPI document.",
      content: { "application/json": { schema: z.object({ openapi: z.string() }).catchall(z.unknown()) } },
    },
  },
});

export const docsPage = defineRoute({
  method: "get",
  path: "/docs",
  "x-rate-limit": "default",
  tags: ["Docs"],
  summary: "Interactive API reference (Scalar) rendering /openapi.json.",
  responses: { 200: { description: "An HTML page.", content: { "text/html": { schema: z.string() } } } },
});
