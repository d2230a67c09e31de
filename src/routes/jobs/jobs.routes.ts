import { z } from "@hono/zod-openapi";
import { JOB_STATUSES, MODEL_SOURCES } from "../../db/tables/risk";
import { defineRoute, jsonContent, problems } from "../../openapi";
import { PageQuery, pageSchema } from "../../services/pagination";
import { IdParam } from "../companies/companies.routes";
import { secured } from "../secured";

const tags = ["Jobs"];

export const JobSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(JOB_STATUSES),
    model: z.object({
      name: z.string(),
      version: z.string(),
      sha256: z.string(),
      source: z.enum(MODEL_SOURCES),
    }),
    input: z.object({ format: z.enum(["csv", "ndjson"]), bytes: z.number().int() }),
    progress: z.object({
      rows_total: z.number().int().nullable().openapi({ description: "Known once the file has been split." }),
      rows_scored: z.number().int(),
      rows_failed: z.number().int(),
      chunks_total: z.number().int().nullable(),
      chunks_done: z.number().int(),
    }),
    error: z.string().nullable(),
    created_at: z.iso.datetime(),
    started_at: z.iso.datetime().nullable(),
    completed_at: z.iso.datetime().nullable(),
    duration_ms: z.number().int().nullable().openapi({ description: "From submission to completion." }),
    results_url: z.string().nullable(),
  })
  .openapi("ScoringJob");

export const listJobs = defineRoute({
  method: "get",
  path: "/api/v1/jobs",
  tags,
  ...secured("jobs:read"),
  summary: "The tenant's bulk scoring jobs, newest first.",
  request: { query: PageQuery },
  responses: { 200: { description: "A page of jobs.", ...jsonContent(pageSchema(JobSchema)) } },
});

export const getJob = defineRoute({
  method: "get",
  path: "/api/v1/jobs/{id}",
  tags,
  ...secured("jobs:read"),
  summary: "A job's status, progress and timings.",
  request: { params: IdParam },
  responses: { 200: { description: "The job.", ...jsonContent(JobSchema) } },
});

export const getJobResults = defineRoute({
  method: "get",
  path: "/api/v1/jobs/{id}/results",
  tags,
  ...secured("jobs:read"),
  summary:
    "A finished job's results, one line per row in row order (scored with probability, band and top reasons, or failed with its reasons); 409 while it runs.",
  request: { params: IdParam, query: z.object({ format: z.enum(["ndjson", "csv"]).default("ndjson") }) },
  responses: {
    200: {
      description: "The results, streamed.",
      content: {
        "application/x-ndjson": { schema: { type: "string" } },
        "text/csv": { schema: { type: "string" } },
      },
    },
    409: problems[409],
  },
});
