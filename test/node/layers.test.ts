import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Imports run one way: routes -> services -> db, middleware -> services, and everything may lean on the
 * shared base. Nothing below imports what is above it, so a service never learns about HTTP and the
 * database never learns about a service.
 *
 * Layers, top to bottom:
 * - entry: the Worker's entry points, which assemble the rest - src/index.ts, src/app.ts, src/scheduled.ts
 *   and the queue consumers (src/queues/** except the message contract). Only app.ts mounts routes.
 * Outside them: nothing under src/ imports a file outside src/ (the Node-side tooling in tools/, the tests):
 * the Worker bundles src/ alone.
 * - routes: src/routes/** and src/openapi.ts (the route factory and problem responses). Wire shapes live
 *   here: request and response schemas, snake_case views, pages, cookies. A route file may import route
 *   files, middleware, services and the base - never src/db, not even a type: services name the domain
 *   types routes need.
 * - middleware: src/middleware/**. It may import other middleware, services and the base; not routes, and
 *   of the database only its client (src/db/client.ts): the database middleware opens the request's
 *   connection, and a middleware that wraps a request in a transaction names its type. Reading and
 *   writing go through a service.
 * - services: src/services/**, with the model engine (src/ml/**), the Durable Objects services drive
 *   through stubs (src/durable-objects/**) and the scoring-queue message contract the risk services send
 *   and the consumer reads (src/queues/messages.ts). A service may import services, db and the base.
 * - db: src/db/** (client, tables, repositories). It may import only db and the base.
 * - base: src/env.ts, src/errors.ts, src/config.ts, src/logger.ts, src/metrics.ts (the data points beside the
 *   log lines) - imported from every layer, importing only each other. src/env.ts declares the bindings and
 *   the per-request context variables (the database handle, the tenant context, the rate-limit policy, the
 *   step-up proof), so it may name those layers' types with `import type`, and nothing else from them.
 */
type Layer = "entry" | "routes" | "middleware" | "services" | "db" | "base";

const ROOT = resolve(__dirname, "../..");
const SRC = join(ROOT, "src");

const BASE = new Set(["env.ts", "errors.ts", "config.ts", "logger.ts", "metrics.ts"]);
const ENTRY = new Set(["index.ts", "app.ts", "scheduled.ts"]);

/** The layer of a file, by its path under src/; undefined for a file no rule places (the test says so). */
function layerOf(path: string): Layer | undefined {
  if (BASE.has(path)) return "base";
  if (ENTRY.has(path)) return "entry";
  if (path === "openapi.ts") return "routes";
  if (path === "queues/messages.ts") return "services";
  const top = path.split("/")[0];
  switch (top) {
    case "routes":
      return "routes";
    case "middleware":
      return "middleware";
    case "services":
    case "ml":
    case "durable-objects":
      return "services";
    case "db":
      return "db";
    case "queues":
      return "entry";
    default:
      return undefined;
  }
}

const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  entry: ["entry", "routes", "middleware", "services", "db", "base"],
  routes: ["routes", "middleware", "services", "base"],
  middleware: ["middleware", "services", "base"],
  services: ["services", "db", "base"],
  db: ["db", "base"],
  base: ["base"],
};

/**
 * Single imports the rules above allow by name, each with its reason. The target must stay a leaf (it
 * imports nothing from src/), so the exception cannot pull a layer's dependencies in behind it.
 */
const NAMED_EXCEPTIONS: ReadonlyArray<{ from: string; to: string; why: string }> = [
  {
    from: "config.ts",
    to: "services/crypto/key-ring.ts",
    why: "the key-ring settings are parsed in the format the key-ring module defines",
  },
];

interface Import {
  from: string;
  to: string;
  specifier: string;
  typeOnly: boolean;
  line: number;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The text with comments blanked (newlines kept, so line numbers stay right). */
function withoutComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, " "))
    .replace(/^(\s*)\/\/.*$/gm, "$1");
}

