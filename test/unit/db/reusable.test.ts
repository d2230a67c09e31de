import { neon, Pool } from "@neondatabase/serverless";
import { eq } from "drizzle-orm";
import { drizzle as drizzleHttp } from "drizzle-orm/neon-http";
import { drizzle } from "drizzle-orm/neon-serverless";
import { describe, expect, it } from "vitest";
import { reusable } from "../../../src/db/batch";
import { users } from "../../../src/db/schema";

// Handles only: nothing here connects, the statements are built and never sent.
const URL = "postgres://app:secret@db.invalid/finedge";
const http = drizzleHttp({ client: neon(URL) });
const socket = drizzle({ client: new Pool({ connectionString: URL }) });

interface Prepared {
  getQuery(): { sql: string; params: unknown[] };
}
const queryOf = (item: unknown) => (item as { _prepare(): Prepared })._prepare().getQuery();

describe("reusable statements", () => {
  it("build their SQL once on the HTTP handle and fill in each use's values", () => {
    let built = 0;
    const byId = reusable((db, { id }: { id: string }) => {
      built++;
      return db.select().from(users).where(eq(users.id, id)).limit(1);
    });
    const first = queryOf(byId(http, { id: "user-a" }));
    const second = queryOf(byId(http, { id: "user-b" }));
    expect(built).toBe(1);
    expect(second.sql).toBe(first.sql);
    expect(first.sql).toMatch(/where "users"."id" = \$1 limit \$2$/);
    expect(first.params).toEqual(["user-a", 1]);
    expect(second.params).toEqual(["user-b", 1]);
  });

  it("are built with their values on any other handle (a transaction), every time", () => {
    let built = 0;
    const byId = reusable((db, { id }: { id: string }) => {
      built++;
      return db.select().from(users).where(eq(users.id, id));
    });
    expect(byId(socket, { id: "user-a" }).toSQL().params).toEqual(["user-a"]);
    expect(byId(socket, { id: "user-b" }).toSQL().params).toEqual(["user-b"]);
    expect(built).toBe(2);
  });

  it("map results as the statement they stand for", () => {
    const byId = reusable((db, { id }: { id: string }) =>
      db.select({ id: users.id, email: users.email }).from(users).where(eq(users.id, id)),
    );
    const prepared = (
      byId(http, { id: "user-a" }) as unknown as {
        _prepare(): { mapResult(r: unknown, b: boolean): unknown };
      }
    )._prepare();
    const raw = { rows: [["user-a", "a@example.com"]], fields: [] };
    expect(prepared.mapResult(raw, true)).toEqual([{ id: "user-a", email: "a@example.com" }]);
  });
});
