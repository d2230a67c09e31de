/**
 * `npm run bench`: starts the floor Worker and the API (embedded Postgres, request logging quiet) on free
 * ports, drives every scenario at each concurrency for a fixed time, prints a table and writes it as JSON.
 * It measures; it asserts nothing. Figures are meaningful as ratios to the floor of the same run.
 *
 * BENCH_SECONDS (default 5) per scenario and concurrency; BENCH_CONCURRENCY (default "1,16");
 * BENCH_DATABASE_URL to run against a real Postgres instead of the embedded one; BENCH_REDIS_URL (default
 * redis://127.0.0.1:6379) for the Upstash-backed rows, which are skipped when no Redis answers there.
 *
 * Three floors: hello-world; hello plus one fetch to a local echo server (under `wrangler dev` any outbound
 * fetch costs a few milliseconds locally); and hello plus one database round trip made as every API read makes
 * it (one batch - role, scope, `select 1` - over Neon's HTTP protocol through the API stack's own local
 * SQL-over-HTTP server to its Postgres, test/bench/floor-db), which no route that reads the database can beat:
 * above the second floor it is the database hop itself, and a read's own work is what it costs above the third.
 *
 * Statistics: once a scenario's data is prepared, the API's database is analyzed (as Postgres's autovacuum
 * does after a bulk of inserts, and Neon keeps on; a local server may run with it off), so statements are
 * planned against the data they read, not against empty tables.
 *
 * Worker CPU: the column "worker_cpu_ms" is the CPU time per request of the workerd process running the target
 * Worker and its Durable Objects (test/bench/worker-cpu.ts, from /proc; null elsewhere than Linux): the Worker's
 * own cost, apart from wrangler's processes, the local database and its stand-ins, which share the machine.
 *
 * Distance to the database: every API scenario also runs at concurrency 1 against a second API stack whose
 * database is BENCH_DB_RTT_MS (default 25; 0 skips it) further away (the relay's LOCAL_DB_RTT_MS). Its column
 * "db_round_trips" is (p50 there - p50 here) / BENCH_DB_RTT_MS: the sequential round trips a request makes.
 *
 * The rate-limit check's cost is measured by the same request against three otherwise identical Workers:
 * limiter off, the Durable Object limiter, and Upstash (through a local Upstash-compatible endpoint).
 *
 * The password-hash row runs `verifyPassword` alone in a Worker of its own (test/bench/hash), the function and
 * parameters login uses, and is printed beside the login row: login's figures read against the hash it must pay.
 *
 * The start-up part (test/bench/startup.ts) runs first, on a quiet machine: the CPU a fresh isolate spends
 * evaluating the Worker before its first event (what `wrangler check startup` profiles), then its first and
 * second request, for the API and the floor, medians of BENCH_STARTUP_RUNS (default 5) fresh isolates.
 *
 * Two more parts follow the HTTP scenarios (whose Workers are stopped first), each with its own table and
 * key in the JSON report:
 * - inference (test/bench/inference.ts): microseconds per row of credit-lr and credit-gbdt, one row per run
 *   and 1,000 rows per run, in onnxruntime-web inside workerd against onnxruntime-node on the same rows;
 * - bulk (test/bench/bulk-job.ts): BENCH_BULK_RUNS (default 3) bulk jobs of BENCH_BULK_ROWS (default 100,000)
 *   loan applications as CSV, one after another through a fresh API stack and its local queue, from upload to
 *   completion: the first on a fresh Worker (compiling the inference runtime and loading the model on the way),
 *   the others on the same, warm, Worker; then their floor (test/bench/bulk-inference.ts): the same job's
 *   inference alone - its applications and their substituted copies, in runs of one chunk's rows - in the
 *   inference Worker, and each job's "to_inference", its completion over that floor (a ratio from one run, which
 *   the machine's speed does not move as it moves the seconds).
 * - oracle (test/bench/oracle.ts): forgot-password for a known and an unknown address, 50 requests each one
 *   at a time, their medians and the difference (the two must not be told apart), on a fresh API stack.
 * - check (test/bench/money-check.ts): the money check's own work per movement, in this process.
 * BENCH_PARTS (default "startup,http,inference,bulk,oracle,check") picks the parts, e.g. `BENCH_PARTS=oracle npm run bench`;
 * BENCH_SCENARIOS (comma-separated parts of names, default all) picks HTTP scenarios, the floor always among them,
 * and only their Workers start: `BENCH_SCENARIOS="auth/login,password hash" BENCH_PARTS=http npm run bench`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { connect } from "node:net";
import { availableParallelism, cpus } from "node:os";
import autocannon from "autocannon";
import pg from "pg";
import { freePort } from "../../tools/ports";
import { type LocalStack, startLocalStack } from "../../tools/stack";
import { startWranglerDev } from "../../tools/wrangler";
import { startUpstashRestServer } from "../support/upstash-rest";
import { type BulkInference, measureBulkInference } from "./bulk-inference";
import { type BulkReport, measureBulkJob } from "./bulk-job";
import { type InferenceRow, measureInference } from "./inference";
import { type MoneyCheckReport, measureMoneyCheck } from "./money-check";
import { measureOracle, type OracleReport } from "./oracle";
import { HASH_SCENARIO, LOGIN_SCENARIO, type RequestPlan, type Scenario, scenarios } from "./scenarios";
import { measureStartup, type StartupRow, startupRuns } from "./startup";
import { cpuMs, workerProcess } from "./worker-cpu";

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const concurrencies = (process.env.BENCH_CONCURRENCY ?? "1,16").split(",").map(Number);
const PARTS = ["startup", "http", "inference", "bulk", "oracle", "check"];
const parts = new Set((process.env.BENCH_PARTS ?? PARTS.join(",")).split(",").map((part) => part.trim()));
for (const part of parts) {
  if (!PARTS.includes(part))
    throw new Error(`BENCH_PARTS: unknown part "${part}" (parts: ${PARTS.join(", ")})`);
}
const bulkRows = Number(process.env.BENCH_BULK_ROWS ?? 100_000);
const bulkRuns = Math.max(1, Number(process.env.BENCH_BULK_RUNS ?? 3));
const dbRttMs = Number(process.env.BENCH_DB_RTT_MS ?? 25);
/** TENANT_INFERENCE_ROWS_PER_DAY's default: a larger bulk job needs the quota raised to be scored whole. */
const DAILY_ROWS = 100_000;

