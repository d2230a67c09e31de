import { z } from "@hono/zod-openapi";
import { defineRoute, problems } from "../../openapi";

export const consolePage = defineRoute({
  method: "get",
  path: "/console",
  "x-rate-limit": "default",
  tags: ["Console"],
  summary:
    "The operator console: a browser app over this API (cookie mode), its script and styles served from /console/assets.",
  responses: { 200: { description: "An HTML page.", content: { "text/html": { schema: z.string() } } } },
});

export const consoleAsset = defineRoute({
  method: "get",
  path: "/console/assets/{file}",
  "x-rate-limit": "default",
  tags: ["Console"],
  summary:
    "The console's script and styles, built by `npm run console:build` into the Worker's static assets.",
  request: {
    params: z.object({
      file: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{0,99}\.(js|css)$/)
        .openapi({ param: { name: "file", in: "path" }, example: "console.js" }),
    }),
  },
  responses: {
    200: {
      description: "The file.",
      content: { "text/javascript": { schema: z.string() }, "text/css": { schema: z.string() } },
    },
    404: problems[404],
  },
});
