import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { MODEL_FILES, type ModelFile } from "../src/ml/layout";

export const MODELS_FOLDER = fileURLToPath(new URL("../models", import.meta.url));

/** One model version as the training pipeline wrote it, with the digests registry.json promises. */
export interface ModelArtefact {
  name: string;
  version: string;
  files: Record<ModelFile, Uint8Array>;
  sha256: { "model.onnx": string; "manifest.json": string };
}

interface Registry {
  models: Array<{ name: string; activeVersion: string; sha256: Record<string, string> }>;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/**
 * The active version of every model in models/registry.json. Refuses files whose sha256 is not the one
 * the registry records, so nothing edited by hand after training is ever published.
 */
export async function readModelArtefacts(folder = MODELS_FOLDER): Promise<ModelArtefact[]> {
  const registry = JSON.parse(await readFile(`${folder}/registry.json`, "utf8")) as Registry;
  const artefacts: ModelArtefact[] = [];
  for (const entry of registry.models) {
    const dir = `${folder}/${entry.name}/${entry.activeVersion}`;
    const files = {} as Record<ModelFile, Uint8Array>;
    for (const file of MODEL_FILES) files[file] = new Uint8Array(await readFile(`${dir}/${file}`));
    for (const file of ["model.onnx", "manifest.json"] as const) {
      const actual = sha256(files[file]);
      if (actual !== entry.sha256[file]) {
        throw new Error(`${dir}/${file}: sha256 ${actual} is not the registry's ${entry.sha256[file]}`);
      }
    }
    artefacts.push({
      name: entry.name,
      version: entry.activeVersion,
      files,
      sha256: { "model.onnx": sha256(files["model.onnx"]), "manifest.json": sha256(files["manifest.json"]) },
    });
  }
  return artefacts;
}