const STATIC = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']/gm;
const BARE = /^\s*import\s*["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** Every relative import of a file that lands inside src/, resolved to the imported file. */
function importsOf(file: string): Import[] {
  const text = withoutComments(readFileSync(file, "utf8"));
  const lineAt = (index: number) => text.slice(0, index).split("\n").length;
  const found: Array<{ specifier: string; typeOnly: boolean; index: number }> = [];
  for (const match of text.matchAll(STATIC)) {
    const clause = match[3] ?? "";
    const names = /^\{([\s\S]*)\}$/.exec(clause.trim())?.[1];
    const everyNameIsType =
      names
        ?.split(",")
        .map((name) => name.trim())
        .filter((name) => name.length > 0)
        .every((name) => name.startsWith("type ")) ?? false;
    found.push({
      specifier: match[4] ?? "",
      typeOnly: Boolean(match[2]) || everyNameIsType,
      index: match.index,
    });
  }
  for (const match of text.matchAll(BARE))
    found.push({ specifier: match[1] ?? "", typeOnly: false, index: match.index });
  for (const match of text.matchAll(DYNAMIC)) {
    found.push({ specifier: match[1] ?? "", typeOnly: false, index: match.index });
  }
  return found.flatMap(({ specifier, typeOnly, index }) => {
    if (!specifier.startsWith(".")) return [];
    const target = resolveFile(resolve(dirname(file), specifier));
    const to = relative(SRC, target);
    return [{ from: relative(SRC, file), to, specifier, typeOnly, line: lineAt(index) }];
  });
}

function resolveFile(path: string): string {
  for (const candidate of [path, `${path}.ts`, `${path}.d.ts`, join(path, "index.ts")]) {
    if (existsSync(candidate) && candidate.endsWith(".ts")) return candidate;
  }
  return path;
}

function breaksLayering(imported: Import, leaves: ReadonlySet<string>): string | undefined {
  if (imported.to.startsWith("..")) {
    // Data (the package version, the migration journal) is bundled as it is; code outside src/ is Node-side.
    return imported.to.endsWith(".json") ? undefined : "the Worker imports no code outside src/";
  }
  const from = layerOf(imported.from);
  const to = layerOf(imported.to);
  if (from === undefined || to === undefined) return "a file no layer rule places";
  if (to === "routes" && from !== "routes" && imported.from !== "app.ts") {
    return "only app.ts mounts routes";
  }
  if (MAY_IMPORT[from].includes(to)) return undefined;
  if (from === "middleware" && imported.to === "db/client.ts") return undefined;
  if (imported.from === "env.ts" && imported.typeOnly && to !== "routes" && to !== "middleware")
    return undefined;
  const named = NAMED_EXCEPTIONS.find((e) => e.from === imported.from && e.to === imported.to);
  if (named && leaves.has(imported.to)) return undefined;
  return `${from} may not import ${to}`;
}

const files = sourceFiles(SRC);
const imports = files.flatMap(importsOf);
const leaves = new Set(
  files.map((file) => relative(SRC, file)).filter((file) => !imports.some((i) => i.from === file)),
);

/** Every import against the rules, with where it is and why it breaks them. */
function violations(): Array<{ key: string; text: string }> {
  return imports.flatMap((imported) => {
    const reason = breaksLayering(imported, leaves);
    if (reason === undefined) return [];
    const text = `src/${imported.from}:${imported.line} imports "${imported.specifier}" (${reason})`;
    return [{ key: `${imported.from} -> ${imported.to}`, text }];
  });
}

describe("the import direction", () => {
  it("reads the imports of every source file", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(imports.filter((i) => i.from === "app.ts" && layerOf(i.to) === "routes").length).toBeGreaterThan(
      10,
    );
    // Dynamic imports are read, and type-only ones are told apart.
    expect(imports).toContainEqual(
      expect.objectContaining({
        from: "services/risk/model-loading.ts",
        to: "ml/engine.ts",
        typeOnly: false,
      }),
    );
    expect(importsOf(join(SRC, "env.ts")).every((i) => i.typeOnly)).toBe(true);
  });

  it("places every source file in a layer", () => {
    expect(files.map((file) => relative(SRC, file)).filter((file) => layerOf(file) === undefined)).toEqual(
      [],
    );
  });

  it("has no import against the direction routes -> middleware -> services -> db -> base", () => {
    expect(violations().map(({ text }) => text)).toEqual([]);
  });

  it("allows named exceptions only for leaf modules", () => {
    expect(NAMED_EXCEPTIONS.filter((e) => !leaves.has(e.to)).map((e) => e.to)).toEqual([]);
  });
});
