/**
 * Name matching's figures for the README: precision and recall over the labelled pairs
 * (test/fixtures/sanctions/name-pairs.csv) at a range of thresholds, the misclassified pairs at the default,
 * and the time to screen one name against a synthetic list of 15,000 entries (about 40,000 names with
 * aliases) - in Node, and in workerd (the Worker built as `wrangler deploy` builds it, run by Miniflare, each
 * request timed from outside). Run with `npx tsx tools/sanctions-eval.ts`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import { DEFAULT_THRESHOLD } from "../src/services/compliance/name-matching";
import { prepareList, screenName } from "../src/services/compliance/name-screening";
import { evaluate, report, scorePairs } from "../test/support/name-evaluation";
import { listWithPlanted, nameCount, PLANTED } from "../test/support/synthetic-names";

const ENTRIES = 15_000;
/** The planted parties' queries, names that share common tokens with thousands, and names found nowhere. */
const QUERIES = [
  ...PLANTED.flatMap((p) => p.queries),
  "Muhammad Ali",
  "Ahmad Hassan Ibrahim",
  "Golden Star Trading LLC",
  "Global Energy Services",
  "Ivan Petrov",
  "Sergey Ivanovich Karovlenko",
  "يوسف حمدان",
  "Wang Xiaoming",
  "Maria Jose Garcia Lopez",
  "Hiroshi Tanaka",
];

const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))] as number;
const median = (values: number[]) => quantile(values, 0.5);
const figures = (times: number[]) =>
  `median ${median(times).toFixed(1)} ms, 90th percentile ${quantile(times, 0.9).toFixed(1)} ms, ` +
  `slowest ${Math.max(...times).toFixed(1)} ms over ${times.length} screenings`;

function accuracy() {
  const pairs = scorePairs(
    readFileSync(new URL("../test/fixtures/sanctions/name-pairs.csv", import.meta.url), "utf8"),
  );
  const same = pairs.filter((p) => p.same).length;
  console.log(`Labelled pairs: ${pairs.length} (${same} same, ${pairs.length - same} different)\n`);
  console.log("threshold  precision  recall  F1     TP   FP   FN");
  for (let t = 70; t <= 95; t += 1) {
    const e = evaluate(pairs, t / 100);
    const row = [e.precision, e.recall, e.f1].map((x) => x.toFixed(3).padEnd(9)).join(" ");
    console.log(
      `${(t / 100).toFixed(2)}       ${row} ${[e.truePositives, e.falsePositives, e.falseNegatives].join("  ")}`,
    );
  }
  console.log(`\nAt the default:\n${report(evaluate(pairs, DEFAULT_THRESHOLD)).join("\n")}\n`);
}

/** Repeats the measured screenings, so that the figures are not one cold run. */
const ROUNDS = 5;

function inNode() {
  const entries = listWithPlanted(ENTRIES);
  const started = performance.now();
  const list = prepareList(entries);
  console.log(`Node: ${nameCount(entries)} names prepared in ${(performance.now() - started).toFixed(0)} ms`);
  for (const query of QUERIES) screenName(query, list);
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const query of QUERIES) {
      const start = performance.now();
      screenName(query, list);
      times.push(performance.now() - start);
    }
  }
  console.log(`Node: one name screened in ${figures(times)}`);
}

async function inWorkerd() {
  const directory = mkdtempSync(join(tmpdir(), "sanctions-bench-"));
  try {
    const config = join(directory, "wrangler.toml");
    const main = fileURLToPath(new URL("./sanctions-bench-worker.ts", import.meta.url));
    const { compatibility_date, compatibility_flags } = wranglerSettings();
    writeFileSync(
      config,
      `name = "sanctions-bench"\nmain = ${JSON.stringify(main)}\ncompatibility_date = ${JSON.stringify(compatibility_date)}\n` +
        `compatibility_flags = ${JSON.stringify(compatibility_flags)}\n`,
    );
    const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
    const outdir = join(directory, "out");
    await promisify(execFile)(process.execPath, [
      wrangler,
      "deploy",
      "--dry-run",
      "--config",
      config,
      "--outdir",
      outdir,
    ]);
    const mf = new Miniflare({
      modules: true,
      scriptPath: join(outdir, "sanctions-bench-worker.js"),
      modulesRoot: outdir,
      compatibilityDate: compatibility_date,
      compatibilityFlags: compatibility_flags,
    });
    try {
      const timed = async (path: string) => {
        const start = performance.now();
        const body = await (await mf.dispatchFetch(`http://bench${path}`)).text();
        return { body, ms: performance.now() - start };
      };
      const prepared = await timed(`/prepare?entries=${ENTRIES}`);
      console.log(
        `workerd: ${prepared.body} names prepared in ${prepared.ms.toFixed(0)} ms (request included)`,
      );
      const empty: number[] = [];
      for (let i = 0; i < 20; i++) empty.push((await timed("/")).ms);
      const overhead = median(empty);
      const screen = (query: string) => timed(`/screen?q=${encodeURIComponent(query)}`);
      for (const query of QUERIES) await screen(query);
      const times: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (const query of QUERIES) times.push(Math.max(0, (await screen(query)).ms - overhead));
      }
      console.log(
        `workerd: one name screened in ${figures(times)} (an empty request's ${overhead.toFixed(1)} ms taken off)`,
      );
    } finally {
      await mf.dispose();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The project's compatibility date and flags, from wrangler.toml. */
function wranglerSettings() {
  const toml = readFileSync(new URL("../wrangler.toml", import.meta.url), "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*(\[[^\]]*\])/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  return { compatibility_date: date, compatibility_flags: flags ? (JSON.parse(flags) as string[]) : [] };
}

accuracy();
inNode();
await inWorkerd();
