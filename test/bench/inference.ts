/**
 * Inference per row: the same graphs and the same rows through onnxruntime-web inside workerd (the bench
 * inference Worker, which runs the API's runtime code) and through onnxruntime-node in this process, both
 * on one thread. workerd's clocks stand still while the CPU works, so its runs are timed from here around
 * HTTP requests: a request that scores N rows less an otherwise identical one that scores none.
 */
import * as ort from "onnxruntime-node";
import { creditValues, creditVector, typedCsvRecord } from "../../src/ml/credit-features";
import type { Manifest } from "../../src/ml/manifest";
import { parseManifest } from "../../src/ml/manifest-rules";
import { type ModelArtefact, readModelArtefacts } from "../../tools/model-artefacts";
import { freePort } from "../../tools/ports";
import { startWranglerDev } from "../../tools/wrangler";
import { creditApplications } from "./credit-data";
import { runRows } from "./inference/batches";

const MODELS = ["credit-lr", "credit-gbdt"];
const BATCHES = [1, 1000];
const REPEATS = 7;
/** A measured request scores rows for at least this long: the row count doubles until it does. */
const TARGET_MS = 200;

export interface InferenceRow {
  model: string;
  batch: number;
  rows_per_request: number;
  workerd_us_per_row: number;
  node_us_per_row: number;
  workerd_to_node: number;
  /** Whether both runtimes' outputs over the same rows sum to the same value (relative 1e-5). */
  outputs_match: boolean;
}

/** Contention on a shared machine only ever adds time, so the fastest of the repeats is the estimate. */
const best = (values: number[]) => Math.min(...values);
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The training applications as the model's input vectors, built by the API's own feature code. */
function inputRows(manifest: Manifest): number[][] {
  return creditApplications().flatMap((application) => {
    const checked = creditValues(typedCsvRecord(application, manifest), manifest);
    return "issues" in checked ? [] : [creditVector(checked.values, manifest)];
  });
}

export async function send(url: string, init: RequestInit = {}) {
  const started = performance.now();
  const response = await fetch(url, init);
  const body = await response.text();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${url} answered ${response.status}: ${body}`);
  return { ms, body };
}

/** Times one workerd request that scores `rows` rows in runs of `batch`; answers its checksum too. */
export async function workerdRequest(base: string, name: string, rows: number, batch: number) {
  const { ms, body } = await send(`${base}/models/${name}/run?rows=${rows}&batch=${batch}`, {
    method: "POST",
  });
  return { ms, checksum: (JSON.parse(body) as { checksum: number }).checksum };
}

/** onnxruntime-node: the same rows, batches and tensor building as the API's `runBatch`. */
function nodeRunner(session: ort.InferenceSession, manifest: Manifest, rows: number[][]) {
  const width = manifest.input.shape[1];
  const run = async (picked: number[][]) => {
    const flat = new Float32Array(picked.length * width);
    picked.forEach((row, i) => {
      flat.set(row, i * width);
    });
    const outputs = await session.run({
      [manifest.input.name]: new ort.Tensor("float32", flat, [picked.length, width]),
    });
    const data = outputs[manifest.output.name]?.data;
    if (!(data instanceof Float32Array)) throw new Error(`output ${manifest.output.name} is not float32`);
    return data;
  };
  return async (total: number, batch: number) => {
    const started = performance.now();
    const { checksum } = await runRows(rows, total, batch, run);
    return { ms: performance.now() - started, checksum };
  };
}

/**
 * One model at one batch size. Warm-up and row count in one (doubling until workerd's runs take
 * TARGET_MS), then REPEATS rounds of: workerd without rows, workerd with rows, Node with rows - interleaved,
 * so a slow spell of the machine falls on both runtimes. The best of each.
 */
async function measureBatch(
  base: string,
  name: string,
  node: ReturnType<typeof nodeRunner>,
  batch: number,
): Promise<InferenceRow> {
  let rows = batch === 1 ? 2000 : 10 * batch;
  const pair = async () =>
    (await workerdRequest(base, name, rows, batch)).ms - (await workerdRequest(base, name, 0, batch)).ms;
  // The better of two pairs, so that one stall of the machine does not end the doubling early.
  const net = async () => Math.min(await pair(), await pair());
  while ((await net()) < TARGET_MS && rows < 10_000_000) rows *= 2;
  await node(rows, batch);
  const empty: number[] = [];
  const full: number[] = [];
  const native: number[] = [];
  let checksums = { workerd: 0, node: 0 };
  for (let i = 0; i < REPEATS; i++) {
    empty.push((await workerdRequest(base, name, 0, batch)).ms);
    const workerd = await workerdRequest(base, name, rows, batch);
    full.push(workerd.ms);
    const local = await node(rows, batch);
    native.push(local.ms);
    checksums = { workerd: workerd.checksum, node: local.checksum };
  }
  const workerdMs = (best(full) - best(empty)) / rows;
  const nodeMs = best(native) / rows;
  const drift = Math.abs(checksums.workerd - checksums.node) / Math.max(1e-12, Math.abs(checksums.node));
  process.stderr.write(
    `  ${name} batch=${batch}: workerd ${(workerdMs * 1000).toFixed(2)} us/row, node ${(nodeMs * 1000).toFixed(2)} us/row\n`,
  );
  return {
    model: name,
    batch,
    rows_per_request: rows,
    workerd_us_per_row: round(workerdMs * 1000, 3),
    node_us_per_row: round(nodeMs * 1000, 3),
    workerd_to_node: round(workerdMs / nodeMs, 2),
    outputs_match: drift < 1e-5,
  };
}

async function measureModel(base: string, artefact: ModelArtefact): Promise<InferenceRow[]> {
  const parsed = parseManifest(JSON.parse(new TextDecoder().decode(artefact.files["manifest.json"])));
  if (!parsed.manifest) throw new Error(`${artefact.name}: invalid manifest`);
  const manifest = parsed.manifest;
  const rows = inputRows(manifest);
  const graph = artefact.files["model.onnx"];
  const io = `input=${manifest.input.name}&output=${manifest.output.name}`;
  await send(`${base}/models/${artefact.name}?${io}`, { method: "PUT", body: graph });
  await send(`${base}/models/${artefact.name}/rows`, { method: "PUT", body: JSON.stringify(rows) });
  const session = await ort.InferenceSession.create(graph, {
    executionProviders: ["cpu"],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const measured: InferenceRow[] = [];
  try {
    const node = nodeRunner(session, manifest, rows);
    for (const batch of BATCHES) measured.push(await measureBatch(base, artefact.name, node, batch));
  } finally {
    await session.release();
  }
  return measured;
}

/** The inference Worker (test/bench/inference/), started quietly on a free port. */
export const startInferenceWorker = async () =>
  startWranglerDev({
    port: await freePort(),
    config: "test/bench/inference/wrangler.toml",
    logLevel: "error",
    stdio: "ignore",
  });

/** Starts the inference Worker, measures every model at every batch size, and stops it. */
export async function measureInference(): Promise<InferenceRow[]> {
  const artefacts = (await readModelArtefacts()).filter((a) => MODELS.includes(a.name));
  const worker = await startInferenceWorker();
  try {
    const rows: InferenceRow[] = [];
    for (const artefact of artefacts) rows.push(...(await measureModel(worker.url, artefact)));
    return rows;
  } finally {
    await worker.stop();
  }
}
