/**
 * The bulk job's floor: the inference a 100,000-row credit-gbdt job must do, and nothing else. The bulk CSV's
 * applications are prepared by the API's own feature code - each one's vector and its substituted copies, as a
 * chunk builds them - and the inference Worker scores exactly that many rows, in runs of one chunk's rows, with
 * the API's runtime code. The bulk rows are read against it: a job "at the speed of inference" takes no longer.
 */
import { typedCsvRecord, writeSubstituted } from "../../src/ml/credit-features";
import { prepareInput } from "../../src/ml/features";
import { parseManifest } from "../../src/ml/manifest-rules";
import { readModelArtefacts } from "../../tools/model-artefacts";
import { creditApplications } from "./credit-data";
import { send, startInferenceWorker, workerdRequest } from "./inference";

const MODEL = "credit-gbdt";
const REPEATS = 3;

export interface BulkInference {
  /** The model rows a job of `rows` applications scores: each application and its substituted copies. */
  model_rows: number;
  /** Those rows scored in runs of one chunk's rows, less an identical request scoring none; best of three. */
  inference_s: number;
}

/** Each training application's model rows, in the order the bulk CSV cycles through them. */
function applicationRows(manifest: Parameters<typeof prepareInput>[1]): number[][][] {
  const width = manifest.input.shape[1];
  return creditApplications().map((application) => {
    const prepared = prepareInput(typedCsvRecord(application, manifest), manifest);
    if ("issues" in prepared) throw new Error("a training application is refused by the model");
    const flat = new Float32Array((1 + prepared.substituted.length) * width);
    flat.set(prepared.vector, 0);
    prepared.substituted.forEach((feature, i) => {
      writeSubstituted(flat, 0, (i + 1) * width, feature, manifest);
    });
    return Array.from({ length: 1 + prepared.substituted.length }, (_, i) =>
      Array.from(flat.subarray(i * width, (i + 1) * width)),
    );
  });
}

/** Starts the inference Worker, times the job's inference alone, and stops it. */
export async function measureBulkInference(rows: number, chunkRows: number): Promise<BulkInference> {
  const artefact = (await readModelArtefacts()).find((a) => a.name === MODEL);
  if (!artefact) throw new Error(`${MODEL} is not among the models`);
  const parsed = parseManifest(JSON.parse(new TextDecoder().decode(artefact.files["manifest.json"])));
  if (!parsed.manifest) throw new Error(`${MODEL}: invalid manifest`);
  const manifest = parsed.manifest;
  const perApplication = applicationRows(manifest);
  let modelRows = 0;
  for (let i = 0; i < rows; i++)
    modelRows += (perApplication[i % perApplication.length] as number[][]).length;
  const cycle = perApplication.flat();
  const chunks = Math.ceil(rows / chunkRows);
  const batch = Math.ceil(modelRows / chunks);
  const worker = await startInferenceWorker();
  try {
    const base = worker.url;
    const io = `input=${manifest.input.name}&output=${manifest.output.name}`;
    await send(`${base}/models/${MODEL}?${io}`, { method: "PUT", body: artefact.files["model.onnx"] });
    await send(`${base}/models/${MODEL}/rows`, { method: "PUT", body: JSON.stringify(cycle) });
    await workerdRequest(base, MODEL, batch, batch); // warm-up: the runtime's code optimised
    const net: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const empty = (await workerdRequest(base, MODEL, 0, batch)).ms;
      net.push((await workerdRequest(base, MODEL, modelRows, batch)).ms - empty);
    }
    return { model_rows: modelRows, inference_s: Math.round(Math.min(...net) / 10) / 100 };
  } finally {
    await worker.stop();
  }
}
