import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { startEmbeddedPostgres } from "./embedded-postgres";
import { applyMigrations } from "./migrate";
import { freePort } from "./ports";
import { startRelay } from "./relay";

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  port: number;
  /** An external Postgres; without it the embedded one is started. */
  databaseUrl?: string | undefined;
  /** Where the embedded Postgres and local R2/DO state persist; in memory when omitted. */
  dataDir?: string | undefined;
  /** Extra `--var NAME:value` bindings for the Worker. */
  vars?: Record<string, string>;
  /** Wrangler's own log level; `error` keeps benchmarks quiet. */
  wranglerLogLevel?: "debug" | "info" | "log" | "warn" | "error" | "none";
  /** Pipe the Worker's output to ours (dev) or drop it (bench). */
  stdio?: "inherit" | "ignore";
  log?: (line: string) => void;
}

/** A running local stack. */
export interface LocalStack {
  url: string;
  database: string;
  /** Resolves when the Worker process exits on its own. */
  exited: Promise<number>;
  stop: () => Promise<void>;
}

const wranglerBin = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`wrangler exited with code ${child.exitCode} while starting`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the Worker did not answer ${url}/health within ${timeoutMs} ms`);
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

/**
 * Postgres (embedded unless a URL is given) + the WebSocket relay + migrations + `wrangler dev`, on the
 * given port. Every process it starts is stopped by `stop()`.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    let databaseUrl = options.databaseUrl;
    let database = databaseUrl ? `external (${new URL(databaseUrl).host})` : "embedded PGlite (in memory)";
    if (!databaseUrl) {
      const started = Date.now();
      const postgres = await startEmbeddedPostgres({
        dataDir: options.dataDir && `${options.dataDir}/pglite`,
      });
      cleanups.push(postgres.close);
      databaseUrl = postgres.url;
      if (options.dataDir) database = `embedded PGlite (${options.dataDir}/pglite)`;
      log(`embedded Postgres ready in ${Date.now() - started} ms`);
    }
    const relay = await startRelay({
      allowedHosts: [new URL(databaseUrl).hostname, "127.0.0.1", "localhost"],
    });
    cleanups.push(relay.close);
    await applyMigrations(databaseUrl, relay.address);
    log("migrations applied");

    const vars = { ...options.vars, WS_RELAY: relay.address, DATABASE_URL: databaseUrl };
    const args = [
      wranglerBin,
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(options.port),
      "--inspector-port",
      String(await freePort()),
      "--log-level",
      options.wranglerLogLevel ?? "info",
      "--show-interactive-dev-session=false",
      ...(options.dataDir ? ["--persist-to", `${options.dataDir}/wrangler`] : []),
      ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
    ];
    // Its own process group, so stopping it also stops the workerd it spawns.
    const child = spawn(process.execPath, args, {
      stdio: ["ignore", options.stdio ?? "inherit", options.stdio ?? "inherit"],
      detached: true,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
    cleanups.push(() => stopGroup(child));
    const url = `http://127.0.0.1:${options.port}`;
    await waitForHealth(url, child, 60_000);
    return { url, database, exited, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
