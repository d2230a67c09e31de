import type { Transaction } from "../../db/client";
import { findCompany } from "../../db/repositories/companies.repository";
import {
  findPrediction,
  listCompanyPredictions as listRows,
  type PredictionRow,
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
import { recordPrediction, scoreInput, servingModel } from "./scoring";

interface ModelChoice {
  model: string;
  model_version?: string | undefined;
  reference?: string | undefined;
}

type Amounts = Partial<Record<string, string>>;

/** A retail credit prediction for one loan application. */
export async function predictCredit(
  ctx: TenantContext,
  deps: RiskServices,
  body: ModelChoice & { application: Record<string, unknown> },
): Promise<PredictionRow> {
  const serving = await servingModel(ctx, deps, {
    name: body.model,
    version: body.model_version,
    kind: "credit",
  });
  const result = await scoreInput(serving, body.application, "/application");
  return ctx.transaction((tx) =>
    recordPrediction(tx, ctx, deps, serving, result, {
      kind: "credit",
      companyId: null,
      statementIds: null,
      rawInput: body.application,
      ratios: null,
      reference: body.reference ?? null,
    }),
  );
}

/** Annual or quarterly corporate prediction, from a company's statements or inline ones. */
async function predictCorporate(
  ctx: TenantContext,
  deps: RiskServices,
  kind: "annual" | "quarterly",
  body: ModelChoice & { company_id?: string | undefined },
  gather: (tx: Transaction, manifest: Manifest) => Promise<CorporateInput>,
): Promise<PredictionRow> {
  const serving = await servingModel(ctx, deps, { name: body.model, version: body.model_version, kind });
  return ctx.transaction(async (tx) => {
    const gathered = await gather(tx, serving.model.manifest);
    // Inline input is validated where the client put it; stored statements under the company.
    const at = body.company_id ? "/company_id" : kind === "annual" ? "/statement" : "";
    const result = await scoreInput(serving, gathered.input, at);
    const ratios =
      kind === "annual"
        ? annualRatios(gathered.figures[0] ?? {})
        : quarterlyRatios(trailingTwelveMonths(gathered.figures));
    return recordPrediction(tx, ctx, deps, serving, result, {
      kind,
      companyId: body.company_id ?? null,
      statementIds: gathered.statementIds,
      rawInput: gathered.input,
      ratios,
      reference: body.reference ?? null,
    });
  });
}

export function predictAnnual(
  ctx: TenantContext,
  deps: RiskServices,
  body: ModelChoice & ({ company_id: string; fiscal_year?: number | undefined } | { statement: Amounts }),
) {
  return predictCorporate(ctx, deps, "annual", body, async (tx, manifest) => {
    if ("company_id" in body)
      return annualFromCompany(tx, ctx.tenantId, manifest, body.company_id, body.fiscal_year);
    const figures = figuresOfInline(body.statement);
    return { input: { ...figures }, figures: [figures], statementIds: null };
  });
}

export function predictQuarterly(
  ctx: TenantContext,
  deps: RiskServices,
  body: ModelChoice &
    (
      | { company_id: string; fiscal_year?: number | undefined; fiscal_quarter?: number | undefined }
      | { quarters: Amounts[] }
    ),
) {
  return predictCorporate(ctx, deps, "quarterly", body, async (tx, manifest) => {
    if ("company_id" in body) {
      const upTo =
        body.fiscal_year !== undefined
          ? { year: body.fiscal_year, quarter: body.fiscal_quarter ?? 4 }
          : undefined;
      return quarterlyFromCompany(tx, ctx.tenantId, manifest, body.company_id, upTo);
    }
    const figures = body.quarters.map(figuresOfInline);
    return { input: { quarters: figures }, figures, statementIds: null };
  });
}

export async function getPrediction(ctx: TenantContext, id: string): Promise<PredictionRow> {
  const row = await ctx.transaction((tx) => findPrediction(tx, ctx.tenantId, id));
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
  const rows = await ctx.transaction(async (tx) => {
    if (!(await findCompany(tx, ctx.tenantId, companyId))) throw companyNotFound();
    return listRows(tx, ctx.tenantId, companyId, { before, limit: options.limit + 1 });
  });
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}