/** Whether something accepts TCP connections there (node-redis would otherwise retry for ever). */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    const settle = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once("connect", () => settle(true));
    socket.once("error", () => settle(false));
    socket.once("timeout", () => settle(false));
  });
}

interface Row {
  scenario: string;
  concurrency: number;
  requests: number;
  errors: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  ratio_to_floor: number | null;
  /** CPU ms per request of the workerd running the target Worker and its Durable Objects (Linux only). */
  worker_cpu_ms: number | null;
  /** p50 against the far database (API scenarios, concurrency 1). */
  p50_far_ms: number | null;
  /** (p50_far_ms - p50_ms) / BENCH_DB_RTT_MS, one decimal. */
  db_round_trips: number | null;
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

// First, before any other part starts a Worker: whatever else runs on the machine shows in the figures.
const startup: StartupRow[] | undefined = parts.has("startup") ? await measureStartup() : undefined;
const http = parts.has("http");
const picks = process.env.BENCH_SCENARIOS?.split(",").map((pick) => pick.trim().toLowerCase());
const selected = scenarios.filter(
  (scenario) =>
    scenario.target.startsWith("floor") ||
    !picks ||
    picks.some((pick) => scenario.name.toLowerCase().includes(pick)),
);
/** Whether a picked scenario runs against `target` (a Worker nothing runs against is not started). */
const needs = (target: Scenario["target"]) => http && selected.some((scenario) => scenario.target === target);
const floor = http
  ? await startWranglerDev({
      port: await freePort(),
      config: "test/bench/floor/wrangler.toml",
      logLevel: "error",
      stdio: "ignore",
    })
  : undefined;
// The echo server the second floor fetches: as small an answer as a server can give.
const echo = http
  ? await new Promise<{ url: string; close: () => Promise<void> }>((resolve) => {
      const server = createServer((_request, response) => response.end("ok"));
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        resolve({
          url: `http://127.0.0.1:${port}/`,
          close: () => new Promise<void>((done) => server.close(() => done())),
        });
      });
    })
  : undefined;
