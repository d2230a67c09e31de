/**
 * The scoring path shared by every prediction: find the version to use, load it (the inference runtime is
 * imported here, lazily, so other routes never start it), turn the request into the model's input, score
 * it, and record the result with its inputs inside the quota-counting transaction.
 */
import type { Transaction } from "../../db/client";
import { insertPrediction, type PredictionRow } from "../../db/repositories/predictions.repository";
import type { PredictionKind } from "../../db/tables/risk";
import { AppError, type FieldError } from "../../errors";
import { log } from "../../logger";
import type { LoadedModel, Scored } from "../../ml/engine";
import { namedVector, type PreparedInput, prepareInput } from "../../ml/features";
import { PREDICTION_KIND_OF } from "../../ml/manifest";
import type { Ratio } from "../../ml/ratios";
import type { RiskServices } from "../context";
import { recordAudit } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { engine, loadVerified, UnservableModel } from "./model-loading";
import { type ResolvedModel, resolveModel } from "./model-registry";
import { takeQuota } from "./quota";

export interface ServingModel {
  resolved: ResolvedModel;
  model: LoadedModel;
}

/** The kinds of prediction a caller takes: one, or any of several (bulk jobs). */
export type KindWanted = PredictionKind | readonly PredictionKind[];

/** Loads a resolved version and checks that it makes predictions of the `kind` wanted. */
export async function loadResolved(deps: RiskServices, resolved: ResolvedModel, kind: KindWanted) {
  const model = await loadVerified(deps, resolved);
  const { name } = resolved.located.ref;
  const kinds: readonly PredictionKind[] = typeof kind === "string" ? [kind] : kind;
  if (!kinds.includes(PREDICTION_KIND_OF[model.manifest.rawInput.kind])) {
    throw new AppError(
      "validation_failed",
      `Model ${name} does not make ${kinds.join(" or ")} predictions.`,
      {
        errors: [
          {
            location: "body",
            pointer: "/model",
            message: `scores ${model.manifest.rawInput.kind} input`,
            code: "wrong_model",
          },
        ],
      },
    );
  }
  return model;
}

/**
 * Resolves (in its own short transaction) and loads the model a request names. When the active version
 * cannot be served - its files altered or gone - the version it replaced keeps serving, and the failure
 * is logged as an error for operators; a version asked for by number is served as itself or not at all.
 */
export async function servingModel(
  ctx: TenantContext,
  deps: RiskServices,
  request: { name: string; version?: string | undefined; kind: KindWanted },
): Promise<ServingModel> {
  const resolved = await ctx.transaction((tx) => resolveModel(tx, ctx, deps, request.name, request.version));
  try {
    return { resolved, model: await loadResolved(deps, resolved, request.kind) };
  } catch (error) {
    const fallback = resolved.fallback;
    if (!(error instanceof UnservableModel) || !fallback) throw error;
    log(deps.config.LOG_LEVEL, "error", {
      msg: "active model not served; the previous version serves instead",
      model: request.name,
      refused: resolved.located.ref.version,
      reason: error.reason,
      serving: fallback.located.ref.version,
    });
    return { resolved: fallback, model: await loadResolved(deps, fallback, request.kind) };
  }
}

/** Builds and scores one input; its problems are 422 with pointers under `at`. */
export async function scoreInput(serving: ServingModel, input: unknown, at: string) {
  const prepared = prepareInput(input, serving.model.manifest);
  if ("issues" in prepared) {
    const errors: FieldError[] = prepared.issues.map((issue) => ({
      location: "body",
      pointer: `${at}${issue.pointer}`,
      message: issue.message,
      code: "invalid_input",
    }));
    throw new AppError("validation_failed", "The input cannot be scored by this model.", { errors });
  }
  const { scorePrepared } = await engine();
  const [scored] = await scorePrepared(serving.model.manifest, serving.model.run, [prepared]);
  return { prepared, scored: scored as Scored };
}

/** What a prediction records beyond the score. */
export interface PredictionRecord {
  kind: PredictionKind;
  companyId: string | null;
  statementIds: string[] | null;
  rawInput: Record<string, unknown>;
  ratios: Record<string, Ratio> | null;
  reference: string | null;
}

/** Counts the row against the quota, stores the prediction and its audit event, in the caller's transaction. */
export async function recordPrediction(
  tx: Transaction,
  ctx: TenantContext,
  deps: RiskServices,
  serving: ServingModel,
  result: { prepared: PreparedInput; scored: Scored },
  record: PredictionRecord,
): Promise<PredictionRow> {
  await takeQuota(tx, ctx.tenantId, 1, ctx.now(), deps.config);
  const { ref, sha256 } = serving.resolved.located;
  const row = await insertPrediction(tx, {
    tenantId: ctx.tenantId,
    kind: record.kind,
    companyId: record.companyId,
    statementIds: record.statementIds,
    modelName: ref.name,
    modelVersion: ref.version,
    modelSha256: sha256,
    modelSource: serving.resolved.source,
    probability: result.scored.probability,
    band: result.scored.band,
    contributions: result.scored.contributions,
    ratios: record.ratios,
    features: namedVector(result.prepared.vector, serving.model.manifest),
    rawInput: record.rawInput,
    reference: record.reference,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    requestId: ctx.requestId,
  });
  await recordAudit(tx, ctx, {
    action: "prediction.created",
    resourceType: "prediction",
    resourceId: row.id,
    after: { kind: row.kind, model: `${ref.name}@${ref.version}`, band: row.band, company_id: row.companyId },
  });
  return row;
}
