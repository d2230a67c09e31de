import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { AppError } from "../../errors";
import { tenantOf } from "../../middleware/authorize";
import { REPLAYED_HEADER } from "../../middleware/idempotency";
import { contextOf } from "../../middleware/request-context";
import { formatProbability } from "../../ml/bands";
import { round, topReasons } from "../../ml/reasons";
import { submitBulkJob } from "../../services/risk/job-submission";
import * as predictions from "../../services/risk/predictions";
import type { Prediction } from "../../services/risk/types";
import { pageBody } from "../page";
import type * as routes from "./predictions.routes";
import type { AnnualBody, PredictionSchema, QuarterlyBody } from "./predictions.schemas";

export const toPredictionView = (row: Prediction): z.infer<typeof PredictionSchema> => ({
  id: row.id,
  kind: row.kind,
  company_id: row.companyId,
  statement_ids: row.statementIds,
  reference: row.reference,
  probability: formatProbability(row.probability),
  band: row.band,
  model: { name: row.modelName, version: row.modelVersion, sha256: row.modelSha256, source: row.modelSource },
  reason_codes: topReasons(row.contributions),
  contributions: Object.fromEntries(Object.entries(row.contributions).map(([f, c]) => [f, round(c, 6)])),
  ratios: row.ratios,
  features: row.features,
  input: row.rawInput,
  created_at: row.createdAt.toISOString(),
});

/** The model choice of a request body, in the service's terms. */
const choiceOf = (body: {
  model: string;
  model_version?: string | undefined;
  reference?: string | undefined;
}) => ({
  model: body.model,
  modelVersion: body.model_version,
  reference: body.reference,
});

const annualRequest = (body: z.output<typeof AnnualBody>): predictions.AnnualRequest =>
  "company_id" in body
    ? { ...choiceOf(body), companyId: body.company_id, fiscalYear: body.fiscal_year }
    : { ...choiceOf(body), statement: body.statement };

const quarterlyRequest = (body: z.output<typeof QuarterlyBody>): predictions.QuarterlyRequest =>
  "company_id" in body
    ? {
        ...choiceOf(body),
        companyId: body.company_id,
        fiscalYear: body.fiscal_year,
        fiscalQuarter: body.fiscal_quarter,
      }
    : { ...choiceOf(body), quarters: body.quarters };

export const predictCredit: RouteHandler<typeof routes.predictCredit, AppEnv> = async (c) => {
  const { application, ...choice } = c.req.valid("json");
  const row = await predictions.predictCredit(tenantOf(c), contextOf(c), {
    ...choiceOf(choice),
    application,
  });
  return c.json(toPredictionView(row), 201);
};

export const predictAnnual: RouteHandler<typeof routes.predictAnnual, AppEnv> = async (c) => {
  const row = await predictions.predictAnnual(tenantOf(c), contextOf(c), annualRequest(c.req.valid("json")));
  return c.json(toPredictionView(row), 201);
};

export const predictQuarterly: RouteHandler<typeof routes.predictQuarterly, AppEnv> = async (c) => {
  const row = await predictions.predictQuarterly(
    tenantOf(c),
    contextOf(c),
    quarterlyRequest(c.req.valid("json")),
  );
  return c.json(toPredictionView(row), 201);
};

export const getPrediction: RouteHandler<typeof routes.getPrediction, AppEnv> = async (c) => {
  return c.json(toPredictionView(await predictions.getPrediction(tenantOf(c), c.req.valid("param").id)), 200);
};

export const listCompanyPredictions: RouteHandler<typeof routes.listCompanyPredictions, AppEnv> = async (
  c,
) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await predictions.listCompanyPredictions(tenantOf(c), c.req.valid("param").id, {
    limit,
    cursor,
  });
  return c.json(pageBody(page, toPredictionView), 200);
};

const FORMATS = { "text/csv": "csv", "application/x-ndjson": "ndjson" } as const;

export const submitBulk: RouteHandler<typeof routes.submitBulk, AppEnv> = async (c) => {
  const mediaType = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const format = FORMATS[mediaType as keyof typeof FORMATS];
  if (!format) {
    throw new AppError("unsupported_media_type", "Bulk uploads are text/csv or application/x-ndjson.", {
      headers: { "Accept-Post": "text/csv, application/x-ndjson" },
    });
  }
  const length = c.req.header("content-length");
  const { model, model_version } = c.req.valid("query");
  const { job, replayed } = await submitBulkJob(tenantOf(c), contextOf(c), {
    format,
    body: c.req.raw.body,
    contentLength: length === undefined ? null : Number(length),
    model,
    modelVersion: model_version,
    idempotencyKey: c.req.valid("header")["idempotency-key"],
  });
  const location = `/api/v1/jobs/${job.id}`;
  return c.json({ id: job.id, status: job.status, location }, 202, {
    Location: location,
    ...(replayed ? { [REPLAYED_HEADER]: "true" } : {}),
  });
};
