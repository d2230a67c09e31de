/**
 * Where models live in the MODELS bucket. Shared by the Worker and the Node-side publisher, so both
 * agree on every key:
 *
 *   models/{name}/active.json                        the active version of a platform model
 *   models/{name}/{version}/model.onnx|manifest.json|MODEL_CARD.md
 *   tenants/{tenantId}/models/{name}/{version}/...   a tenant's own models (active version in Postgres)
 */

/** The files of one model version. */
export const MODEL_FILES = ["model.onnx", "manifest.json", "MODEL_CARD.md"] as const;
export type ModelFile = (typeof MODEL_FILES)[number];

/** A platform model when `tenantId` is null, else one of that tenant's. */
export interface ModelRef {
  tenantId: string | null;
  name: string;
  version: string;
}

const root = (tenantId: string | null) => (tenantId === null ? "models" : `tenants/${tenantId}/models`);

/** The key prefix of one version's files (ends with "/"). */
export const versionPrefix = (ref: ModelRef) => `${root(ref.tenantId)}/${ref.name}/${ref.version}/`;

/** The key of one file of a version. */
export const fileKey = (ref: ModelRef, file: ModelFile) => `${versionPrefix(ref)}${file}`;

/** The active-version pointer of a platform model. */
export const activePointerKey = (name: string) => `models/${name}/active.json`;

/**
 * What a pointer holds: the version and the digests its files must have - and the version it replaced,
 * which keeps serving if the new one's files ever fail their check.
 */
export interface ActivePointer {
  name: string;
  version: string;
  sha256: { "model.onnx": string; "manifest.json": string };
  publishedAt: string;
  previous?: { version: string; sha256: { "model.onnx": string; "manifest.json": string } } | null;
}

/** Every platform model and version with what listings show, kept by the publisher next to the pointers. */
export const CATALOGUE_KEY = "models/catalogue.json";

export interface CatalogueVersion {
  version: string;
  kind: string;
  inputKind: string;
  description: string;
  sha256: string;
  manifestSha256: string;
  sizeBytes: number;
  metrics: Record<string, unknown> | null;
  card: string;
  publishedAt: string;
}

export interface Catalogue {
  models: Array<{ name: string; versions: CatalogueVersion[] }>;
}
