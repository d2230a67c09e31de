/**
 * Bring your own model: a tenant admin uploads an ONNX graph with its manifest (and card). It is admitted
 * only if the manifest is valid, the graph's sha256 is the manifest's, the graph loads with the manifest's
 * input and output, and a dry run reproduces every sample. It then waits to be activated.
 *
 * Stored in two round trips, both HTTP batches: the version is claimed (its row, not yet ready) before any
 * file is written, so a second upload of the same version is refused there and never overwrites the first's
 * files; the files go to R2; then the claim is marked ready with its audit event - or, when the files could
 * not be written, given up.
 */
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  CLAIM_LOST,
  claimModelVersion,
  type ModelVersionRow,
  modelVersionReady,
  releaseModelVersion,
} from "../../db/repositories/model-versions.repository";
import { meetingRequirements } from "../../db/requirements";
import { AppError, type FieldError } from "../../errors";
import { fileKey, type ModelRef } from "../../ml/layout";
import { PREDICTION_KIND_OF } from "../../ml/manifest";
import { type Issue, parseManifest } from "../../ml/manifest-rules";
import { sha256Hex } from "../../ml/sha256";
import type { RiskServices } from "../context";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { isPlatformModel } from "./catalogue";

export interface ModelUpload {
  manifest: Uint8Array;
  model: Uint8Array;
  card: string | null;
}

const refused = (detail: string, errors: FieldError[]) =>
  new AppError("validation_failed", detail, { errors: errors.slice(0, 50) });
const field = (prefix: string, issues: Issue[], code: string): FieldError[] =>
  issues.map((i) => ({ location: "body", pointer: `${prefix}${i.pointer}`, message: i.message, code }));

function readManifest(bytes: Uint8Array) {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    throw refused(
      "The manifest is not valid JSON.",
      field("/manifest", [{ pointer: "", message: "not JSON" }], "invalid_json"),
    );
  }
  const parsed = parseManifest(json);
  if (!parsed.manifest)
    throw refused("The manifest is not valid.", field("/manifest", parsed.issues, "invalid_manifest"));
  return parsed.manifest;
}

/** The manifest, once the graph is its own, loads, and reproduces every sample; 422 or 409 otherwise. */
async function admitted(deps: RiskServices, upload: ModelUpload) {
  const manifest = readManifest(upload.manifest);
  const sha256 = await sha256Hex(upload.model);
  if (sha256 !== manifest.sha256) {
    throw refused("The model does not match the manifest's sha256.", [
      {
        location: "body",
        pointer: "/model",
        message: `sha256 is ${sha256}, the manifest says ${manifest.sha256}`,
        code: "sha256_mismatch",
      },
    ]);
  }
  if (await isPlatformModel(deps.models, manifest.name)) {
    throw new AppError("conflict", `${manifest.name} is a platform model's name; choose another.`);
  }
  // Loaded lazily: only uploads and scoring pay for the inference runtime.
  const { ModelUnavailableError, sessionFor } = await import("../../ml/engine");
  const { dryRun } = await import("../../ml/dry-run");
  const run = await sessionFor(upload.model, manifest, manifest.name).catch((error: unknown) => {
    if (!(error instanceof ModelUnavailableError)) throw error;
    throw refused("The model cannot be loaded.", [
      { location: "body", pointer: "/model", message: error.message, code: "invalid_model" },
    ]);
  });
  const result = await dryRun(manifest, run);
  if (!result.passed) {
    const issues = result.checks.flatMap((c) =>
      c.problems.map((message) => ({ pointer: `/samples/${c.sample}`, message })),
    );
    throw refused(
      "The model does not reproduce its manifest's samples.",
      field("/manifest", issues, "dry_run_mismatch"),
    );
  }
  return { manifest, sha256, checks: result.checks };
}

/** The version's files, at their fixed keys. */
async function writeFiles(deps: RiskServices, ref: ModelRef, upload: ModelUpload, sha256: string) {
  await deps.models.put(fileKey(ref, "model.onnx"), upload.model, { sha256 });
  await deps.models.put(fileKey(ref, "manifest.json"), upload.manifest);
  if (upload.card !== null) await deps.models.put(fileKey(ref, "MODEL_CARD.md"), upload.card);
}

/** Validates, dry-runs and stores a model version; 422 with the reasons when any check fails. */
export async function uploadModel(
  ctx: TenantContext,
  deps: RiskServices,
  upload: ModelUpload,
): Promise<ModelVersionRow> {
  const { manifest, sha256, checks } = await admitted(deps, upload);
  const { name, version } = manifest;
  const claim = {
    id: crypto.randomUUID(),
    tenantId: ctx.tenantId,
    name,
    version,
    kind: manifest.kind,
    inputKind: manifest.rawInput.kind,
    description: manifest.description,
    sha256,
    manifestSha256: await sha256Hex(upload.manifest),
    sizeBytes: upload.model.byteLength,
    validation: { passed: true, checks },
    metrics: manifest.metrics ?? null,
    card: upload.card,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
  };
  const claimed = await ctx.write("models:manage", null, (db) => ({
    row: read(claimModelVersion(db, claim), (rows) => rows[0]),
  }));
  if (!claimed.row) throw new AppError("conflict", `${name} ${version} already exists.`);

  try {
    await writeFiles(deps, { tenantId: ctx.tenantId, name, version }, upload, sha256);
  } catch (error) {
    // Should the release fail too, the claim lapses with its lease.
    await ctx
      .write("models:manage", null, (db) => ({
        released: read(releaseModelVersion(db, ctx.tenantId, claim.id)),
      }))
      .catch(() => undefined);
    throw error;
  }
  const event = eventOf(ctx, {
    action: "model.uploaded",
    resourceType: "model",
    resourceId: name,
    after: { version, sha256, kind: PREDICTION_KIND_OF[manifest.rawInput.kind] },
  });
  const lost = () =>
    new AppError(
      "conflict",
      `The upload of ${name} ${version} took too long and another replaced it; retry it.`,
    );
  await meetingRequirements({ [CLAIM_LOST]: lost }, () =>
    ctx.write("models:manage", null, (db) => ({
      ready: read(modelVersionReady(db, ctx.tenantId, claim.id)),
      audit: read(auditEventStatement(db, event)),
    })),
  );
  ctx.audited += 1;
  return { ...claimed.row, filesReady: true };
}
