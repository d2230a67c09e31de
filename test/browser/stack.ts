/**
 * The browser suite's local stack: `npm run dev` (tools/dev.ts) on a free port with a fresh data folder, and a
 * small bearer-token API caller that sets up the data the console then shows.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../tools/ports";

export interface Stack {
  /** http://localhost:PORT: a secure context, so the Secure cookies of cookie mode are kept. */
  base: string;
  stop(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "finedge-console-"));
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "tools/dev.ts"], {
    env: { ...process.env, PORT: String(port), FINEDGE_DATA_DIR: dataDir, DATABASE_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 90_000;
  while (!output.includes("API on") && Date.now() < deadline && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (!output.includes("API on")) {
    child.kill("SIGKILL");
    throw new Error(`npm run dev did not start:\n${output}`);
  }
  return {
    base: `http://localhost:${port}`,
    async stop() {
      if (child.exitCode === null) child.kill("SIGINT");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the suite reads answers loosely; the API's own suites check shapes.
type Loose = any;

export type Call = (
  path: string,
  init?: { method?: string; body?: unknown; raw?: BodyInit; type?: string; token?: string },
) => Promise<{ status: number; json: Loose; text: string }>;

/** Calls the API with a bearer token; `expected` statuses are asserted with the answer in the message. */
export function caller(base: string): Call {
  return async (path, init = {}) => {
    const headers: Record<string, string> = { "idempotency-key": crypto.randomUUID() };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.type) headers["content-type"] = init.type;
    const response = await fetch(new URL(path, base), {
      method: init.method ?? (init.body !== undefined || init.raw !== undefined ? "POST" : "GET"),
      headers,
      body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
    const text = await response.text();
    let json: Loose;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text };
  };
}