const floorFetch = echo
  ? await startWranglerDev({
      port: await freePort(),
      config: "test/bench/floor-fetch/wrangler.toml",
      vars: { ECHO_URL: echo.url },
      logLevel: "error",
      stdio: "ignore",
    })
  : undefined;
const hash = needs("hash")
  ? await startWranglerDev({
      port: await freePort(),
      config: "test/bench/hash/wrangler.toml",
      logLevel: "error",
      stdio: "ignore",
    })
  : undefined;
// Limits stay on (their check is part of every request) but scaled far above the load.
const stack = async (vars: Record<string, string>, rttMs = 0) =>
  startLocalStack({
    port: await freePort(),
    databaseUrl: process.env.BENCH_DATABASE_URL,
    dbRttMs: rttMs,
    vars: { LOG_LEVEL: "error", RATE_LIMIT_SCALE: "1000000", ...vars },
    wranglerLogLevel: "error",
    stdio: "ignore",
  });
const api = needs("api") ? await stack({ RATE_LIMIT_BACKEND: "durable_object" }) : undefined;
const far =
  needs("api") && dbRttMs > 0 ? await stack({ RATE_LIMIT_BACKEND: "durable_object" }, dbRttMs) : undefined;
// The third floor reads through the API stack's own SQL-over-HTTP server (and, further away, the far one's).
const dbFloor = async (stack: LocalStack | undefined) =>
  stack
    ? startWranglerDev({
        port: await freePort(),
        config: "test/bench/floor-db/wrangler.toml",
        vars: { DATABASE_URL: stack.databaseUrl, SQL_HTTP_ENDPOINT: stack.sqlEndpoint },
        logLevel: "error",
        stdio: "ignore",
      })
    : undefined;
const floorDb = await dbFloor(api);
const floorDbFar = await dbFloor(far);
const unlimited = needs("api-unlimited") ? await stack({ RATE_LIMIT_BACKEND: "off" }) : undefined;
const redisUrl = new URL(process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379");
const upstashToken = crypto.randomUUID();
const redisUp = needs("api-upstash") && (await reachable(redisUrl.hostname, Number(redisUrl.port || 6379)));
if (needs("api-upstash") && !redisUp)
  process.stderr.write(`no Redis at ${redisUrl.host}: the Upstash rows are skipped\n`);
const upstash = redisUp
  ? await startUpstashRestServer({ redisUrl: redisUrl.toString(), token: upstashToken })
  : undefined;
const apiUpstash = upstash
  ? await stack({
      RATE_LIMIT_BACKEND: "upstash",
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: upstashToken,
    })
  : undefined;
const targets: Record<Scenario["target"], string | undefined> = {
  floor: floor?.url,
  "floor-fetch": floorFetch?.url,
  "floor-db": floorDb?.url,
  api: api?.url,
  "api-unlimited": unlimited?.url,
  "api-upstash": apiUpstash?.url,
  hash: hash?.url,
};

const stacks = [api, far, unlimited, apiUpstash];
const databaseOf = (url: string) => stacks.find((stack) => stack?.url === url)?.databaseUrl;
/** Refreshes the planner's statistics of the database at `url`, as autovacuum would. */
async function analyze(url: string | undefined) {
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("analyze");
  } finally {
    await client.end();
  }
}

const rows: Row[] = [];
let inference: InferenceRow[] | undefined;
let bulk: Array<{ worker: string } & BulkReport> | undefined;
let bulkStack: LocalStack | undefined;
let bulkFloor: BulkInference | undefined;
let oracle: OracleReport | undefined;
let moneyCheck: MoneyCheckReport | undefined;
let oracleStack: LocalStack | undefined;
/**
 * Stops everything the HTTP scenarios use (once), before the other parts: those run on a quiet machine, and
 * this process - which also hosts the embedded Postgres - does nothing else while onnxruntime-node is timed.
 */
