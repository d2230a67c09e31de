/**
 * onnxruntime-web inside workerd. Imported only by the engine, which scoring code imports lazily: routes
 * that do not score never pay for the runtime's start-up.
 *
 * - the `wasm` bundle build carries its loader inside (the plain build fetches a module by URL);
 * - the .wasm file arrives as a compiled WebAssembly.Module (wrangler's CompiledWasm rule), because
 *   workerd refuses to compile Wasm from bytes at run time;
 * - one thread, no proxy worker (neither exists here), and a placeholder binary so ORT does not try to
 *   fetch its own.
 */

import wasmModule from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import * as ort from "onnxruntime-web/wasm";

ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;
ort.env.wasm.wasmBinary = new Uint8Array(8);

/**
 * A session for an ONNX graph. While it is created, `WebAssembly.instantiate` called with bytes (the
 * placeholder) instantiates the precompiled module instead; the original is restored afterwards.
 */
export async function createSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  const original = WebAssembly.instantiate;
  const instantiate = async (source: unknown, imports?: WebAssembly.Imports) => {
    if (source instanceof WebAssembly.Module) return original(source, imports);
    const instance = await original(wasmModule, imports);
    return { instance, module: wasmModule };
  };
  WebAssembly.instantiate = instantiate as typeof WebAssembly.instantiate;
  try {
    return await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  } finally {
    WebAssembly.instantiate = original;
  }
}

/** Runs `rows` (each `width` long, or all of them end to end) through the session in one call; one probability per row. */
export async function runBatch(
  session: ort.InferenceSession,
  io: { input: string; output: string },
  rows: number[][] | Float32Array,
  width: number,
): Promise<Float32Array> {
  let flat: Float32Array;
  if (rows instanceof Float32Array) {
    if (rows.length % width !== 0) throw new Error(`the input is not rows of ${width}`);
    flat = rows;
  } else {
    flat = new Float32Array(rows.length * width);
    rows.forEach((row, i) => {
      flat.set(row, i * width);
    });
  }
  const count = flat.length / width;
  const outputs = await session.run({ [io.input]: new ort.Tensor("float32", flat, [count, width]) });
  const data = outputs[io.output]?.data;
  if (!(data instanceof Float32Array) || data.length !== count) {
    throw new Error(`output ${io.output} is not one float32 per row`);
  }
  return data;
}
