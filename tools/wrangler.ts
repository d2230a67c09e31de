import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { freePort } from "./ports";

const wranglerBin = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");

/** Options of {@link startWranglerDev}. */
export interface WranglerDevOptions {
  port: number;
  /** A wrangler config other than ./wrangler.toml. */
  config?: string;
  /** `--var NAME:value` bindings. */
  vars?: Record<string, string>;
  /** Directory for local R2/DO state; wrangler's default (.wrangler/state) when omitted. */
  persistTo?: string | undefined;
  /** Wrangler's own log level; `error` keeps benchmarks quiet. */
  logLevel?: "debug" | "info" | "log" | "warn" | "error" | "none";
  /** Show the Worker's output (dev) or drop it (bench). */
  stdio?: "inherit" | "ignore";
  /** A path that answers 200 once the Worker is up. */
  readyPath?: string;
}

/** A running `wrangler dev`. */
export interface WranglerDev {
  url: string;
  /** Resolves with the exit code when wrangler exits on its own. */
  exited: Promise<number>;
  stop: () => Promise<void>;
}

const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

const signalGroup = (pgid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is already empty
  }
};

async function waitForEmptyGroup(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * Stops wrangler and everything it spawned (workerd, esbuild): SIGTERM to the whole process group, then
 * SIGKILL if any member outlives `graceMs`. Returns only once the group is empty.
 */
async function stopGroup(child: ChildProcess, graceMs = 5_000): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return;
  const exited =
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => child.once("exit", () => resolve()));
  signalGroup(pgid, "SIGTERM");
  if (!(await waitForEmptyGroup(pgid, graceMs))) {
    signalGroup(pgid, "SIGKILL");
    await waitForEmptyGroup(pgid, graceMs);
  }
  await exited;
}

async function waitUntilReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`wrangler exited with code ${child.exitCode} while starting`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the Worker did not answer ${url} within ${timeoutMs} ms`);
}

/**
 * `wrangler dev` on loopback at `port` (inspector on a free port), in its own process group so that
 * `stop()` also stops the workerd it spawns. Resolves once `readyPath` answers.
 */
export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
  const args = [
    wranglerBin,
    "dev",
    ...(options.config ? ["--config", options.config] : []),
    "--ip",
    "127.0.0.1",
    "--port",
    String(options.port),
    "--inspector-port",
    String(await freePort()),
    "--log-level",
    options.logLevel ?? "info",
    "--show-interactive-dev-session=false",
    ...(options.persistTo ? ["--persist-to", options.persistTo] : []),
    ...Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", options.stdio ?? "inherit", options.stdio ?? "inherit"],
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
  const url = `http://127.0.0.1:${options.port}`;
  const stop = () => stopGroup(child);
  try {
    await waitUntilReady(`${url}${options.readyPath ?? "/"}`, child, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, exited, stop };
}
