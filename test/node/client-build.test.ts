import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import type { Bindings } from "../../src/env";

const run = promisify(execFile);
// Inside node_modules, so the built files resolve openapi-fetch as an installed package would.
const cache = fileURLToPath(new URL("../../node_modules/.cache", import.meta.url));
await mkdir(cache, { recursive: true });
const out = await mkdtemp(join(cache, "finedge-client-"));
afterAll(() => rm(out, { recursive: true, force: true }));

describe("the typed client's package", () => {
  it("builds on its own (browser and React Native typings, no Node or Workers types) to ESM that runs", async () => {
    await run("npx", ["tsc", "-p", "client/tsconfig.json", "--outDir", out, "--sourceMap", "false"]);
    const built = (await import(join(out, "index.js"))) as typeof import("../../client/src");
    const env = { ENVIRONMENT: "test", LOG_LEVEL: "error" } as unknown as Bindings;
    const app = createApp();
    const client = built.createFinEdgeClient({
      baseUrl: "https://api.test",
      fetch: (input, init) => Promise.resolve(app.request(input, init, env)),
    });
    expect((await built.ok(client.api.GET("/health"))).status).toBe("healthy");
    const refused = await client.api.GET("/api/v1/auth/me").catch((e) => e);
    expect(refused).toBeInstanceOf(built.FinEdgeProblem);
    expect(refused).toMatchObject({ status: 401, code: "unauthorized" });
  });
});
