/**
 * Writes the permission matrix into README.md (between the permissions markers) from the code itself:
 * PERMISSIONS for who holds what, and the OpenAPI document's `x-permission` for which routes need it.
 * `npm run docs:permissions` rewrites it; a test fails when the README is stale.
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { createApp } from "../src/app";
import { ROLES } from "../src/db/schema";
import type { Bindings } from "../src/env";
import { PERMISSIONS, type Permission, roleHolds } from "../src/services/tenancy/permissions";

export const README = fileURLToPath(new URL("../README.md", import.meta.url));
const START = "<!-- permissions:start -->";
const END = "<!-- permissions:end -->";

/** Each permission's routes, as `METHOD /path`, from the served OpenAPI document. */
export async function routesByPermission(): Promise<Map<Permission, string[]>> {
  const env = { ENVIRONMENT: "test", LOG_LEVEL: "error" } as unknown as Bindings;
  const document = (await (await createApp().request("/openapi.json", {}, env)).json()) as {
    paths: Record<string, Record<string, { "x-permission"?: Permission }>>;
  };
  const routes = new Map<Permission, string[]>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const permission = operation["x-permission"];
      if (!permission) continue;
      routes.set(permission, [...(routes.get(permission) ?? []), `${method.toUpperCase()} ${path}`]);
    }
  }
  return routes;
}

/** The markdown table. */
export async function permissionTable(): Promise<string> {
  const routes = await routesByPermission();
  const header = `| Permission | ${ROLES.join(" | ")} | API-key scope | Routes |`;
  const rule = `|${" --- |".repeat(ROLES.length + 3)}`;
  const rows = (Object.keys(PERMISSIONS) as Permission[]).map((permission) => {
    const entry = PERMISSIONS[permission];
    const cells = ROLES.map((role) =>
      roleHolds(role, permission)
        ? entry.orgScoped && role !== "super_admin" && role !== "tenant_admin"
          ? "org"
          : "yes"
        : "-",
    );
    // A key confined to one organization never holds a permission whose routes span the whole tenant.
    const scope =
      "scope" in entry
        ? `\`${entry.scope}\`${entry.wholeTenant ? " (keys not confined to an organization)" : ""}`
        : "-";
    const list = (routes.get(permission) ?? []).map((route) => `\`${route}\``).join("<br>") || "-";
    return `| \`${permission}\` | ${cells.join(" | ")} | ${scope} | ${list} |`;
  });
  return [header, rule, ...rows].join("\n");
}

/** README.md with the table replaced. */
export async function renderReadme(readme: string): Promise<string> {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} ... ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n${await permissionTable()}\n${readme.slice(end)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const readme = await readFile(README, "utf8");
  await writeFile(README, await renderReadme(readme));
  console.log("README.md permission matrix updated");
}
