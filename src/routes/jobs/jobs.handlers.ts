import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { contextOf } from "../../middleware/request-context";
import { jobResults } from "../../services/risk/job-results";
import * as jobs from "../../services/risk/jobs";
import type { ScoringJob, ScoringJobError } from "../../services/risk/types";
import type { TenantContext } from "../../services/tenancy/context";
import { pageBody } from "../page";
import type * as routes from "./jobs.routes";
import { JOB_ERRORS_SHOWN, type JobErrorSchema } from "./jobs.routes";

export const toJobView = (row: ScoringJob): z.infer<typeof routes.JobSchema> => ({
  id: row.id,
  status: row.status,
  model: { name: row.modelName, version: row.modelVersion, sha256: row.modelSha256, source: row.modelSource },
  input: { format: row.inputFormat, bytes: row.inputBytes },
  progress: {
    rows_total: row.rowsTotal,
    rows_scored: row.rowsScored,
    rows_failed: row.rowsFailed,
    chunks_total: row.chunksTotal,
    chunks_done: row.chunksDone,
  },
  error: row.error,
  created_at: row.createdAt.toISOString(),
  started_at: row.startedAt?.toISOString() ?? null,
  completed_at: row.completedAt?.toISOString() ?? null,
  duration_ms: row.completedAt ? row.completedAt.getTime() - row.createdAt.getTime() : null,
  results_url: row.completedAt && row.chunksTotal !== null ? `/api/v1/jobs/${row.id}/results` : null,
});

const toErrorView = (row: ScoringJobError): z.infer<typeof JobErrorSchema> => ({
  row: row.row,
  line: row.line,
  reference: row.reference,
  errors: row.errors,
});

/** The job with its first row errors. */
async function detail(ctx: TenantContext, id: string): Promise<z.infer<typeof routes.JobDetailSchema>> {
  return detailOf(await jobs.jobErrors(ctx, id, { after: 0, limit: JOB_ERRORS_SHOWN }));
}

const detailOf = ({ job, errors }: { job: ScoringJob; errors: ScoringJobError[] }) => ({
  ...toJobView(job),
  errors: errors.map(toErrorView),
  errors_url: `/api/v1/jobs/${job.id}/errors`,
});

export const listJobs: RouteHandler<typeof routes.listJobs, AppEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await jobs.listJobs(tenantOf(c), { limit, cursor });
  return c.json(pageBody(page, toJobView), 200);
};

export const getJob: RouteHandler<typeof routes.getJob, AppEnv> = async (c) => {
  return c.json(await detail(tenantOf(c), c.req.valid("param").id), 200);
};

export const getJobErrors: RouteHandler<typeof routes.getJobErrors, AppEnv> = async (c) => {
  const { limit, after } = c.req.valid("query");
  const { errors } = await jobs.jobErrors(tenantOf(c), c.req.valid("param").id, { after, limit: limit + 1 });
  const items = errors.slice(0, limit).map(toErrorView);
  return c.json({ items, next_after: errors.length > limit ? (items.at(-1)?.row ?? null) : null }, 200);
};

export const cancelJob: RouteHandler<typeof routes.cancelJob, AppEnv> = async (c) => {
  return c.json(detailOf(await jobs.cancelJob(tenantOf(c), c.req.valid("param").id, JOB_ERRORS_SHOWN)), 200);
};

const MEDIA_TYPES = { ndjson: "application/x-ndjson", csv: "text/csv; charset=utf-8" } as const;

export const getJobResults: RouteHandler<typeof routes.getJobResults, AppEnv> = async (c) => {
  const { format } = c.req.valid("query");
  const { job, stream } = await jobResults(tenantOf(c), contextOf(c).files, c.req.valid("param").id, format);
  return c.body(stream, 200, {
    "Content-Type": MEDIA_TYPES[format],
    "Content-Disposition": `attachment; filename="job-${job.id}.${format}"`,
  });
};
