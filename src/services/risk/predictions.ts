import { read } from "../../db/batch";
import type { Transaction } from "../../db/client";
import { companyById } from "../../db/repositories/companies.repository";
import {
  listCompanyPredictions as listRows,
  type PredictionRow,
  predictionById,
} from "../../db/repositories/predictions.repository";
import { AppError } from "../../errors";
import type { Manifest } from "../../ml/manifest";
import { annualRatios, quarterlyRatios, trailingTwelveMonths } from "../../ml/ratios";
import type { RiskServices } from "../context";
import { pageOf, timeCursor } from "../pagination";
import type { TenantContext } from "../tenancy/context";
import { companyNotFound } from "./companies";
import {
  annualFromCompany,
  type CorporateInput,
  figuresOfInline,
  quarterlyFromCompany,
} from "./corporate-inputs";
import { predictionWrite, recordAfterResponse, recordPrediction, scoreInput, servingModel } from "./scoring";

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

/** A retail credit prediction for one loan application. */
export async function predictCredit(
  ctx: TenantContext,
  deps: RiskServices,
  request: ModelChoice & { application: Record<string, unknown> },
): Promise<PredictionRow> {
  const serving = await servingModel(
    ctx,
    deps,
    { name: request.model, version: request.modelVersion, kind: "credit" },
    { quota: true },
  );
  const result = await scoreInput(serving, request.application, "/application");
  return recordAfterResponse(
    ctx,
    deps,
    predictionWrite(ctx, serving, result, {
      kind: "credit",
      companyId: null,
      statementIds: null,
      rawInput: request.application,
      ratios: null,
      reference: request.reference ?? null,
    }),
  );
}

/** Annual or quarterly corporate prediction, from a company's statements or inline ones. */
async function predictCorporate(
  ctx: TenantContext,
  deps: RiskServices,
  kind: "annual" | "quarterly",
  request: ModelChoice & { companyId?: string | undefined },
  gather: (tx: Transaction | undefined, manifest: Manifest) => Promise<CorporateInput>,
): Promise<PredictionRow> {
  // Inline input needs nothing more from the database: it is answered before it is written.
  const inline = !request.companyId;
  const serving = await servingModel(
    ctx,
    deps,
    { name: request.model, version: request.modelVersion, kind },
    { quota: inline },
  );
  const score = async (gathered: CorporateInput) => {
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
  };
  if (inline) {
    const { result, record } = await score(await gather(undefined, serving.model.manifest));
    return recordAfterResponse(ctx, deps, predictionWrite(ctx, serving, result, record));
  }
  return ctx.transaction(async (tx) => {
    const { result, record } = await score(await gather(tx, serving.model.manifest));
    return recordPrediction(tx, ctx, deps, serving, result, record);
  });
}

/** Stored statements are read in the prediction's transaction; only inline input comes without one. */
const inTransaction = (tx: Transaction | undefined): Transaction => {
  if (!tx) throw new Error("stored statements are read in a transaction");
  return tx;
};

export function predictAnnual(ctx: TenantContext, deps: RiskServices, request: AnnualRequest) {
  return predictCorporate(ctx, deps, "annual", request, async (tx, manifest) => {
    if ("companyId" in request)
      return annualFromCompany(
        inTransaction(tx),
        ctx.tenantId,
        manifest,
        request.companyId,
        request.fiscalYear,
      );
    const figures = figuresOfInline(request.statement);
    return { input: { ...figures }, figures: [figures], statementIds: null };
  });
}

export function predictQuarterly(ctx: TenantContext, deps: RiskServices, request: QuarterlyRequest) {
  return predictCorporate(ctx, deps, "quarterly", request, async (tx, manifest) => {
    if ("companyId" in request) {
      const upTo =
        request.fiscalYear !== undefined
          ? { year: request.fiscalYear, quarter: request.fiscalQuarter ?? 4 }
          : undefined;
      return quarterlyFromCompany(inTransaction(tx), ctx.tenantId, manifest, request.companyId, upTo);
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
