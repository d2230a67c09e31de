import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { PERMISSIONS } from "../../src/services/tenancy/permissions";
import { README, renderReadme, routesByPermission } from "../../tools/permissions-doc";

describe("the documented permission matrix", () => {
  it("is current: README.md matches what the code enforces (npm run docs:permissions)", async () => {
    const readme = await readFile(README, "utf8");
    expect(await renderReadme(readme)).toBe(readme);
  });

  it("every permission guards at least one route", async () => {
    const routes = await routesByPermission();
    expect(Object.keys(PERMISSIONS).filter((permission) => !routes.has(permission as never))).toEqual([]);
  });
});
