/**
 * The figures of a sanctions list's life in workerd, for the README: validating an upload of OFAC's size (the
 * request's parse), loading it in the queue's consumer (parse and prepare), and rescreening customers against
 * it (each identity opened and its name screened) - per customer, over pages of the consumer's size. The Worker
 * is built as `wrangler deploy` builds it and run by Miniflare; each request is timed from outside, an empty
 * request's time taken off. The database's part is not in these figures: it is two round trips per page of
 * 200 customers (the page read, the page's write). Run with `npx tsx tools/sanctions-rescreen-bench.ts [customers]`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import { RESCREEN_PAGE } from "../src/services/compliance/sanctions-rescreen";

const ENTRIES = 15_000;
const CUSTOMERS = Number(process.argv[2] ?? 2_000);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function wranglerSettings() {
  const toml = readFileSync(new URL("../wrangler.toml", import.meta.url), "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*(\[[^\]]*\])/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  return { compatibility_date: date, compatibility_flags: flags ? (JSON.parse(flags) as string[]) : [] };
}

async function main() {
  const directory = mkdtempSync(join(tmpdir(), "sanctions-rescreen-bench-"));
  try {
    const config = join(directory, "wrangler.toml");
    const entry = fileURLToPath(new URL("./sanctions-rescreen-bench-worker.ts", import.meta.url));
    const { compatibility_date, compatibility_flags } = wranglerSettings();
    writeFileSync(
      config,
      `name = "sanctions-rescreen-bench"\nmain = ${JSON.stringify(entry)}\ncompatibility_date = ${JSON.stringify(compatibility_date)}\n` +
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
      scriptPath: join(outdir, "sanctions-rescreen-bench-worker.js"),
      modulesRoot: outdir,
      compatibilityDate: compatibility_date,
      compatibilityFlags: compatibility_flags,
    });
    try {
      const timed = async (path: string) => {
        const start = performance.now();
        const response = await mf.dispatchFetch(`http://bench${path}`);
        const body = await response.text();
        if (!response.ok) throw new Error(`${path}: ${response.status} ${body}`);
        return { body, ms: performance.now() - start };
      };
      const empty: number[] = [];
      for (let i = 0; i < 20; i++) empty.push((await timed("/")).ms);
      const overhead = median(empty);
      const files = await timed(`/files?n=${ENTRIES}`);
      console.log(`list: ${ENTRIES} entries, ${files.body}`);
      const validations: number[] = [];
      for (let i = 0; i < 3; i++) validations.push((await timed("/validate")).ms - overhead);
      console.log(`upload validated (read whole) in ${median(validations).toFixed(0)} ms (median of 3)`);
      const prepared = await timed("/prepare");
      console.log(
        `list loaded by the consumer (parse + prepare): ${prepared.body} names in ${(prepared.ms - overhead).toFixed(0)} ms`,
      );
      await timed(`/customers?n=${CUSTOMERS}`);
      const pages: number[] = [];
      let matched = 0;
      for (let from = 0; from < CUSTOMERS; from += RESCREEN_PAGE) {
        const page = await timed(`/rescreen?from=${from}&n=${RESCREEN_PAGE}`);
        matched += Number(page.body);
        pages.push(page.ms - overhead);
      }
      const total = pages.reduce((a, b) => a + b, 0);
      console.log(
        `rescreen: ${CUSTOMERS} customers in ${(total / 1000).toFixed(1)} s - ${(total / CUSTOMERS).toFixed(1)} ms per customer ` +
          `(pages of ${RESCREEN_PAGE}: median ${(median(pages) / 1000).toFixed(2)} s, slowest ${(Math.max(...pages) / 1000).toFixed(2)} s); ${matched} matches`,
      );
    } finally {
      await mf.dispose();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
