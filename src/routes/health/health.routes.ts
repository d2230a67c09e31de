import { z } from "@hono/zod-openapi";
import { defineRoute, problems } from "../../openapi";

const Status = z.enum(["healthy", "degraded", "unhealthy"]);

export const LivenessSchema = z
  .object({ status: z.literal("healthy"), timestamp: z.iso.datetime(), version: z.string() })
  .openapi("Liveness");

const DependencySchema = z
  .object({
    status: Status,
    required: z.boolean(),
    response_time_ms: z.number(),
    error: z.enum(["unreachable", "timeout"]).optional(),
  })
  .catchall(z.unknown())
  .openapi("DependencyHealth");

export const ReadinessSchema = z
  .object({
    status: Status,
    timestamp: z.iso.datetime(),
    version: z.string(),
    environment: z.string(),
    services: z.record(z.string(), DependencySchema),
  })
  .openapi("Readiness");

export const liveness = defineRoute({
  method: "get",
  path: "/health",
  "x-rate-limit": "default",
  tags: ["Health"],
  summary: "Liveness: the Worker answers. Checks no dependency.",
  responses: {
    200: { description: "Alive.", content: { "application/json": { schema: LivenessSchema } } },
  },
});

export const readiness = defineRoute({
  method: "get",
  path: "/health/ready",
  "x-rate-limit": "default",
  tags: ["Health"],
  summary: "Readiness: every dependency probed, with its latency.",
  description:
    "`database` (required: round trip, server version, applied vs expected migrations), `signing_keys` " +
    "(required: the token keys load and sign) and `storage` " +
    "(the R2 buckets) and `models` (every published platform model has an active version; no graph is " +
    "loaded). `unhealthy` when a required dependency is down (503); `degraded` when only an " +
    "optional one is.",
  responses: {
    200: {
      description: "Healthy or degraded.",
      content: { "application/json": { schema: ReadinessSchema } },
    },
    503: {
      description: "A required dependency is down (the report), or the request deadline passed (a problem).",
      content: { "application/json": { schema: ReadinessSchema }, ...problems[503].content },
    },
  },
});
