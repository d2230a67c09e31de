/**
 * Builds the operator console (console/) into the Worker's static assets: public/console/console.js, one
 * minified ES module bundling the typed client, and console.css. Git-ignored there; run by `npm ci` (the
 * `prepare` script) and `npm run console:build`.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { build } from "esbuild";

const root = join(dirname(new URL(import.meta.url).pathname), "..");
const out = join(root, "public", "console");
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, "console", "main.ts")],
  outfile: join(out, "console.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
});
copyFileSync(join(root, "console", "console.css"), join(out, "console.css"));
console.log("built the console into public/console/");
