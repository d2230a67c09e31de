import { inject } from "vitest";
import type { Manifest } from "../../../src/ml/manifest";

const decode = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** The trained models' files, as global setup read them from models/. */
export function modelFiles(name: string) {
  const model = inject("riskModels").find((m) => m.name === name);
  if (!model) throw new Error(`no model ${name} in models/registry.json`);
  return {
    version: model.version,
    onnx: decode(model.files["model.onnx"]),
    manifestBytes: decode(model.files["manifest.json"]),
    manifest: JSON.parse(new TextDecoder().decode(decode(model.files["manifest.json"]))) as Manifest,
    sha256: model.sha256,
  };
}

export const MODEL_NAMES = ["credit-lr", "credit-gbdt", "corporate-annual", "corporate-quarterly"] as const;