let httpStopped = false;
const stopHttp = async () => {
  if (httpStopped) return;
  httpStopped = true;
  await apiUpstash?.stop();
  await upstash?.close();
  await unlimited?.stop();
  await floorDb?.stop();
  await floorDbFar?.stop();
  await api?.stop();
  await far?.stop();
  await hash?.stop();
  await floorFetch?.stop();
  await echo?.close();
  await floor?.stop();
};
try {
  for (const connections of http ? concurrencies : []) {
    let floorRps: number | undefined;
    for (const scenario of selected) {
      const target = targets[scenario.target];
      if (!target) continue;
      /** A discarded warm-up pass, then the measured one, each with its own preparation. */
      const measure = async (url: string) => {
        const prepare = () =>
          scenario.prepare?.(url, connections) ?? Promise.resolve(scenario.plan as RequestPlan);
        await drive(url, scenario, await prepare(), connections).catch(() => undefined);
        const plan = await prepare();
        if (scenario.target.startsWith("api")) await analyze(databaseOf(url));
        const worker = workerProcess(url);
        const before = worker === null ? null : cpuMs(worker);
        const result = await drive(url, scenario, plan, connections);
        const after = worker === null ? null : cpuMs(worker);
        const cpu =
          before === null || after === null || result.requests === 0
            ? null
            : Math.round(((after - before) / result.requests) * 100) / 100;
        return { ...result, cpu };
      };
      const measured = await measure(target);
      if (scenario.target === "floor") floorRps = measured.rps;
      // The same request with the database further away, one at a time: the p50 difference counts round trips.
      const farTargets: Partial<Record<Scenario["target"], string>> = {
        api: far?.url,
        "floor-db": floorDbFar?.url,
      };
      const farTarget = farTargets[scenario.target];
      const farP50 = farTarget && connections === 1 ? (await measure(farTarget)).p50 : null;
      rows.push({
        scenario: scenario.name,
        concurrency: connections,
        requests: measured.requests,
        errors: measured.errors,
        rps: Math.round(measured.rps),
        p50_ms: measured.p50,
        p99_ms: measured.p99,
        ratio_to_floor: floorRps ? Math.round((measured.rps / floorRps) * 1000) / 1000 : null,
        worker_cpu_ms: measured.cpu,
        p50_far_ms: farP50,
        db_round_trips: farP50 === null ? null : Math.round(((farP50 - measured.p50) / dbRttMs) * 10) / 10,
      });
      process.stderr.write(`  ${scenario.name} c=${connections}: ${Math.round(measured.rps)} req/s\n`);
    }
  }
  await stopHttp();
  if (parts.has("inference")) inference = await measureInference();
  if (parts.has("bulk")) {
    // A stack of its own, configured like the API above; the quota is raised only for a job above it.
    bulkStack = await stack({
      RATE_LIMIT_BACKEND: "durable_object",
      ...(bulkRows > DAILY_ROWS ? { TENANT_INFERENCE_ROWS_PER_DAY: String(bulkRows) } : {}),
    });
    bulk = [];
    for (let run = 0; run < bulkRuns; run++) {
      const report = await measureBulkJob(bulkStack.url, bulkRows, bulkStack);
      bulk.push({ worker: run === 0 ? "fresh" : "warm", ...report });
    }
    await bulkStack.stop(); // idempotent: the oracle part runs alone
    // The floor, on the quiet machine the jobs left: their inference alone, in runs of one chunk's rows.
    bulkFloor = await measureBulkInference(bulkRows, Math.ceil(bulkRows / (bulk[0]?.chunks ?? 1)));
  }
  if (parts.has("oracle")) {
    oracleStack = await stack({ RATE_LIMIT_BACKEND: "durable_object" });
    oracle = await measureOracle(oracleStack.url);
  }
  if (parts.has("check")) moneyCheck = await measureMoneyCheck();
} finally {
  await stopHttp();
  await bulkStack?.stop();
  await oracleStack?.stop();
}

