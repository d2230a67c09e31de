/**
 * Which model version a tenant scores with. Platform models are published to R2 with an active pointer;
 * a tenant may pin another published version (activation). A tenant's own models live in its R2 prefix
 * and score only once one of their versions is activated. Rolling back is activating an earlier version.
 */
import type { Transaction } from "../../db/client";
import {
  findActivation,
  listModelVersions,
  lockActivation,
  upsertActivation,
} from "../../db/repositories/model-versions.repository";
import type { ModelSource } from "../../db/tables/risk";
import { AppError } from "../../errors";
import type { LocatedModel } from "../../ml/engine";
import { recordAudit } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { activePointer, platformCatalogue, platformVersion } from "./catalogue";
import type { RiskDeps } from "./deps";

/** A version to score with, where its files are and what their digests must be. */
export interface ResolvedModel {
  located: LocatedModel;
  source: ModelSource;
}

const noModel = (name: string) => new AppError("not_found", `No model named ${name} is available.`);
const noVersion = (name: string, version: string) =>
  new AppError("not_found", `Model ${name} has no version ${version}.`);

/** Compares semantic versions (x.y.z). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The version of `name` to score with: `version` when given, else the tenant's activation, else the platform's. */
export async function resolveModel(
  tx: Transaction,
  ctx: TenantContext,
  deps: RiskDeps,
  name: string,
  version?: string,
): Promise<ResolvedModel> {
  const own = await listModelVersions(tx, ctx.tenantId, name);
  const activation = await findActivation(tx, ctx.tenantId, name);
  if (own.length > 0) {
    const wanted = version ?? activation?.version;
    if (!wanted) throw new AppError("conflict", `Model ${name} has no active version; activate one first.`);
    const row = own.find((v) => v.version === wanted);
    if (!row) throw noVersion(name, wanted);
    const ref = { tenantId: ctx.tenantId, name, version: row.version };
    return { located: { ref, sha256: row.sha256, manifestSha256: row.manifestSha256 }, source: "tenant" };
  }
  const wanted = version ?? activation?.version;
  if (wanted) {
    const published = await platformVersion(deps.models, name, wanted);
    if (!published) throw noVersion(name, wanted);
    const ref = { tenantId: null, name, version: wanted };
    return {
      located: { ref, sha256: published.sha256, manifestSha256: published.manifestSha256 },
      source: "platform",
    };
  }
  const pointer = await activePointer(deps.models, name);
  if (!pointer) throw noModel(name);
  const ref = { tenantId: null, name, version: pointer.version };
  const located = {
    ref,
    sha256: pointer.sha256["model.onnx"],
    manifestSha256: pointer.sha256["manifest.json"],
  };
  return { located, source: "platform" };
}

/**
 * Makes `version` the one the tenant scores `name` with; an earlier version than the current one is a
 * rollback, and the audit trail says so.
 */
export async function activateModel(ctx: TenantContext, deps: RiskDeps, name: string, version: string) {
  const platform = (await platformCatalogue(deps.models)).models.find((m) => m.name === name);
  const pointer = platform ? await activePointer(deps.models, name) : null;
  return ctx.transaction(async (tx) => {
    const own = await listModelVersions(tx, ctx.tenantId, name);
    const source: ModelSource = own.length > 0 ? "tenant" : "platform";
    const exists =
      source === "tenant"
        ? own.some((v) => v.version === version)
        : platform?.versions.some((v) => v.version === version);
    if (own.length === 0 && !platform) throw noModel(name);
    if (!exists) throw noVersion(name, version);
    const current = await lockActivation(tx, ctx.tenantId, name);
    const previous = current?.version ?? pointer?.version ?? null;
    const row = await upsertActivation(tx, {
      tenantId: ctx.tenantId,
      name,
      version,
      source,
      actorType: ctx.actor.type,
      actorId: ctx.actor.id,
      activatedAt: ctx.now(),
    });
    const rollback = previous !== null && compareVersions(version, previous) < 0;
    await recordAudit(tx, ctx, {
      action: rollback ? "model.rolled_back" : "model.activated",
      resourceType: "model",
      resourceId: name,
      before: { version: previous },
      after: { version, source },
    });
    return { row, previous, rollback };
  });
}
