import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { defineRoute, jsonBody, jsonContent } from "../../openapi";
import { idempotencyHeaders } from "../idempotent";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";
import {
  AnnualBody,
  CreditBody,
  ModelName,
  ModelVersion,
  PredictionSchema,
  QuarterlyBody,
} from "./predictions.schemas";

const tags = ["Predictions"];

/**
 * A single prediction is answered at the edge: the tenant's authority is asked for the model's rows and one
 * row of the day's quota while the request is validated.
 */
const scoresOneRow = (c: Context<AppEnv>) => {
  const body = (c.req as unknown as { valid(target: "json"): { model?: unknown } }).valid("json");
  return { model: typeof body.model === "string" ? body.model : undefined, rows: 1 };
};
const created = { 201: { description: "The prediction, as stored.", ...jsonContent(PredictionSchema) } };

export const predictAnnual = defineRoute({
  method: "post",
  path: "/api/v1/predictions/annual",
  "x-rate-limit": "predictions",
  tags,
  ...secured("predictions:write", { standingInBatch: true, atEdge: scoresOneRow }),
  summary:
    "Corporate default probability from one annual statement: a company's (latest, or `fiscal_year`'s) or one sent inline; with the credit ratios.",
  request: { body: jsonBody(AnnualBody) },
  responses: created,
});

export const predictQuarterly = defineRoute({
  method: "post",
  path: "/api/v1/predictions/quarterly",
  "x-rate-limit": "predictions",
  tags,
  ...secured("predictions:write", { standingInBatch: true, atEdge: scoresOneRow }),
  summary:
    "Corporate default probability from the last 8 quarterly statements (a company's, ending at the given quarter or the latest, or inline, most recent first).",
  request: { body: jsonBody(QuarterlyBody) },
  responses: created,
});

export const predictCredit = defineRoute({
  method: "post",
  path: "/api/v1/predictions/credit",
  "x-rate-limit": "predictions",
  tags,
  ...secured("predictions:write", { standingInBatch: true, atEdge: scoresOneRow }),
  summary: "Retail credit default probability for one loan application.",
  request: { body: jsonBody(CreditBody) },
  responses: created,
});

export const getPrediction = defineRoute({
  method: "get",
  path: "/api/v1/predictions/{id}",
  "x-rate-limit": "predictions",
  tags,
  ...secured("predictions:read", { standingInBatch: true }),
  summary: "One stored prediction with its inputs, features and model: enough to explain it later.",
  request: { params: IdParam },
  responses: { 200: { description: "The prediction.", ...jsonContent(PredictionSchema) } },
});

export const listCompanyPredictions = defineRoute({
  method: "get",
  path: "/api/v1/companies/{id}/predictions",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("predictions:read", { standingInBatch: true }),
  summary: "A company's predictions, newest first.",
  request: { params: IdParam, query: PageQuery },
  responses: { 200: { description: "A page of predictions.", ...jsonContent(pageSchema(PredictionSchema)) } },
});

export const JobAccepted = z
  .object({ id: z.uuid(), status: z.string(), location: z.string() })
  .openapi("JobAccepted");

const BulkIdempotencyHeaders = idempotencyHeaders(
  "A unique key (a UUID) per intended job. Sending the same file to the same model under the key again " +
    "within 24 hours returns the job it created (202, `Idempotency-Replayed: true`) instead of a new one, " +
    "even while the first upload is still in flight; another file or model under the key is 422.",
);

export const submitBulk = defineRoute({
  method: "post",
  path: "/api/v1/predictions/bulk",
  "x-rate-limit": "predictions",
  tags,
  ...secured("jobs:write", { standingInBatch: true }),
  summary:
    "Score a file of loan applications (credit models) or annual statements (`corporate-annual`: one statement's amounts per row, decimal strings, results with the credit ratios): CSV with a header row or NDJSON, one per row (an optional `reference` column is echoed). Streamed to storage, answered at once; follow `Location`. With an Idempotency-Key, a retry of the same file gets the same job back.",
  request: {
    query: z.object({ model: ModelName.default("credit-gbdt"), model_version: ModelVersion.optional() }),
    headers: BulkIdempotencyHeaders,
    body: {
      required: true,
      content: {
        "text/csv": {
          schema: { type: "string", description: "Header row of field names, then one row per application." },
        },
        "application/x-ndjson": { schema: { type: "string", description: "One JSON object per line." } },
      },
    },
  },
  responses: {
    202: {
      description: "Accepted; the job is queued.",
      headers: { Location: { schema: { type: "string" }, description: "The job." } },
      ...jsonContent(JobAccepted),
    },
  },
});
