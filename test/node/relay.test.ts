import { neonConfig, Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { routeThroughRelay } from "../../src/db/driver";
import { type LocalPostgres, startEmbeddedPostgres } from "../../tools/embedded-postgres";
import { type Relay, rttFromEnvironment, startRelay } from "../../tools/relay";

let postgres: LocalPostgres;
let relay: Relay;

beforeAll(async () => {
  postgres = await startEmbeddedPostgres();
  relay = await startRelay({ allowedHosts: ["127.0.0.1"] });
  neonConfig.webSocketConstructor = ws;
  routeThroughRelay(relay.address);
  neonConfig.coalesceWrites = false;
});

afterAll(async () => {
  await relay?.close();
  await postgres?.close();
});

describe("WebSocket relay", () => {
  it("carries the Neon driver to a Postgres over TCP, and end() returns", async () => {
    const pool = new Pool({ connectionString: postgres.url, max: 1 });
    const { rows } = await pool.query("select 40 + 2 as answer");
    expect(rows).toEqual([{ answer: 42 }]);
    await pool.end();
  });

  it("releases the server's connection when a client ends, so sequential clients never run out", async () => {
    // Sessions in a row, each released when it ends, never exhaust the server.
    for (let i = 0; i < 80; i++) {
      const pool = new Pool({ connectionString: postgres.url, max: 1 });
      await pool.query("select 1");
      await pool.end();
    }
  });

  it("refuses a host outside its allow-list, so it is no open proxy", async () => {
    const url = postgres.url.replace("127.0.0.1", "localhost");
    const pool = new Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 3_000 });
    pool.on("error", () => {});
    await expect(pool.query("select 1")).rejects.toThrow();
    await pool.end().catch(() => {});
  });

  it("puts the database LOCAL_DB_RTT_MS away: each statement waits a round trip, results unchanged", async () => {
    const far = await startRelay({ allowedHosts: ["127.0.0.1"], rttMs: 60 });
    try {
      routeThroughRelay(far.address);
      const pool = new Pool({ connectionString: postgres.url, max: 1 });
      const client = await pool.connect();
      const started = performance.now();
      const { rows } = await client.query("select 40 + 2 as answer");
      const elapsed = performance.now() - started;
      expect(rows).toEqual([{ answer: 42 }]);
      // Half the round trip out, half back (timers may fire a millisecond early).
      expect(elapsed).toBeGreaterThanOrEqual(58);
      client.release();
      await pool.end();
    } finally {
      routeThroughRelay(relay.address);
      await far.close();
    }
  });

  it("reads LOCAL_DB_RTT_MS as whole milliseconds and refuses anything else", () => {
    expect(rttFromEnvironment(undefined)).toBe(0);
    expect(rttFromEnvironment("")).toBe(0);
    expect(rttFromEnvironment("25")).toBe(25);
    for (const bad of ["-1", "2.5", "25ms", "10001"])
      expect(() => rttFromEnvironment(bad), bad).toThrow(RangeError);
  });

  it("ends live connections when it closes", async () => {
    const extra = await startRelay({ allowedHosts: ["127.0.0.1"] });
    const socket = new ws(`ws://${extra.address}/v1?address=${postgres.url.split("@")[1]?.split("/")[0]}`);
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    const closed = new Promise((resolve) => socket.once("close", resolve));
    await extra.close();
    await expect(closed).resolves.toBeDefined();
  });
});
