/**
 * What publishing a model version writes to the MODELS bucket - its files, its active pointer and its
 * catalogue entry - as plain data, so the Node publisher and the tests write exactly the same objects.
 */
import {
  type ActivePointer,
  type Catalogue,
  type CatalogueVersion,
  fileKey,
  MODEL_FILES,
  type ModelFile,
} from "./layout";

/** A model version's files and the digests the training pipeline recorded for them. */
export interface PublishableModel {
  name: string;
  version: string;
  files: Record<ModelFile, Uint8Array>;
  sha256: { "model.onnx": string; "manifest.json": string };
}

export function catalogueVersion(model: PublishableModel, publishedAt: string): CatalogueVersion {
  const manifest = JSON.parse(new TextDecoder().decode(model.files["manifest.json"])) as {
    kind: string;
    description: string;
    rawInput: { kind: string };
    metrics: Record<string, unknown> | null;
  };
  return {
    version: model.version,
    kind: manifest.kind,
    inputKind: manifest.rawInput.kind,
    description: manifest.description,
    sha256: model.sha256["model.onnx"],
    manifestSha256: model.sha256["manifest.json"],
    sizeBytes: model.files["model.onnx"].byteLength,
    metrics: manifest.metrics,
    card: new TextDecoder().decode(model.files["MODEL_CARD.md"]),
    publishedAt,
  };
}

/**
 * The pointer that makes `model` active. It remembers the version it replaces (or, when the same version
 * is published again, what that version had remembered), so there is always a last good version to fall
 * back on.
 */
export function pointerOf(
  model: PublishableModel,
  publishedAt: string,
  current: ActivePointer | null = null,
): ActivePointer {
  const previous =
    current === null
      ? null
      : current.version === model.version
        ? (current.previous ?? null)
        : { version: current.version, sha256: current.sha256 };
  return { name: model.name, version: model.version, sha256: model.sha256, publishedAt, previous };
}

/** The catalogue with these versions added (a version published again replaces its entry). */
export function mergeCatalogue(
  existing: Catalogue | null,
  models: PublishableModel[],
  publishedAt: string,
): Catalogue {
  const catalogue: Catalogue = structuredClone(existing ?? { models: [] });
  for (const model of models) {
    let entry = catalogue.models.find((m) => m.name === model.name);
    if (!entry) {
      entry = { name: model.name, versions: [] };
      catalogue.models.push(entry);
    }
    entry.versions = entry.versions.filter((v) => v.version !== model.version);
    entry.versions.push(catalogueVersion(model, publishedAt));
  }
  catalogue.models.sort((a, b) => a.name.localeCompare(b.name));
  return catalogue;
}

/** The objects of one version's files, keyed as the Worker reads them. */
export const fileObjects = (model: PublishableModel) =>
  MODEL_FILES.map((file) => ({ key: fileKey({ tenantId: null, ...model }, file), body: model.files[file] }));
