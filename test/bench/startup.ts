/**
 * Start-up part of the bench: the CPU a fresh isolate spends evaluating the Worker before its first event
 * (what `wrangler check startup` profiles, measured the same way: the bundle `wrangler deploy --dry-run`
 * builds, imported by a wrapper module in a fresh Miniflare isolate), then the CPU of the first request that
 * isolate serves and of the second, so the work moved from start-up to first use shows. The floor Worker is
 * measured alike, as the ratio's base.
 *
 * Two measures, each the median of BENCH_STARTUP_RUNS (default 5) fresh isolates: the V8 profile's sampled
 * time outside `(idle)` (the figure `wrangler check startup` gives; on a busy machine its samples also count
 * time the thread waited for a core), and, on Linux, the workerd process's CPU time (schedstat, nanoseconds)
 * read around each phase with no inspector attached. Timers inside workerd do not advance during CPU work, so
 * the Worker cannot time itself.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import WebSocket from "ws";

const wranglerBin = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
/** Fresh isolates per Worker; each figure is their median. */
export const startupRuns = Number(process.env.BENCH_STARTUP_RUNS ?? 5);

const MEASURES = {
  profile: "profiled CPU (as wrangler check startup)",
  process: "workerd CPU time (schedstat)",
} as const;

/** One Worker's figures by one measure, in milliseconds of CPU (medians). */
export interface StartupRow {
  worker: "floor" | "api";
  measure: (typeof MEASURES)[keyof typeof MEASURES];
  startup_ms: number;
  first_request_ms: number;
  second_request_ms: number;
  startup_ratio_to_floor: number | null;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Sampled CPU time in ms: every sample's interval except those in which the isolate was idle. */
export function profileCpuMs(profile: CpuProfile): number {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  let micros = 0;
  profile.samples.forEach((node, i) => {
    if (!idle.has(node)) micros += profile.timeDeltas[i] ?? 0;
  });
  return micros / 1000;
}

/** `wrangler deploy --dry-run --outfile`: the upload form (metadata and modules) a deploy would send. */
async function build(config: string, directory: string): Promise<FormData> {
  const outfile = join(directory, `${randomUUID()}.bundle`);
  await promisify(execFile)(
    process.execPath,
    [wranglerBin, "deploy", "--dry-run", "--config", config, "--outfile", outfile],
    { env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, maxBuffer: 16 * 1024 * 1024 },
  );
  const bytes = readFileSync(outfile);
  const boundary = bytes.subarray(2, bytes.indexOf(10)).toString().trim();
  return new Response(bytes, {
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
  }).formData();
}

const MODULE_TYPES = {
  "application/javascript+module": "ESModule",
  "text/javascript": "CommonJS",
  "application/wasm": "CompiledWasm",
  "text/plain": "Text",
  "application/octet-stream": "Data",
} as const;

async function modulesOf(form: FormData) {
  const modules = [];
  for (const [path, entry] of form.entries()) {
    if (typeof entry === "string" || entry.type === "application/source-map") continue;
    const type = MODULE_TYPES[entry.type as keyof typeof MODULE_TYPES];
    if (!type) throw new Error(`${path}: unexpected module type ${entry.type}`);
    modules.push({ type, path, contents: new Uint8Array(await entry.arrayBuffer()) });
  }
  return modules;
}

/**
 * The wrapper `wrangler check startup` uses (the main module imported inside a request), with two more paths
 * that hand the imported Worker a request of the caller's choosing.
 */
const wrapper = (main: string) => `
let worker;
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__startup") {
      worker = (await import(${JSON.stringify(main)})).default;
      return new Response("ok");
    }
    const response = await worker.fetch(new Request(url), env, ctx);
    await response.arrayBuffer();
    return new Response(String(response.status));
  },
};
`;

type Phases = { startup: number; first: number; second: number };

/** Every workerd process started below this one (Miniflare spawns one per instance). */
function workerdProcesses(): Set<number> {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      names.set(Number(entry), stat.slice(stat.indexOf("(") + 1, close));
      parents.set(Number(entry), Number(stat.slice(close + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const below = (pid: number): boolean => {
    for (let parent = parents.get(pid); parent; parent = parents.get(parent)) {
      if (parent === process.pid) return true;
    }
    return false;
  };
  return new Set([...names].filter(([pid, name]) => name === "workerd" && below(pid)).map(([pid]) => pid));
}

/** CPU time of a process's threads in ms (nanoseconds from schedstat, not clock ticks). */
function processCpuMs(pid: number): number {
  let nanoseconds = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanoseconds += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // thread ended meanwhile
    }
  }
  return nanoseconds / 1e6;
}

/**
 * One fresh isolate: start-up, then `path` twice. `profile` measures each phase as `wrangler check startup`
 * does (V8 samples; under a loaded machine they also count time the thread waited for a core); `process`
 * reads the workerd process's CPU time around each phase instead, with no inspector attached (Linux only).
 */
async function measureOnce(
  form: FormData,
  path: string,
  bindings: Record<string, string>,
  expectStatus: number,
  mode: "profile" | "process",
): Promise<Phases> {
  const metadata = JSON.parse(form.get("metadata") as string) as {
    main_module: string;
    compatibility_date: string;
    compatibility_flags?: string[];
  };
  const existing = mode === "process" ? workerdProcesses() : new Set<number>();
  const mf = new Miniflare({
    name: "profiler",
    compatibilityDate: metadata.compatibility_date,
    compatibilityFlags: metadata.compatibility_flags ?? [],
    modulesRoot: "/",
    modules: [
      { type: "ESModule", path: randomUUID(), contents: wrapper(metadata.main_module) },
      ...(await modulesOf(form)),
    ],
    bindings,
    ...(mode === "profile" ? { inspectorPort: 0 } : {}),
  });
  try {
    await mf.ready;
    const request = async (target: string) => (await mf.dispatchFetch(`https://example.com${target}`)).text();
    let phase: (target: string, name: string) => Promise<{ answer: string; cpu: number }>;
    let close = () => {};
    if (mode === "process") {
      const pids = [...workerdProcesses()].filter((pid) => !existing.has(pid));
      if (pids.length !== 1) throw new Error(`expected one new workerd process, found ${pids.length}`);
      const pid = pids[0] as number;
      phase = async (target) => {
        const before = processCpuMs(pid);
        const answer = await request(target);
        return { answer, cpu: processCpuMs(pid) - before };
      };
    } else {
      const inspector = await mf.getInspectorURL();
      const ws = new WebSocket(new URL("/core:user:profiler", inspector.href));
      await once(ws, "open");
      close = () => ws.close();
      let id = 0;
      const pending = new Map<number, (result: unknown) => void>();
      ws.on("message", (data) => {
        const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
        if (message.id !== undefined) pending.get(message.id)?.(message.result);
      });
      const send = (method: string) =>
        new Promise<unknown>((resolve) => {
          pending.set(++id, resolve);
          ws.send(JSON.stringify({ id, method, params: {} }));
        });
      await send("Profiler.enable");
      phase = async (target, name) => {
        await send("Profiler.start");
        const answer = await request(target);
        const { profile } = (await send("Profiler.stop")) as { profile: CpuProfile };
        // BENCH_STARTUP_DUMP=prefix keeps the profiles, to be opened in DevTools.
        if (process.env.BENCH_STARTUP_DUMP)
          writeFileSync(`${process.env.BENCH_STARTUP_DUMP}-${name}.cpuprofile`, JSON.stringify(profile));
        return { answer, cpu: profileCpuMs(profile) };
      };
    }
    const startup = await phase("/__startup", "startup");
    const first = await phase(path, "first");
    const second = await phase(path, "second");
    close();
    for (const { answer } of [first, second]) {
      if (answer !== String(expectStatus)) throw new Error(`${path} answered ${answer}, not ${expectStatus}`);
    }
    return { startup: startup.cpu, first: first.cpu, second: second.cpu };
  } finally {
    await mf.dispose();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value =
    sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return Math.round(value * 10) / 10;
};

const MODES = process.platform === "linux" ? (["profile", "process"] as const) : (["profile"] as const);

async function measure(
  config: string,
  path: string,
  bindings: Record<string, string>,
  expectStatus: number,
  directory: string,
) {
  const form = await build(config, directory);
  const figures = new Map<(typeof MODES)[number], Phases>();
  for (const mode of MODES) {
    const phases: Phases[] = [];
    for (let run = 0; run < startupRuns; run++) {
      phases.push(await measureOnce(form, path, bindings, expectStatus, mode));
    }
    figures.set(mode, {
      startup: median(phases.map((p) => p.startup)),
      first: median(phases.map((p) => p.first)),
      second: median(phases.map((p) => p.second)),
    });
  }
  return figures;
}

/**
 * The floor (`GET /`) and the API (`GET /health`, configured as in local development with the limiter off, so
 * the request needs no database or Durable Object and measures the Worker itself).
 */
export async function measureStartup(): Promise<StartupRow[]> {
  const directory = mkdtempSync(join(tmpdir(), "finedge-startup-"));
  try {
    const floor = await measure("test/bench/floor/wrangler.toml", "/", {}, 204, directory);
    const api = await measure(
      "wrangler.toml",
      "/health",
      { ENVIRONMENT: "development", LOG_LEVEL: "error", RATE_LIMIT_BACKEND: "off" },
      200,
      directory,
    );
    const rows: StartupRow[] = [];
    for (const mode of MODES) {
      const base = floor.get(mode)?.startup;
      for (const [worker, figures] of [
        ["floor", floor.get(mode)],
        ["api", api.get(mode)],
      ] as const) {
        if (!figures) continue;
        rows.push({
          worker,
          measure: MEASURES[mode],
          startup_ms: figures.startup,
          first_request_ms: figures.first,
          second_request_ms: figures.second,
          startup_ratio_to_floor: base ? Math.round((figures.startup / base) * 10) / 10 : null,
        });
      }
    }
    return rows;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
