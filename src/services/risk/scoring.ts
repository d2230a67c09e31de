/**
 * The scoring path shared by every prediction: find the version to use, load it (the inference runtime is
 * imported here, lazily, so other routes never start it) with its row of the day's quota taken, turn the
 * request into the model's input and score it. Writing the result after the response: prediction-writes.ts.
 */
import type { ReadResults } from "../../db/batch";
import type { Querier } from "../../db/client";
import type { PredictionKind } from "../../db/tables/risk";
import type { Consultation, InferenceTake } from "../../durable-objects/tenant-authority";
import { AppError, type FieldError } from "../../errors";
import { log } from "../../logger";
import type { LoadedModel, Scored } from "../../ml/engine";
import { prepareInput } from "../../ml/features";
import { PREDICTION_KIND_OF } from "../../ml/manifest";
import type { RiskServices } from "../context";
import type { TenantContext } from "../tenancy/context";
import { copyUntil } from "../tenancy/edge-standing";
import { engine, loadVerified, UnservableModel } from "./model-loading";
import { modelStatements, type ResolvedModel, resolveModel } from "./model-registry";
import { exhausted, type Judged, learnTenant, limitOfJudged, tenantStatements, utcDay } from "./quota";

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

/** The version a request scores with, resolved and loaded. */
export interface ServingModel {
  resolved: ResolvedModel;
  model: LoadedModel;
}

export interface AdmissionOptions {
  /** Rows of the day's quota to take, all or none (429 when they do not fit). */
  take?: number;
  /** Refuse (429) when nothing of the day's quota is left, taking none (a bulk submission). */
  requireLeft?: boolean;
  /**
   * What the tenant's authority answered before validation (`authorize`'s atEdge), if it was asked. A take
   * made here is recorded on it, so that `authorize` gives the rows back should the request fail.
   */
  consultation?: Consultation | undefined;
  /**
   * What a batch of the request's own read for the same model found - its statements `admissionStatements`
   * (the caller's standing checked with them): admission reads nothing more.
   */
  found?: AdmissionRows;
}

/** What admission reads of the database when the edge does not hold it: the model's rows, the tenant's facts. */
export const admissionStatements = (db: Querier, tenantId: string, model: string, now: Date) => ({
  ...modelStatements(db, tenantId, model),
  ...tenantStatements(db, tenantId, now),
});

export type AdmissionRows = ReadResults<ReturnType<typeof admissionStatements>>;

/**
 * Finds and loads the model a request names, and takes its rows of the day's quota. What the edge holds (the
 * caller's standing, the tenant's facts and model rows, consulted alongside the token check) decides without
 * the database; what it misses is read in one batch and given back to it. When the active version cannot be
 * served - its files altered or gone - the version it replaced keeps serving, and the failure is logged as
 * an error for operators; a version asked for by number is served as itself or not at all.
 */
export async function servingModel(
  ctx: TenantContext,
  deps: RiskServices,
  request: { name: string; version?: string | undefined; kind: KindWanted },
  options: AdmissionOptions = {},
): Promise<ServingModel> {
  return loadServing(deps, await admittedModel(ctx, deps, request, options), request);
}

/**
 * `servingModel`'s admission alone: the version a request may score with, its quota taken, every refusal but
 * those of the model's files made. `loadServing` loads it - and may still refuse it, or fall back.
 */
export async function admittedModel(
  ctx: TenantContext,
  deps: RiskServices,
  request: { name: string; version?: string | undefined; kind: KindWanted },
  options: AdmissionOptions = {},
): Promise<ResolvedModel> {
  const now = ctx.now();
  const day = utcDay(now);
  const take = options.take
    ? { day, rows: options.take, defaultLimit: deps.config.TENANT_INFERENCE_ROWS_PER_DAY }
    : undefined;
  const consulted = options.consultation;
  let judged =
    consulted?.tenant && consulted.models && (!take || consulted.granted !== undefined)
      ? (consulted as Judged)
      : undefined;
  if (!judged || !ctx.standingChecked) {
    // One batch for whatever the edge did not hold (with the caller's standing, if pending).
    const found =
      options.found ?? (await ctx.read((db) => admissionStatements(db, ctx.tenantId, request.name, now)));
    judged ??= await learnAndTake(
      deps,
      ctx.tenantId,
      consulted,
      {
        tenant: found.tenant,
        model: { name: request.name, rows: { own: found.own, activation: found.activation } },
        used: { day, rows: found.used },
        until: copyUntil(now),
      },
      take,
    );
  }
  if (judged.tenant.status !== "active") throw new AppError("forbidden", "The tenant is suspended.");
  const resolved = await resolveModel(ctx, deps, request.name, request.version, judged.models);
  // A model that does not exist is 404 before a spent quota is 429.
  const limit = limitOfJudged(judged, deps.config);
  if (take && (judged.granted ?? 0) < take.rows) throw exhausted(limit, now);
  if (options.requireLeft && judged.used >= limit) throw exhausted(limit, now);
  return resolved;
}

/**
 * `learnTenant`, with the grant recorded on the request's consultation (when there is one), which is what
 * `authorize` gives back should the request fail.
 */
async function learnAndTake(
  deps: RiskServices,
  tenantId: string,
  consulted: Consultation | undefined,
  ...rest: [Parameters<typeof learnTenant>[3], InferenceTake | undefined]
): Promise<Judged> {
  const judged = await learnTenant(deps, tenantId, consulted?.generation ?? -1, ...rest);
  if (consulted && rest[1]) Object.assign(consulted, { granted: judged.granted, day: rest[1].day });
  return judged;
}

/** Loads a resolved version, or - when the active one cannot be served - the version it replaced. */
export async function loadServing(
  deps: RiskServices,
  resolved: ResolvedModel,
  request: { name: string; kind: KindWanted },
): Promise<ServingModel> {
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
