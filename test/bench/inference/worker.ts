/**
 * Runs ONNX graphs with the API's runtime code, for timing from outside:
 *
 * - `PUT /models/{name}?input=...&output=...` (body: model.onnx) creates and caches a session;
 * - `PUT /models/{name}/rows` (body: JSON array of input vectors) sets the rows to score;
 * - `POST /models/{name}/run?rows=N&batch=B` scores N rows in runs of B and answers the runs' count and
 *   the sum of every output (the caller compares it with another runtime's).
 *
 * `rows=0` does everything but the runs, so its time is the request's overhead.
 */
import { createSession, runBatch } from "../../../src/ml/runtime";
import { runRows } from "./batches";

interface Loaded {
  session: Awaited<ReturnType<typeof createSession>>;
  io: { input: string; output: string };
  rows: number[][];
}

const loaded = new Map<string, Loaded>();

const count = (value: string | null) => {
  const number = Number(value);
  return Number.isInteger(number) && number >= 0 ? number : null;
};

async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const [, root, name, action] = url.pathname.split("/");
  if (root !== "models" || !name) return new Response(null, { status: url.pathname === "/" ? 204 : 404 });
  if (request.method === "PUT" && action === undefined) {
    const input = url.searchParams.get("input");
    const output = url.searchParams.get("output");
    if (!input || !output) return new Response("input and output are required", { status: 400 });
    const session = await createSession(new Uint8Array(await request.arrayBuffer()));
    loaded.set(name, { session, io: { input, output }, rows: [] });
    return new Response(null, { status: 204 });
  }
  const model = loaded.get(name);
  if (!model) return new Response(`${name} is not loaded`, { status: 404 });
  if (request.method === "PUT" && action === "rows") {
    model.rows = (await request.json()) as number[][];
    return new Response(null, { status: 204 });
  }
  if (request.method === "POST" && action === "run") {
    const rows = count(url.searchParams.get("rows"));
    const batch = count(url.searchParams.get("batch"));
    const width = model.rows[0]?.length;
    if (rows === null || !batch || !width)
      return new Response("rows, batch and input rows are required", { status: 400 });
    const result = await runRows(model.rows, rows, batch, (picked) =>
      runBatch(model.session, model.io, picked, width),
    );
    return Response.json(result);
  }
  return new Response(null, { status: 405 });
}

export default {
  fetch: (request) => handle(request).catch((error: unknown) => new Response(String(error), { status: 500 })),
} satisfies ExportedHandler;
