/**
 * `npm run models:publish`: uploads models/ (each model's active version in models/registry.json, checked
 * against its sha256) to R2 and points each model at it.
 *
 *   npm run models:publish                                # local R2 of `npm run dev` (FINEDGE_DATA_DIR, default .data)
 *   npm run models:publish -- --persist-to <dir>          # local R2 of `wrangler dev --persist-to <dir>`
 *   npm run models:publish -- --remote [--bucket finedge-models]
 */
import { publishLocal, publishRemote } from "./model-publisher";

const args = process.argv.slice(2);
const log = (line: string) => console.log(`[models] ${line}`);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};

try {
  if (args.includes("--remote")) {
    const bucket = option("--bucket") ?? "finedge-models";
    log(`publishing to R2 bucket ${bucket}`);
    await publishRemote({ bucket, log });
  } else {
    const persistTo = option("--persist-to") ?? `${process.env.FINEDGE_DATA_DIR ?? ".data"}/wrangler`;
    log(`publishing to the local R2 in ${persistTo}`);
    await publishLocal({ persistTo, log });
  }
  log("done");
} catch (error) {
  console.error(`[models] ${(error as Error).message}`);
  process.exit(1);
}
