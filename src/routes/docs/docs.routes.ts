import { z } from "@hono/zod-openapi";
import { defineRoute, problems } from "../../openapi";

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

export const docsAsset = defineRoute({
  method: "get",
  path: "/docs/vendor/{file}",
  "x-rate-limit": "default",
  tags: ["Docs"],
  summary:
    "The reference page's pinned renderer, served from the Worker's static assets (cached for a year: the name carries its version).",
  request: {
    params: z.object({
      file: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{0,99}\.js$/)
        .openapi({ param: { name: "file", in: "path" }, example: "scalar-api-reference-1.40.0.js" }),
    }),
  },
  responses: {
    200: { description: "The file.", content: { "text/javascript": { schema: z.string() } } },
    404: problems[404],
  },
});