const machine = { cpus: availableParallelism(), model: cpus()[0]?.model, node: process.version };
const database = (api ?? bulkStack ?? oracleStack)?.database ?? null;
console.log(
  `\nFinEdge bench - ${seconds}s per cell, ${machine.cpus} cores, Node ${machine.node}, database: ${database ?? "none"}`,
);
if (startup) {
  console.log(
    "\nStart-up: CPU ms a fresh isolate spends evaluating the Worker (as `wrangler check startup` profiles it), " +
      `then its first and second request (API: GET /health), medians of ${startupRuns} isolates`,
  );
  console.table(startup);
}
if (http) {
  if (far)
    console.log(`p50_far_ms, db_round_trips: the API with its database ${dbRttMs} ms further away (c=1)`);
  console.table(rows);
  for (const connections of concurrencies) {
    const login = rows.find((row) => row.scenario === LOGIN_SCENARIO && row.concurrency === connections);
    const alone = rows.find((row) => row.scenario === HASH_SCENARIO && row.concurrency === connections);
    if (!login || !alone) continue;
    // Both run for the same time (minSeconds), so their request counts compare throughput unrounded.
    const share = (part: number, whole: number) => (whole ? `${Math.round((part / whole) * 100)}%` : "-");
    console.log(
      `login c=${connections}: p50 ${login.p50_ms} ms, ${login.rps} req/s (${login.ratio_to_floor} of the floor); ` +
        `the hash alone: p50 ${alone.p50_ms} ms, ${alone.rps} req/s (${alone.ratio_to_floor} of the floor); ` +
        `the hash is ${share(alone.p50_ms, login.p50_ms)} of login's median, login's throughput ` +
        `${share(login.requests, alone.requests)} of the hash's`,
    );
  }
}
if (inference) {
  console.log(
    "\nInference per row (us): onnxruntime-web in workerd against onnxruntime-node, one thread each",
  );
  console.table(inference);
}
if (bulk) {
  console.log(
    `\nBulk jobs: ${bulkRows} rows of CSV (${bulk[0]?.bytes} bytes) through the API and the local queue, ` +
      "one after another (the first on a fresh Worker)",
  );
  const floor = bulkFloor?.inference_s;
  console.table(
    bulk.map((job) => ({
      ...job,
      to_inference: floor ? Math.round((job.completion_s / floor) * 100) / 100 : null,
    })),
  );
  if (bulkFloor) {
    console.log(
      `Their inference alone (the floor): ${bulkFloor.model_rows} model rows (each application and its ` +
        `substituted copies) in ${bulkFloor.inference_s} s; to_inference = completion_s / that`,
    );
  }
}
if (oracle) {
  console.log(
    `\nForgot-password, known against unknown address (${oracle.samples} requests each, one at a time): ` +
      `median ${oracle.known_p50_ms} ms against ${oracle.unknown_p50_ms} ms, difference ${oracle.difference_ms} ms`,
  );
  console.table([oracle]);
}
if (moneyCheck) {
  console.log(
    `\nThe money check's own work per movement (fingerprint, scoring, its row and audit event serialized; ` +
      `${moneyCheck.checks} checks, median of 5 runs): ${moneyCheck.us_per_check} µs`,
  );
}
mkdirSync("bench-results", { recursive: true });
const file = `bench-results/bench-${new Date().toISOString().replaceAll(":", "-")}.json`;
const report = {
  date: new Date().toISOString(),
  parts: [...parts],
  seconds,
  machine,
  database,
  dbRttMs: far ? dbRttMs : null,
  ...(startup ? { startup } : {}),
  rows,
  ...(inference ? { inference } : {}),
  ...(bulk ? { bulk } : {}),
  ...(bulkFloor ? { bulk_inference: bulkFloor } : {}),
  ...(oracle ? { oracle } : {}),
  ...(moneyCheck ? { money_check: moneyCheck } : {}),
};
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync("bench-results/latest.json", `${JSON.stringify(report, null, 2)}\n`);
console.log(`written to ${file} (and bench-results/latest.json)`);
