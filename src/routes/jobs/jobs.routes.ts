import { z } from "@hono/zod-openapi";
import { defineRoute, jsonContent, problems } from "../../openapi";
import { JOB_STATUSES, MODEL_SOURCES } from "../../services/risk/types";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
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

export const JobErrorSchema = z
  .object({
    row: z.number().int().openapi({ description: "The data row: 1 is the first after a CSV header." }),
    line: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The line of the upload the row starts on, as an editor numbers it." }),
    reference: z.string().nullable().openapi({ description: "The row's own `reference`, when it had one." }),
    errors: z.array(z.object({ field: z.string().nullable(), message: z.string() })),
  })
  .openapi("JobRowError");

/** How many row errors the job itself shows. */
export const JOB_ERRORS_SHOWN = 20;

export const JobDetailSchema = JobSchema.extend({
  errors: z.array(JobErrorSchema).openapi({
    description: `The first ${JOB_ERRORS_SHOWN} rows that could not be scored, in row order; \`errors_url\` pages through all of them.`,
  }),
  errors_url: z.string(),
}).openapi("ScoringJobDetail");

export const listJobs = defineRoute({
  method: "get",
  path: "/api/v1/jobs",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("jobs:read", { standingInBatch: true }),
  summary: "The tenant's bulk scoring jobs, newest first.",
  request: { query: PageQuery },
  responses: { 200: { description: "A page of jobs.", ...jsonContent(pageSchema(JobSchema)) } },
});

export const getJob = defineRoute({
  method: "get",
  path: "/api/v1/jobs/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("jobs:read", { standingInBatch: true }),
  summary: "A job's status, progress, timings and first row errors (with their lines).",
  request: { params: IdParam },
  responses: { 200: { description: "The job.", ...jsonContent(JobDetailSchema) } },
});

export const getJobErrors = defineRoute({
  method: "get",
  path: "/api/v1/jobs/{id}/errors",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("jobs:read", { standingInBatch: true }),
  summary: "Every row of a job that could not be scored, in row order, with its line and reasons; paged.",
  request: {
    params: IdParam,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(1000).default(100),
      after: z.coerce
        .number()
        .int()
        .min(0)
        .default(0)
        .openapi({ description: "Rows after this row number (the last row of the previous page)." }),
    }),
  },
  responses: {
    200: {
      description: "A page of row errors.",
      ...jsonContent(
        z.object({
          items: z.array(JobErrorSchema),
          next_after: z.number().int().nullable().openapi({ description: "`after` for the next page." }),
        }),
      ),
    },
  },
});

export const cancelJob = defineRoute({
  method: "post",
  path: "/api/v1/jobs/{id}/cancel",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("jobs:write", { standingInBatch: true }),
  summary:
    "Cancel a queued or running job: chunks not yet scored are dropped; rows scored so far stay in its results. Cancelling again is harmless; a finished job is 409.",
  request: { params: IdParam },
  responses: {
    200: { description: "The cancelled job.", ...jsonContent(JobDetailSchema) },
    409: problems[409],
  },
});

export const getJobResults = defineRoute({
  method: "get",
  path: "/api/v1/jobs/{id}/results",
  "x-rate-limit": "tenant_api",
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
