import { read } from "../../db/batch";
import { companyById } from "../../db/repositories/companies.repository";
import {
  listCompanyPredictions as listRows,
  type PredictionRow,
  predictionById,
} from "../../db/repositories/predictions.repository";
import type { PredictionKind } from "../../db/tables/risk";
import { AppError } from "../../errors";
import type { Manifest } from "../../ml/manifest";
import { annualRatios, quarterlyRatios, trailingTwelveMonths } from "../../ml/ratios";
import type { RequestContext, RiskServices } from "../context";
import { pageOf, timeCursor } from "../pagination";
import type { TenantContext } from "../tenancy/context";
import { companyNotFound } from "./companies";
import {
  annualFromCompany,
  annualReads,
  type CorporateInput,
  figuresOfInline,
  quarterlyFromCompany,
  quarterlyReads,
  quartersOf,
} from "./corporate-inputs";
import { type PredictionRecord, predictionWrite, recordAfterResponse } from "./prediction-writes";
import { type ServingModel, scoreInput, servingModel } from "./scoring";

/** What a prediction uses: the risk services, and what the tenant's authority answered at the edge, if asked. */
type PredictionServices = RiskServices & Pick<RequestContext, "consultation">;

/** Which model scores (its active version unless one is named), and the caller's own reference. */
export interface ModelChoice {
  model: string;
  modelVersion?: string | undefined;
  reference?: string | undefined;
}

/** Statement amounts by name, as decimal strings. */
export type Amounts = Partial<Record<string, string>>;

/** A company's stored statements as the input: the latest year, or the year named. */
export interface FromCompany {
  companyId: string;
  fiscalYear?: number | undefined;
}

/** A corporate prediction from the company's stored quarters, up to the quarter named (Q4 by default). */
export interface QuartersFromCompany extends FromCompany {
  fiscalQuarter?: number | undefined;
}

export type AnnualRequest = ModelChoice & (FromCompany | { statement: Amounts });
export type QuarterlyRequest = ModelChoice & (QuartersFromCompany | { quarters: Amounts[] });

/**
 * Scores with the model a request names, its row of the day's quota taken first (and given back by
 * `authorize` should the request fail); the prediction is answered first and written after the response.
 */
async function predictWith(
  ctx: TenantContext,
  deps: PredictionServices,
  model: { name: string; version?: string | undefined; kind: PredictionKind },
  score: (serving: ServingModel) => Promise<{ result: Scored; record: PredictionRecord }>,
): Promise<PredictionRow> {
  const serving = await servingModel(ctx, deps, model, { take: 1, consultation: deps.consultation });
  const { result, record } = await score(serving);
  return recordAfterResponse(ctx, deps, predictionWrite(ctx, serving, result, record));
}

type Scored = Awaited<ReturnType<typeof scoreInput>>;

/** A retail credit prediction for one loan application. */
export function predictCredit(
  ctx: TenantContext,
  deps: PredictionServices,
  request: ModelChoice & { application: Record<string, unknown> },
): Promise<PredictionRow> {
  const model = { name: request.model, version: request.modelVersion, kind: "credit" as const };
  return predictWith(ctx, deps, model, async (serving) => ({
    result: await scoreInput(serving, request.application, "/application"),
    record: {
      kind: "credit",
      companyId: null,
      statementIds: null,
      rawInput: request.application,
      ratios: null,
      reference: request.reference ?? null,
    },
  }));
}

/**
 * Annual or quarterly corporate prediction, from a company's statements (read in one batch once the model
 * is known) or inline ones (nothing more from the database).
 */
function predictCorporate(
  ctx: TenantContext,
  deps: PredictionServices,
  kind: "annual" | "quarterly",
  request: ModelChoice & { companyId?: string | undefined },
  gather: (manifest: Manifest) => Promise<CorporateInput>,
): Promise<PredictionRow> {
  const model = { name: request.model, version: request.modelVersion, kind };
  return predictWith(ctx, deps, model, async (serving) => {
    const gathered = await gather(serving.model.manifest);
    // Inline input is validated where the client put it; stored statements under the company.
    const at = request.companyId ? "/company_id" : kind === "annual" ? "/statement" : "";
    const result = await scoreInput(serving, gathered.input, at);
    const ratios =
      kind === "annual"
        ? annualRatios(gathered.figures[0] ?? {})
        : quarterlyRatios(trailingTwelveMonths(gathered.figures));
    return {
      result,
      record: {
        kind,
        companyId: request.companyId ?? null,
        statementIds: gathered.statementIds,
        rawInput: gathered.input,
        ratios,
        reference: request.reference ?? null,
      },
    };
  });
}

export function predictAnnual(ctx: TenantContext, deps: PredictionServices, request: AnnualRequest) {
  return predictCorporate(ctx, deps, "annual", request, async (manifest) => {
    if ("companyId" in request) {
      const { companyId, fiscalYear } = request;
      const found = await ctx.read((db) => annualReads(db, ctx.tenantId, companyId, fiscalYear));
      return annualFromCompany(found, manifest, fiscalYear);
    }
    const figures = figuresOfInline(request.statement);
    return { input: { ...figures }, figures: [figures], statementIds: null };
  });
}

export function predictQuarterly(ctx: TenantContext, deps: PredictionServices, request: QuarterlyRequest) {
  return predictCorporate(ctx, deps, "quarterly", request, async (manifest) => {
    if ("companyId" in request) {
      const { companyId } = request;
      const upTo =
        request.fiscalYear !== undefined
          ? { year: request.fiscalYear, quarter: request.fiscalQuarter ?? 4 }
          : undefined;
      const count = quartersOf(manifest);
      const found = await ctx.read((db) => quarterlyReads(db, ctx.tenantId, companyId, upTo, count));
      return quarterlyFromCompany(found, manifest);
    }
    const figures = request.quarters.map(figuresOfInline);
    return { input: { quarters: figures }, figures, statementIds: null };
  });
}

export async function getPrediction(ctx: TenantContext, id: string): Promise<PredictionRow> {
  const [row] = await ctx.readOne((db) => predictionById(db, ctx.tenantId, id));
  if (!row) throw new AppError("not_found", "No such prediction.");
  return row;
}

/** A company's predictions, newest first. */
export async function listCompanyPredictions(
  ctx: TenantContext,
  companyId: string,
  options: { limit: number; cursor?: string | undefined },
) {
  const before = timeCursor(options.cursor);
  const found = await ctx.read((db) => ({
    company: read(companyById(db, ctx.tenantId, companyId), (rows) => rows[0]),
    rows: read(listRows(db, ctx.tenantId, companyId, { before, limit: options.limit + 1 })),
  }));
  if (!found.company) throw companyNotFound();
  const { rows } = found;
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}
