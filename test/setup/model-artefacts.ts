/**
 * The trained models, handed to the workerd suites: the pool cannot read the file system, so global
 * setup reads models/ in Node and `provide`s each active version's files as base64.
 */
import type { TestProject } from "vitest/node";
import type { ModelFile } from "../../src/ml/layout";
import { readModelArtefacts } from "../../tools/model-artefacts";

/** One model version, its files in base64 (JSON-serialisable, as `provide` requires). */
export interface ProvidedModel {
  name: string;
  version: string;
  files: Record<ModelFile, string>;
  sha256: { "model.onnx": string; "manifest.json": string };
}

declare module "vitest" {
  export interface ProvidedContext {
    riskModels: ProvidedModel[];
  }
}

export async function provideModelArtefacts(project: TestProject): Promise<void> {
  const artefacts = await readModelArtefacts();
  project.provide(
    "riskModels",
    artefacts.map(({ name, version, files, sha256 }) => ({
      name,
      version,
      sha256,
      files: Object.fromEntries(
        Object.entries(files).map(([file, bytes]) => [file, Buffer.from(bytes).toString("base64")]),
      ) as Record<ModelFile, string>,
    })),
  );
}
