import { read } from "../../db/batch";
import {
  listActivations,
  listModelVersions,
  type ModelVersionRow,
} from "../../db/repositories/model-versions.repository";
import type { ModelSource } from "../../db/tables/risk";
import type { CatalogueVersion } from "../../ml/layout";
import type { RiskServices } from "../context";
import type { TenantContext } from "../tenancy/context";
import { activePointer, platformCatalogue } from "./catalogue";
import { compareVersions } from "./model-registry";

/** One version as listings show it. */
export interface VersionSummary {
  version: string;
  kind: string;
  inputKind: string;
  description: string;
  sha256: string;
  sizeBytes: number;
  metrics: Record<string, unknown> | null;
  card: string | null;
  createdAt: string;
}

export interface ModelSummary {
  name: string;
  source: ModelSource;
  activeVersion: string | null;
  versions: VersionSummary[];
}

const fromCatalogue = (v: CatalogueVersion): VersionSummary => ({ ...v, createdAt: v.publishedAt });
const fromRow = (v: ModelVersionRow): VersionSummary => ({
  version: v.version,
  kind: v.kind,
  inputKind: v.inputKind,
  description: v.description,
  sha256: v.sha256,
  sizeBytes: v.sizeBytes,
  metrics: v.metrics ?? null,
  card: v.card,
  createdAt: v.createdAt.toISOString(),
});

/** The platform's models and the tenant's own, each with its versions (newest first) and the one in use. */
export async function listModels(ctx: TenantContext, deps: RiskServices): Promise<ModelSummary[]> {
  // The catalogue (R2) and the tenant's versions (one batch) side by side.
  const [catalogue, { own, activations }] = await Promise.all([
    platformCatalogue(deps.models),
    ctx.read((db) => ({
      own: read(listModelVersions(db, ctx.tenantId)),
      activations: read(listActivations(db, ctx.tenantId)),
    })),
  ]);
  const chosen = new Map(activations.map((a) => [a.name, a.version]));
  const models: ModelSummary[] = [];
  for (const model of catalogue.models) {
    const pointer = await activePointer(deps.models, model.name);
    models.push({
      name: model.name,
      source: "platform",
      activeVersion: chosen.get(model.name) ?? pointer?.version ?? null,
      versions: model.versions.map(fromCatalogue),
    });
  }
  const byName = new Map<string, ModelVersionRow[]>();
  for (const row of own) byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
  for (const [name, rows] of byName) {
    models.push({
      name,
      source: "tenant",
      activeVersion: chosen.get(name) ?? null,
      versions: rows.map(fromRow),
    });
  }
  for (const model of models) model.versions.sort((a, b) => compareVersions(b.version, a.version));
  return models;
}
