/**
 * Publishes the trained models (models/registry.json's active versions) to an R2 bucket: every file of
 * each version, the catalogue, and - last, once the files are in place - each model's active pointer.
 * Locally through wrangler's platform proxy on the same persistence folder as `wrangler dev`; remotely
 * through `wrangler r2 object put --remote`.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ActivePointer, activePointerKey, CATALOGUE_KEY, type Catalogue } from "../src/ml/layout";
import { fileObjects, mergeCatalogue, pointerOf } from "../src/ml/publication";
import { readModelArtefacts } from "./model-artefacts";

/** Where objects go: a get/put pair over a bucket, local or remote. */
interface ObjectStore {
  get(key: string): Promise<string | null>;
  put(key: string, body: Uint8Array | string, contentType: string): Promise<void>;
}

const contentTypeOf = (key: string) =>
  key.endsWith(".json")
    ? "application/json"
    : key.endsWith(".md")
      ? "text/markdown"
      : "application/octet-stream";

async function publishTo(store: ObjectStore, log: (line: string) => void): Promise<void> {
  const artefacts = await readModelArtefacts();
  const at = new Date().toISOString();
  for (const model of artefacts) {
    for (const { key, body } of fileObjects(model)) await store.put(key, body, contentTypeOf(key));
    log(
      `${model.name} ${model.version}: files uploaded (model.onnx sha256 ${model.sha256["model.onnx"].slice(0, 12)}...)`,
    );
  }
  const existing = await store.get(CATALOGUE_KEY);
  const catalogue = mergeCatalogue(existing ? (JSON.parse(existing) as Catalogue) : null, artefacts, at);
  await store.put(CATALOGUE_KEY, JSON.stringify(catalogue, null, 2), "application/json");
  for (const model of artefacts) {
    const current = await store.get(activePointerKey(model.name));
    const pointer = pointerOf(model, at, current ? (JSON.parse(current) as ActivePointer) : null);
    await store.put(activePointerKey(model.name), JSON.stringify(pointer, null, 2), "application/json");
    log(`${model.name}: active version ${model.version}`);
  }
}

/** The MODELS bucket `wrangler dev` binds (wrangler.toml's top level). */
async function localBucketName(): Promise<string> {
  const toml = await readFile("wrangler.toml", "utf8");
  const match = /\[\[r2_buckets\]\]\s*binding\s*=\s*"MODELS"\s*bucket_name\s*=\s*"([^"]+)"/.exec(toml);
  if (!match?.[1]) throw new Error("wrangler.toml binds no MODELS bucket");
  return match[1];
}

/** Into the local R2 that `wrangler dev --persist-to <persistTo>` serves (wrangler's default folder if unset). */
export async function publishLocal(options: {
  persistTo?: string | undefined;
  log?: (line: string) => void;
}) {
  const { getPlatformProxy } = await import("wrangler");
  const persistTo = options.persistTo ?? ".wrangler/state";
  // A configuration with the bucket alone: the Worker's Durable Objects are not needed to write objects.
  const dir = await mkdtemp(join(tmpdir(), "finedge-publish-"));
  const configPath = join(dir, "wrangler.toml");
  await writeFile(
    configPath,
    `name = "finedge-models-publisher"\ncompatibility_date = "2026-04-20"\n[[r2_buckets]]\nbinding = "MODELS"\nbucket_name = "${await localBucketName()}"\n`,
  );
  const proxy = await getPlatformProxy<{ MODELS: R2Bucket }>({
    configPath,
    persist: { path: resolve(persistTo, "v3") },
    remoteBindings: false,
  }).finally(() => rm(dir, { recursive: true, force: true }));
  try {
    const bucket = proxy.env.MODELS;
    await publishTo(
      {
        get: async (key) => (await bucket.get(key))?.text() ?? null,
        put: async (key, body, contentType) => {
          await bucket.put(key, body, { httpMetadata: { contentType } });
        },
      },
      options.log ?? (() => {}),
    );
  } finally {
    await proxy.dispose();
  }
}

const wranglerBin = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");

/**
 * `publishLocal` in a child process. Wrangler's platform proxy installs exit hooks that end the process on
 * SIGINT at once; a launcher that must stop what it started on Ctrl-C cannot host it.
 */
export function publishLocalInChild(persistTo: string | undefined): Promise<void> {
  const script = fileURLToPath(new URL("./publish-models.ts", import.meta.url));
  // Without a folder, wrangler dev persists to .wrangler/state: so does this.
  const args = ["--import", "tsx", script, "--persist-to", persistTo ?? ".wrangler/state"];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`publishing models failed (exit ${code})`)),
    );
  });
}

function wrangler(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wranglerBin, ...args], { stdio: ["ignore", "ignore", "inherit"] });
    child.once("error", reject);
    child.once("exit", (code) => resolve(code ?? 1));
  });
}

/** Into a Cloudflare R2 bucket, with wrangler's credentials. */
export async function publishRemote(options: { bucket: string; log?: (line: string) => void }) {
  const dir = await mkdtemp(join(tmpdir(), "finedge-models-"));
  const file = join(dir, "object");
  try {
    await publishTo(
      {
        get: async (key) => {
          const code = await wrangler([
            "r2",
            "object",
            "get",
            `${options.bucket}/${key}`,
            "--remote",
            "--file",
            file,
          ]);
          return code === 0 ? readFile(file, "utf8") : null;
        },
        put: async (key, body, contentType) => {
          await writeFile(file, body);
          const args = ["r2", "object", "put", `${options.bucket}/${key}`, "--remote", "--file", file];
          const code = await wrangler([...args, "--content-type", contentType]);
          if (code !== 0) throw new Error(`wrangler could not upload ${key} (exit ${code})`);
        },
      },
      options.log ?? (() => {}),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
