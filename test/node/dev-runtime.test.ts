import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../tools/ports";

const dataDir = mkdtempSync(join(tmpdir(), "finedge-dev-"));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child?.pid && child.exitCode === null) process.kill(child.pid, "SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every live descendant of `pid`, from /proc via ps. */
function descendants(pid: number): number[] {
  const table = execFileSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [p, pp] of table) {
      if (pp !== parent) continue;
      found.push(p);
      walk(p);
    }
  };
  walk(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => socket.destroy() && resolve(true));
    socket.once("error", () => resolve(false));
  });

describe("npm run dev", () => {
  it("serves the API on PORT with the embedded database, passes `npm run smoke`, and SIGINT stops everything it started", async () => {
    const port = await freePort();
    child = spawn(process.execPath, ["--import", "tsx", "tools/dev.ts"], {
      env: { ...process.env, PORT: String(port), FINEDGE_DATA_DIR: dataDir, DATABASE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk) => (output += chunk));
    child.stderr?.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child?.once("exit", (code) => resolve(code)));

    const deadline = Date.now() + 90_000;
    while (!output.includes("API on") && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(output, output).toContain(`API on http://127.0.0.1:${port}`);

    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    const report = (await ready.json()) as { status: string; services: { database: { status: string } } };
    expect(ready.status, JSON.stringify(report)).toBe(200);
    expect(report.services.database.status).toBe("healthy");
    expect((await fetch(`http://127.0.0.1:${port}/docs`)).status).toBe(200);

    // `npm run smoke` against it, as an operator runs it after a deploy: with a real account, then a wrong password.
    const email = `smoke-${Date.now()}@example.com`;
    const password = "smoke-orbit-lantern-42";
    const registered = await fetch(`http://127.0.0.1:${port}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    const smoke = (pass: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const run = spawn(
          process.execPath,
          ["--import", "tsx", "tools/smoke.ts", `http://127.0.0.1:${port}`],
          {
            env: { ...process.env, SMOKE_EMAIL: email, SMOKE_PASSWORD: pass },
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        let out = "";
        run.stdout?.on("data", (chunk) => (out += chunk));
        run.stderr?.on("data", (chunk) => (out += chunk));
        run.once("exit", (code) => resolve({ code, out }));
      });
    const passed = await smoke(password);
    expect(passed.out, passed.out).toMatch(/ok {3}prediction .*probability 0\.\d{8}/);
    expect(passed.out).toContain("passed");
    expect(passed.code).toBe(0);
    const refused = await smoke("not-the-password-at-all");
    expect(refused.out).toMatch(/FAIL sign-in .*401/);
    expect(refused.code).toBe(1);

    const started = descendants(child.pid as number);
    const commands = execFileSync("ps", ["-o", "pid=,args=", "-p", started.join(",")], { encoding: "utf8" });
    expect(started.length).toBeGreaterThan(0);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    // tsx's esbuild service exits on its own once its parent's pipe closes: allow it a moment.
    for (let i = 0; i < 50 && started.some(alive); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started.filter(alive), commands).toEqual([]);
    expect(await listening(port)).toBe(false);

    // The data stayed in the data folder: the migration record is there for the next run.
    const db = await PGlite.create(join(dataDir, "pglite"));
    const { rows } = await db.query<{ count: number }>(
      "select count(*)::int as count from drizzle.__drizzle_migrations",
    );
    await db.close();
    expect(rows[0]?.count).toBeGreaterThan(0);
  });
});
