import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type LocatedModel, loadModel, ModelUnavailableError } from "../../../src/ml/engine";
import { fileKey, type ModelRef } from "../../../src/ml/layout";
import { modelFiles } from "./model-files";

const bucket = (env as unknown as { MODELS: R2Bucket }).MODELS;

/** Stores credit-lr's files under a fresh tenant prefix (a fresh cache key), optionally tampered. */
async function stored(tamper: { onnx?: boolean; manifest?: boolean } = {}): Promise<LocatedModel> {
  const files = modelFiles("credit-lr");
  const ref: ModelRef = { tenantId: crypto.randomUUID(), name: "credit-lr", version: files.version };
  const onnx = files.onnx.slice();
  if (tamper.onnx) onnx[onnx.length - 1] = (onnx[onnx.length - 1] ?? 0) ^ 1;
  const manifest = tamper.manifest
    ? new TextEncoder().encode(JSON.stringify({ ...files.manifest, description: "edited" }))
    : files.manifestBytes;
  await bucket.put(fileKey(ref, "model.onnx"), onnx);
  await bucket.put(fileKey(ref, "manifest.json"), manifest);
  return { ref, sha256: files.sha256["model.onnx"], manifestSha256: files.sha256["manifest.json"] };
}

async function refusal(located: LocatedModel) {
  const error = await loadModel(bucket, located).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ModelUnavailableError);
  return error as ModelUnavailableError;
}

describe("model integrity", () => {
  it("loads and scores files whose sha256 match", async () => {
    const model = await loadModel(bucket, await stored());
    const output = await model.run([new Array(26).fill(0)]);
    expect(output).toHaveLength(1);
  });

  it("refuses a model.onnx whose bytes differ from the digest", async () => {
    const error = await refusal(await stored({ onnx: true }));
    expect(error.reason).toBe("integrity");
    expect(error.message).toMatch(/model\.onnx does not match its sha256/);
  });

  it("refuses an edited manifest, and one naming another graph", async () => {
    expect((await refusal(await stored({ manifest: true }))).message).toMatch(
      /manifest\.json does not match/,
    );
    const other = { ...(await stored()), sha256: "0".repeat(64) };
    expect((await refusal(other)).message).toMatch(/manifest names another model\.onnx/);
  });

  it("reports missing files as missing, and does not cache the failure", async () => {
    const located = await stored();
    await bucket.delete(fileKey(located.ref, "model.onnx"));
    expect((await refusal(located)).reason).toBe("missing");
    const files = modelFiles("credit-lr");
    await bucket.put(fileKey(located.ref, "model.onnx"), files.onnx);
    await expect(loadModel(bucket, located)).resolves.toBeDefined();
  });
});
