/**
 * Loads models from R2 - every file checked against its sha256 before use - and scores prepared inputs
 * in one batched inference call. Sessions are cached per isolate by where the files live and the model's
 * digest, so a new version (or a replaced file) is never served from a stale session.
 */
import { bandOf } from "./bands";
import { writeSubstituted } from "./credit-features";
import type { PreparedInput } from "./features";
import { fileKey, type ModelRef } from "./layout";
import type { Manifest } from "./manifest";
import { parseManifest } from "./manifest-rules";
import { linearContributions, substitutionContributions } from "./reasons";
import { createSession, runBatch } from "./runtime";
import { sha256Hex } from "./sha256";

/** A model version and the digests its files must have (from the active pointer or the database). */
export interface LocatedModel {
  ref: ModelRef;
  sha256: string;
  manifestSha256: string | null;
}

/** Why a model could not be served; never shown to clients beyond its kind. */
export class ModelUnavailableError extends Error {
  constructor(
    readonly reason: "missing" | "integrity" | "invalid",
    message: string,
  ) {
    super(message);
    this.name = "ModelUnavailableError";
  }
}

export interface LoadedModel {
  located: LocatedModel;
  manifest: Manifest;
  /**
   * Scores rows - arrays, or one array of them end to end - one probability per row. Serialises runs: one
   * session is one WebAssembly instance.
   */
  run(rows: number[][] | Float32Array): Promise<Float32Array>;
}

const MAX_CACHED = 16;
const cache = new Map<string, Promise<LoadedModel>>();

async function read(bucket: R2Bucket, key: string): Promise<Uint8Array> {
  const object = await bucket.get(key);
  if (!object) throw new ModelUnavailableError("missing", `${key} is not in the bucket`);
  return new Uint8Array(await object.arrayBuffer());
}

/** Bytes and manifest checked against the expected digests, then a session that matches the manifest. */
export async function sessionFor(bytes: Uint8Array, manifest: Manifest, where: string) {
  const session = await createSession(bytes).catch((error: unknown) => {
    throw new ModelUnavailableError("invalid", `${where}: not a loadable ONNX graph (${String(error)})`);
  });
  if (
    !session.inputNames.includes(manifest.input.name) ||
    !session.outputNames.includes(manifest.output.name)
  ) {
    throw new ModelUnavailableError("invalid", `${where}: graph input/output names differ from the manifest`);
  }
  let queue: Promise<unknown> = Promise.resolve();
  const io = { input: manifest.input.name, output: manifest.output.name };
  const run = (rows: number[][] | Float32Array) => {
    const next = queue.then(() => runBatch(session, io, rows, manifest.input.shape[1]));
    queue = next.catch(() => undefined);
    return next;
  };
  return run;
}

async function load(bucket: R2Bucket, located: LocatedModel): Promise<LoadedModel> {
  const where = `${located.ref.name}@${located.ref.version}`;
  const manifestBytes = await read(bucket, fileKey(located.ref, "manifest.json"));
  if (located.manifestSha256 && (await sha256Hex(manifestBytes)) !== located.manifestSha256) {
    throw new ModelUnavailableError("integrity", `${where}: manifest.json does not match its sha256`);
  }
  const parsed = parseManifest(JSON.parse(new TextDecoder().decode(manifestBytes)));
  if (!parsed.manifest) throw new ModelUnavailableError("invalid", `${where}: manifest.json is not valid`);
  const manifest = parsed.manifest;
  if (manifest.sha256 !== located.sha256) {
    throw new ModelUnavailableError("integrity", `${where}: manifest names another model.onnx`);
  }
  const bytes = await read(bucket, fileKey(located.ref, "model.onnx"));
  if ((await sha256Hex(bytes)) !== located.sha256) {
    throw new ModelUnavailableError("integrity", `${where}: model.onnx does not match its sha256`);
  }
  return { located, manifest, run: await sessionFor(bytes, manifest, where) };
}

/** How long a version that failed its checks is refused before its files are fetched and checked again. */
const REFUSED_MS = 30_000;
const refused = new Map<string, { at: number; error: ModelUnavailableError }>();

/**
 * The cached model, loading (and verifying) it on first use. A failed load is not cached, but is
 * remembered for a short while, so a broken version is not downloaded and hashed again on every request
 * that falls back from it.
 */
export function loadModel(bucket: R2Bucket, located: LocatedModel): Promise<LoadedModel> {
  const { tenantId, name, version } = located.ref;
  const key = `${tenantId ?? "platform"}/${name}/${version}#${located.sha256}`;
  const failure = refused.get(key);
  if (failure && Date.now() - failure.at < REFUSED_MS) return Promise.reject(failure.error);
  refused.delete(key);
  let entry = cache.get(key);
  if (!entry) {
    entry = load(bucket, located);
    entry.catch((error: unknown) => {
      cache.delete(key);
      // A missing file may be on its way (publishing writes files first); altered or broken ones are not.
      if (error instanceof ModelUnavailableError && error.reason !== "missing") {
        refused.set(key, { at: Date.now(), error });
        if (refused.size > MAX_CACHED) refused.delete(refused.keys().next().value as string);
      }
    });
    cache.set(key, entry);
    // Oldest first out: tenants' own models could otherwise fill the isolate's memory.
    if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
  }
  return entry;
}

/** One scored input. */
export interface Scored {
  probability: number;
  band: string;
  contributions: Record<string, number>;
}

/**
 * Scores prepared inputs - and their substituted copies, for substitution reason codes - in one call, their
 * rows written straight into the model's input. A feature at its reference has the input as its copy: its
 * score is the input's.
 */
export async function scorePrepared(
  manifest: Manifest,
  run: LoadedModel["run"],
  inputs: PreparedInput[],
): Promise<Scored[]> {
  if (inputs.length === 0) return [];
  const width = manifest.input.shape[1];
  const count = inputs.reduce((sum, input) => sum + 1 + input.substituted.length, 0);
  const flat = new Float32Array(count * width);
  let row = 0;
  for (const input of inputs) {
    const at = row++ * width;
    flat.set(input.vector, at);
    for (const feature of input.substituted) writeSubstituted(flat, at, row++ * width, feature, manifest);
  }
  const output = await run(flat);
  let at = 0;
  return inputs.map((input) => {
    const probability = output[at++] as number;
    const substituted = new Float32Array(manifest.features.length).fill(probability);
    for (const feature of input.substituted) substituted[feature] = output[at++] as number;
    const contributions =
      manifest.reasonCodes.method === "linear"
        ? linearContributions(input.vector, manifest)
        : substitutionContributions(probability, substituted, manifest);
    return { probability, band: bandOf(probability, manifest.bands), contributions };
  });
}
