/**
 * `npm run bench`: starts the floor Worker and the API (embedded Postgres, request logging quiet) on free
 * ports, drives every scenario at each concurrency for a fixed time, prints a table and writes it as JSON.
 * It measures; it asserts nothing. Figures are meaningful as ratios to the floor of the same run.
 *
 * BENCH_SECONDS (default 5) per scenario and concurrency; BENCH_CONCURRENCY (default "1,16");
 * BENCH_DATABASE_URL to run against a real Postgres instead of the embedded one.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import autocannon from "autocannon";
import { freePort } from "../../src/local/ports";
import { startLocalStack } from "../../src/local/stack";
import { startWranglerDev } from "../../src/local/wrangler";
import { type RequestPlan, type Scenario, scenarios } from "./scenarios";

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const concurrencies = (process.env.BENCH_CONCURRENCY ?? "1,16").split(",").map(Number);

interface Row {
  scenario: string;
  concurrency: number;
  requests: number;
  errors: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  ratio_to_floor: number | null;
}

async function drive(url: string, scenario: Scenario, plan: RequestPlan, connections: number) {
  let unexpected = 0;
  const result = await autocannon({
    url,
    connections,
    duration: Math.max(seconds, scenario.minSeconds ?? 0),
    requests: [
      {
        method: plan.method ?? "GET",
        path: plan.path,
        headers: plan.headers,
        body: plan.body,
        // autocannon calls `setupRequest` whenever the key exists, so it is only set when needed.
        ...(plan.setupRequest ? { setupRequest: plan.setupRequest as never } : {}),
        onResponse: (status: number, body: string) => {
          if (status !== scenario.expectStatus) unexpected++;
          plan.onResponse?.(status, body);
        },
      },
    ],
  });
  return {
    requests: result.requests.total,
    errors: result.errors + result.timeouts + unexpected,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

const floor = await startWranglerDev({
  port: await freePort(),
  config: "test/bench/floor/wrangler.toml",
  logLevel: "error",
  stdio: "ignore",
});
const api = await startLocalStack({
  port: await freePort(),
  databaseUrl: process.env.BENCH_DATABASE_URL,
  // Limits stay on (their check is part of every request) but scaled far above the load.
  vars: { LOG_LEVEL: "error", RATE_LIMIT_SCALE: "1000000" },
  wranglerLogLevel: "error",
  stdio: "ignore",
});

const rows: Row[] = [];
try {
  for (const connections of concurrencies) {
    let floorRps: number | undefined;
    for (const scenario of scenarios) {
      const target = scenario.target === "floor" ? floor.url : api.url;
      const prepare = () =>
        scenario.prepare?.(api.url, connections) ?? Promise.resolve(scenario.plan as RequestPlan);
      await drive(target, scenario, await prepare(), connections).catch(() => undefined); // warm-up, discarded
      const measured = await drive(target, scenario, await prepare(), connections);
      if (scenario.target === "floor") floorRps = measured.rps;
      rows.push({
        scenario: scenario.name,
        concurrency: connections,
        requests: measured.requests,
        errors: measured.errors,
        rps: Math.round(measured.rps),
        p50_ms: measured.p50,
        p99_ms: measured.p99,
        ratio_to_floor: floorRps ? Math.round((measured.rps / floorRps) * 1000) / 1000 : null,
      });
      process.stderr.write(`  ${scenario.name} c=${connections}: ${Math.round(measured.rps)} req/s\n`);
    }
  }
} finally {
  await api.stop();
  await floor.stop();
}

const machine = { cpus: availableParallelism(), model: cpus()[0]?.model, node: process.version };
console.log(
  `\nFinEdge bench - ${seconds}s per cell, ${machine.cpus} cores, Node ${machine.node}, database: ${api.database}`,
);
console.table(rows);
mkdirSync("bench-results", { recursive: true });
const file = `bench-results/bench-${new Date().toISOString().replaceAll(":", "-")}.json`;
const report = { date: new Date().toISOString(), seconds, machine, database: api.database, rows };
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync("bench-results/latest.json", `${JSON.stringify(report, null, 2)}\n`);
console.log(`written to ${file} (and bench-results/latest.json)`);
