/**
 * Which model version a tenant scores with. Platform models are published to R2 with an active pointer;
 * a tenant may pin another published version (activation). A tenant's own models live in its R2 prefix
 * and score only once one of their versions is activated. Rolling back is activating an earlier version.
 */

import { type ReadResults, read } from "../../db/batch";
import type { Querier } from "../../db/client";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  activationAsRead,
  activationOf,
  listModelVersions,
  upsertActivation,
} from "../../db/repositories/model-versions.repository";
import { asRead } from "../../db/requirements";
import type { ModelSource } from "../../db/tables/risk";
import { AppError } from "../../errors";
import type { LocatedModel } from "../../ml/engine";
import type { RiskServices } from "../context";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { activePointer, platformCatalogue, platformVersion } from "./catalogue";
import { loadVerified, UnservableModel } from "./model-loading";

/**
 * A version to score with, where its files are and what their digests must be - and, when it is the
 * active version rather than one asked for, the version it replaced, to serve if it cannot be.
 */
export interface ResolvedModel {
  located: LocatedModel;
  source: ModelSource;
  fallback?: ResolvedModel | undefined;
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

/** What `resolveModel` reads: the tenant's own versions of a model and its activation, as batch statements. */
export const modelStatements = (db: Querier, tenantId: string, name: string) => ({
  own: read(listModelVersions(db, tenantId, name)),
  activation: read(activationOf(db, tenantId, name), (rows) => rows[0]),
});

/** The rows `modelStatements` read. */
export type ModelRows = ReadResults<ReturnType<typeof modelStatements>>;

/** The version of `name` to score with: `version` when given, else the tenant's activation, else the platform's. */
export async function resolveModel(
  ctx: TenantContext,
  deps: RiskServices,
  name: string,
  version?: string,
  rows?: ModelRows,
): Promise<ResolvedModel> {
  const { own, activation } = rows ?? (await ctx.read((db) => modelStatements(db, ctx.tenantId, name)));
  // Only the active version has a predecessor to fall back on; a version asked for by number has none.
  const previous = version === undefined ? (activation?.previousVersion ?? null) : null;
  if (own.length > 0) {
    const ownVersion = (wanted: string): ResolvedModel | undefined => {
      const row = own.find((v) => v.version === wanted);
      if (!row) return undefined;
      const ref = { tenantId: ctx.tenantId, name, version: row.version };
      return { located: { ref, sha256: row.sha256, manifestSha256: row.manifestSha256 }, source: "tenant" };
    };
    const wanted = version ?? activation?.version;
    if (!wanted) throw new AppError("conflict", `Model ${name} has no active version; activate one first.`);
    const resolved = ownVersion(wanted);
    if (!resolved) throw noVersion(name, wanted);
    return { ...resolved, fallback: previous === null ? undefined : ownVersion(previous) };
  }
  const wanted = version ?? activation?.version;
  if (wanted) {
    const resolved = await publishedVersion(deps, name, wanted);
    if (!resolved) throw noVersion(name, wanted);
    if (version !== undefined) return resolved;
    // A tenant's pinned version falls back on what it replaced, or else on the platform's active one.
    const fallback =
      previous === null ? await pointerVersion(deps, name) : await publishedVersion(deps, name, previous);
    return { ...resolved, fallback: fallback?.located.ref.version === wanted ? undefined : fallback };
  }
  const resolved = await pointerVersion(deps, name);
  if (!resolved) throw noModel(name);
  return resolved;
}

/** A published platform version, with the digests the catalogue holds for it. */
async function publishedVersion(
  deps: RiskServices,
  name: string,
  version: string,
): Promise<ResolvedModel | undefined> {
  const published = await platformVersion(deps.models, name, version);
  if (!published) return undefined;
  const ref = { tenantId: null, name, version };
  return {
    located: { ref, sha256: published.sha256, manifestSha256: published.manifestSha256 },
    source: "platform",
  };
}

/** The platform's active version of `name`, with the version its pointer replaced as the fallback. */
async function pointerVersion(deps: RiskServices, name: string): Promise<ResolvedModel | undefined> {
  const pointer = await activePointer(deps.models, name);
  if (!pointer) return undefined;
  const at = (version: string, sha256: { "model.onnx": string; "manifest.json": string }) => ({
    located: {
      ref: { tenantId: null, name, version },
      sha256: sha256["model.onnx"],
      manifestSha256: sha256["manifest.json"],
    },
    source: "platform" as const,
  });
  const previous = pointer.previous;
  return {
    ...at(pointer.version, pointer.sha256),
    fallback: previous ? at(previous.version, previous.sha256) : undefined,
  };
}

/**
 * Makes `version` the one the tenant scores `name` with, once its files pass their integrity check and
 * load - a version that does not is refused, and the current one keeps serving. An earlier version than
 * the current one is a rollback, and the audit trail says so.
 */
export async function activateModel(ctx: TenantContext, deps: RiskServices, name: string, version: string) {
  const platform = (await platformCatalogue(deps.models)).models.find((m) => m.name === name);
  const pointer = platform ? await activePointer(deps.models, name) : null;
  return asRead("The model's activation kept changing while this request was made; retry it.", async () => {
    const rows = await ctx.read((db) => modelStatements(db, ctx.tenantId, name));
    const { own, activation } = rows;
    const source: ModelSource = own.length > 0 ? "tenant" : "platform";
    const exists =
      source === "tenant"
        ? own.some((v) => v.version === version)
        : platform?.versions.some((v) => v.version === version);
    if (own.length === 0 && !platform) throw noModel(name);
    if (!exists) throw noVersion(name, version);
    const target = await resolveModel(ctx, deps, name, version, rows);
    await loadVerified(deps, target).catch((error: unknown) => {
      if (!(error instanceof UnservableModel)) throw error;
      throw new AppError(
        "conflict",
        error.reason === "integrity"
          ? `Model ${name} ${version} cannot be activated: its files do not match their sha256. The current version keeps serving.`
          : `Model ${name} ${version} cannot be activated: its files cannot be loaded. The current version keeps serving.`,
      );
    });
    const previous = activation?.version ?? pointer?.version ?? null;
    const rollback = previous !== null && compareVersions(version, previous) < 0;
    const event = eventOf(ctx, {
      action: rollback ? "model.rolled_back" : "model.activated",
      resourceType: "model",
      resourceId: name,
      before: { version: previous },
      after: { version, source },
    });
    const written = await ctx.write("models:manage", null, (db) => ({
      asRead: read(activationAsRead(db, ctx.tenantId, name, { activation, ownVersions: own.length })),
      row: read(
        upsertActivation(db, {
          tenantId: ctx.tenantId,
          name,
          version,
          previousVersion: previous === version ? (activation?.previousVersion ?? null) : previous,
          source,
          actorType: ctx.actor.type,
          actorId: ctx.actor.id,
          activatedAt: ctx.now(),
        }),
        (rows) => rows[0],
      ),
      audit: read(auditEventStatement(db, event)),
    }));
    ctx.audited += 1;
    if (!written.row) throw new Error("activation upsert returned nothing");
    return { row: written.row, previous, rollback };
  });
}
